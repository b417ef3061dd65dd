// One socket.io server for one benchmark scenario, in its own process. Every scenario has
// the same server settings: `new Server(http, { transports: ['websocket'] })`.
//
//   node --import tsx [--expose-gc] bench/socket/server.ts <scenario>
//
// Commands (IPC): cpu (process.cpuUsage(), and CPU ns per kind of thread), clients, gc (forced GC, then a settle wait; needs --expose-gc),
// memory (forced GC first; needs --expose-gc), sigcheck (node:crypto's signature check
// alone, CPU µs per token), mark (clocks for profile windows), sourcemaps, snapshot.
import { createHmac, createPublicKey, timingSafeEqual, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire, findSourceMap } from 'node:module';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { authorize as threamAuthorize } from '@thream/socketio-jwt';
import { Server } from 'socket.io';
import { createVerifier } from 'fast-jwt';
import { serveCommands } from '../lib/child.js';
import { HS_SECRET, userTokens, type BenchAlg, type SigningKeys } from '../lib/tokens.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';

const socketioJwt = createRequire(import.meta.url)('socketio-jwt') as { authorize(options: object): (...args: any[]) => void };

// The package as users run it, built (`npm run build`): tsx's transform of src/ adds a `__name()`
// call to every closure made per connection, which the published build does not have.
const { authorize } = (await import(process.env['BENCH_SOCKJWT_ENTRY'] ?? '../../dist/index.js')) as typeof import('../../src/index.js');

const name = process.argv[2] as ScenarioName;
if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}`);
const keys: SigningKeys = JSON.parse(process.env['BENCH_KEYS']!);
const publicKey = (alg: 'ES256' | 'RS256'): KeyObject => createPublicKey(alg === 'ES256' ? keys.es256 : keys.rs256);
/** What a user passes as `secret`: the HS256 string, or a public key as PEM. */
const secretFor = (alg: BenchAlg): string => (alg === 'HS256' ? HS_SECRET : publicKey(alg as 'ES256' | 'RS256').export({ type: 'spki', format: 'pem' }).toString());

const http = createServer();
const io = new Server(http, { transports: ['websocket'] });
let sessionCount = (): number | undefined => undefined;

switch (name) {
  case 'bare':
  case 'bare-token':
    break;
  case 'bare-echo':
    io.on('connection', (socket) => socket.on('authenticate', () => socket.emit('authenticated')));
    break;
  case 'floor-HS256':
  case 'floor-ES256':
  case 'floor-RS256': {
    const { alg } = SCENARIOS[name];
    io.use((socket, next) => {
      checkSignature(alg, (socket.handshake.auth as { token: string }).token);
      next();
    });
    break;
  }
  case 'floor-fast-jwt': {
    const verify = createVerifier({ key: HS_SECRET, algorithms: ['HS256'], cache: false });
    io.use((socket, next) => {
      socket.data.decoded_token = verify((socket.handshake.auth as { token: string }).token);
      next();
    });
    break;
  }
  case 'sockjwt-handshake-HS256':
  case 'sockjwt-handshake-ES256':
  case 'sockjwt-handshake-RS256': {
    const auth = authorize({ secret: secretFor(SCENARIOS[name].alg), handshake: true });
    sessionCount = () => auth.sessionCount;
    io.use(auth);
    break;
  }
  case 'sockjwt-message-HS256': {
    const auth = authorize({ secret: HS_SECRET });
    sessionCount = () => auth.sessionCount;
    io.on('connection', auth);
    break;
  }
  case 'baseline-handshake-HS256':
  case 'baseline-handshake-ES256':
  case 'baseline-handshake-RS256':
  case 'baseline-message-HS256': {
    const baseline = process.env['BENCH_BASELINE_SRC'];
    if (!baseline) throw new Error('set BENCH_BASELINE_SRC to another checkout\'s built dist/index.js (or its src/index.ts)');
    const { authorize: baselineAuthorize } = (await import(baseline)) as typeof import('../../src/index.js');
    const secret = secretFor(SCENARIOS[name].alg);
    const handshake = SCENARIOS[name].presentation === 'auth';
    const auth = handshake ? baselineAuthorize({ secret, handshake: true }) : baselineAuthorize({ secret });
    sessionCount = () => auth.sessionCount;
    if (handshake) io.use(auth as never);
    else io.on('connection', auth as never);
    break;
  }
  case 'thream-HS256':
    // @thream reads `auth.token` as "Bearer <token>".
    io.use(threamAuthorize({ secret: HS_SECRET }));
    break;
  case 'socketio-jwt-HS256':
    // socketio-jwt 4.6.2's handshake mode reads the `token` query parameter.
    io.use(socketioJwt.authorize({ secret: HS_SECRET, handshake: true }));
    break;
}
const gc = (globalThis as { gc?: () => void }).gc;
const inspector = new Session();
inspector.connect();

// The signature check alone, as bench/verify-libs.mjs's floor does it: split off the
// signature, decode it, and HMAC-and-compare or crypto.verify with a prepared key. Fresh
// tokens (own sub and jti), signed with the bench keys once per algorithm.
const sigTokens = new Map<BenchAlg, string[]>();
const hsKey = Buffer.from(HS_SECRET);
const verifyKeys = new Map<BenchAlg, KeyObject>();
function checkSignature(alg: BenchAlg, token: string): void {
  const dot = token.lastIndexOf('.');
  const input = Buffer.from(token.slice(0, dot));
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  let ok: boolean;
  if (alg === 'HS256') {
    const expected = createHmac('sha256', hsKey).update(input).digest();
    ok = signature.length === expected.length && timingSafeEqual(signature, expected);
  } else if (alg === 'ES256' || alg === 'RS256') {
    let key = verifyKeys.get(alg);
    if (!key) verifyKeys.set(alg, (key = publicKey(alg)));
    ok = cryptoVerify('sha256', input, alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key, signature);
  } else throw new Error(`sigcheck: ${alg} not supported`);
  if (!ok) throw new Error('sigcheck: bad signature');
}
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
/** `batches` passes over `count` tokens after one warm-up pass: CPU µs per token, median pass. */
function sigcheck({ alg = SCENARIOS[name].alg, count = 1000, batches = 3 }: { alg?: BenchAlg; count?: number; batches?: number }) {
  let tokens = sigTokens.get(alg);
  const first = !tokens || tokens.length < count;
  if (first) sigTokens.set(alg, (tokens = userTokens(alg, count, keys)));
  // Warm-up: one pass, and on the first call passes until 50 ms of CPU (HS256 needs a few thousand checks to be optimised).
  const warmFrom = cpuNow();
  do for (const token of tokens!) checkSignature(alg, token);
  while (first && cpuNow() - warmFrom < 50_000);
  const perToken: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = cpuNow();
    for (let i = 0; i < count; i++) checkSignature(alg, tokens![i]!);
    perToken.push((cpuNow() - t0) / count);
  }
  perToken.sort((a, b) => a - b);
  return { alg, usPerToken: perToken[perToken.length >> 1]!, batches: perToken };
}

/**
 * This process's threads' time on CPU, ns, from the scheduler (/proc/self/task/<tid>/schedstat):
 * the main thread, V8's profiler threads (`v8:ProfEvntProc`, under --cpu-prof) and all the others
 * (V8 platform workers: GC helpers; libuv's pool; tsx's loader thread). Undefined without /proc.
 */
function threadNs(): { main: number; profiler: number; other: number } | undefined {
  try {
    const times = { main: 0, profiler: 0, other: 0 };
    for (const tid of readdirSync('/proc/self/task')) {
      let ns: number;
      let comm: string;
      try {
        ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      } catch {
        continue; // the thread has just ended
      }
      if (Number(tid) === process.pid) times.main += ns;
      else if (comm.startsWith('v8:Prof')) times.profiler += ns;
      else times.other += ns;
    }
    return times;
  } catch {
    return undefined;
  }
}

/** The source maps tsx made for the .ts files this process loaded under `dirs` (for bench/profile/profile-diff.ts). */
function sourcemaps({ dirs }: { dirs: string[] }) {
  const maps: Record<string, unknown> = {};
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(dir, { recursive: true }) as string[];
    } catch {
      continue;
    }
    for (const file of files) {
      if (!file.endsWith('.ts') || file.includes('node_modules')) continue;
      const url = pathToFileURL(join(dir, file)).href;
      const map = findSourceMap(url);
      if (map) maps[url] = map.payload;
    }
  }
  return maps;
}

serveCommands(
  {
    cpu: () => ({ ...process.cpuUsage(), threads: threadNs() }),
    /** Forced full GCs, then a wait for the concurrent sweeper, so a round is not billed for the last one's garbage. */
    gc: async ({ settleMs = 100 }: { settleMs?: number }) => {
      if (!gc) throw new Error('run with --expose-gc');
      gc();
      gc();
      if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
      return true;
    },
    sigcheck,
    /** Clocks for a profile window: monotonic µs (the clock of --cpu-prof's timestamps), process CPU µs, CPU ns per kind of thread. */
    mark: () => ({ hrtimeUs: Number(process.hrtime.bigint() / 1000n), cpuUs: cpuNow(), threads: threadNs() }),
    sourcemaps,
    clients: () => ({ engine: io.engine.clientsCount, sockets: io.of('/').sockets.size, sessions: sessionCount() }),
    memory: () => {
      if (!gc) throw new Error('run with --expose-gc');
      for (let i = 0; i < 3; i++) gc();
      const { heapUsed, rss } = process.memoryUsage();
      return { heapUsed, rss, sockets: io.of('/').sockets.size, sessions: sessionCount() };
    },
    /**
     * For profiling (bench/profile/alloc-diff.ts): V8's sampling heap profiler, keeping the samples
     * of objects already collected, so the profile is every byte allocated in the window, by function.
     */
    allocStart: async ({ intervalBytes = 256 }: { intervalBytes?: number }) => {
      await inspector.post('HeapProfiler.enable');
      await inspector.post('HeapProfiler.startSampling', { samplingInterval: intervalBytes, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      return true;
    },
    allocStop: async () => (await inspector.post('HeapProfiler.stopSampling')).profile,
    /** For profiling: a heap snapshot to compare scenarios (bench/profile/heap-diff.ts). */
    snapshot: ({ file }: { file: string }) => writeHeapSnapshot(file),
  },
  await new Promise<Record<string, unknown>>((resolve) =>
    http.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` })),
  ),
);
