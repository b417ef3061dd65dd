/**
 * `npm run soak`: load and soak test, not part of `npm test`.
 *
 * This process runs a socket.io server with sockjwt (handshake mode on `/`, message mode on
 * `/m`) and forks bench/soak-client.ts, which holds SOAK_SOCKETS sockets open against it
 * (SOAK_BAD_RATIO of them with bad tokens: wrong key, expired, `alg: none`, malformed, tampered)
 * and replaces SOAK_CHURN_PER_SECOND of them every second, for SOAK_DURATION_S seconds after
 * the ramp-up. Both processes judge every decision: a token the oracle (jsonwebtoken) refuses must
 * never be admitted, and a good token must never be refused.
 *
 * It reports wrong decisions (must be 0), handshake latency (p50/p90/p99), and heap and active
 * handles before the load, at every sample during it, and after every client has gone.
 *
 * Environment (or --name=value): SOAK_SOCKETS (10000), SOAK_DURATION_S (60), SOAK_BAD_RATIO
 * (0.1), SOAK_MESSAGE_RATIO (0.2), SOAK_CHURN_PER_SECOND (50), SOAK_RAMP_PER_SECOND (1000),
 * SOAK_SAMPLE_S (10), SOAK_CONTROL (0; 1 runs the same load on socket.io alone, for comparison).
 *
 * File descriptors: each socket is one descriptor in each process (server and client are
 * separate processes, each with its own limit). The script checks `ulimit -n` against the
 * socket count and stops with the command to raise it rather than fail half-way with EMFILE.
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import jwt from 'jsonwebtoken';
import { Server, type Socket } from 'socket.io';
import { authorize, type SockjwtEvent } from '../src/index.js';
import type { SoakClientConfig, SoakClientReport } from './soak-client.js';

const SECRET = 'soak-secret-of-reasonable-length';

function setting(name: string, fallback: number): number {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name.toLowerCase().replace(/^soak_/, '').replace(/_/g, '-')}=`));
  const raw = flag?.split('=')[1] ?? process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

const SOCKETS = setting('SOAK_SOCKETS', 10_000);
const DURATION_S = setting('SOAK_DURATION_S', 60);
const BAD_RATIO = setting('SOAK_BAD_RATIO', 0.1);
const MESSAGE_RATIO = setting('SOAK_MESSAGE_RATIO', 0.2);
const CHURN_PER_SECOND = setting('SOAK_CHURN_PER_SECOND', 50);
const RAMP_PER_SECOND = setting('SOAK_RAMP_PER_SECOND', 1000);
const SAMPLE_S = setting('SOAK_SAMPLE_S', 10);
/** 1: the same load on socket.io without sockjwt (no bad tokens), to tell its memory from ours. */
const CONTROL = setting('SOAK_CONTROL', 0) === 1;

/** The soft limit on open files, as the shell reports it (Node has no getrlimit). */
function openFileLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return Number.NaN;
  }
}

const limit = openFileLimit();
// Each process needs one descriptor per socket, plus some for itself; churn adds sockets in closing.
const needed = SOCKETS + CHURN_PER_SECOND * 5 + 200;
if (Number.isFinite(limit) && limit < needed) {
  console.error(`soak: ulimit -n is ${limit}, but ${SOCKETS} sockets need about ${needed} descriptors per process.`);
  console.error(`soak: raise it for this shell (up to the hard limit, \`ulimit -Hn\`) and run again: ulimit -n ${needed} && npm run soak`);
  process.exit(2);
}

interface Sample {
  at: string;
  heapUsedMb: number;
  rssMb: number;
  /** Memory outside the JS heap: Buffers (socket reads and writes), native objects. */
  externalMb: number;
  handles: number;
  sockets: number;
  sessions: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function sample(at: string, io: Server, sessions: () => number): Sample {
  gc?.();
  const memory = process.memoryUsage();
  let sockets = 0;
  for (const nsp of io._nsps.values()) sockets += nsp.sockets.size;
  return {
    at,
    heapUsedMb: Math.round(memory.heapUsed / 2 ** 20 * 10) / 10,
    rssMb: Math.round(memory.rss / 2 ** 20),
    externalMb: Math.round(memory.external / 2 ** 20 * 10) / 10,
    handles: process.getActiveResourcesInfo().length,
    sockets,
    sessions: sessions(),
  };
}

/** The server's own check of every admission, with an implementation other than sockjwt's. */
function admittedRightly(token: unknown): boolean {
  if (typeof token !== 'string') return false;
  try {
    jwt.verify(token, SECRET, { algorithms: ['HS256', 'HS384', 'HS512'] });
    return true;
  } catch {
    return false;
  }
}

/** Durations in 10 µs steps up to 100 ms (longer ones in the last step, and in `max`). */
class FixedHistogram {
  private readonly counts = new Float64Array(10_001);
  private samples = 0;
  private max = 0;

  add(ms: number): void {
    this.counts[Math.min(10_000, Math.round(ms * 100))]!++;
    this.samples++;
    this.max = Math.max(this.max, ms);
  }

  quantiles(): { p50: number; p99: number; max: number; samples: number } {
    const at = (q: number) => {
      let seen = 0;
      for (let i = 0; i < this.counts.length; i++) if ((seen += this.counts[i]!) > q * this.samples) return i / 100;
      return this.max;
    };
    return { p50: at(0.5), p99: at(0.99), max: Math.round(this.max * 1000) / 1000, samples: this.samples };
  }
}

async function main(): Promise<void> {
  const http = createServer();
  const io = new Server(http, { connectTimeout: 30_000 });
  // sockjwt's own time per verification, through the `metrics` hook (the client's latency below
  // also holds its own event loop and the network).
  // A fixed histogram, so that the harness's own memory does not grow with the run.
  const verifyMs = new FixedHistogram();
  const metrics = {
    observe(event: SockjwtEvent) {
      if ((event.event === 'authenticated' || event.event === 'refused') && event.durationMs !== undefined) verifyMs.add(event.durationMs);
    },
  };
  const handshake = authorize({ secret: SECRET, handshake: true, metrics });
  const message = authorize({ secret: SECRET, timeout: 30_000, metrics });
  let wronglyAdmitted = 0;
  const judge = (socket: Socket) => {
    if (!admittedRightly((socket as unknown as { encoded_token?: unknown }).encoded_token)) wronglyAdmitted++;
  };
  if (CONTROL) {
    io.of('/m').on('connection', (socket) => socket.on('authenticate', (_payload: unknown, ack: (answer: object) => void) => ack({ ok: true })));
  } else {
    io.use(handshake);
    io.on('connection', judge);
    io.of('/m').on('connection', message).on('authenticated', judge);
  }
  const sessions = () => handshake.sessionCount + message.sessionCount;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  const samples: Sample[] = [sample('before', io, sessions)];
  if (CONTROL) console.log('soak: CONTROL run: socket.io without sockjwt, good tokens only');
  console.log(`soak: ${SOCKETS} sockets (${BAD_RATIO * 100} % bad tokens, ${MESSAGE_RATIO * 100} % message mode), churn ${CHURN_PER_SECOND}/s, ${DURATION_S} s after ramp-up; Node ${process.version}; ulimit -n ${limit}`);

  const client = fork(fileURLToPath(new URL('./soak-client.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx', '--max-old-space-size=4096'] });
  const config: SoakClientConfig = {
    url, secret: SECRET, sockets: SOCKETS, badRatio: CONTROL ? 0 : BAD_RATIO, messageRatio: MESSAGE_RATIO,
    rampPerSecond: RAMP_PER_SECOND, churnPerSecond: CHURN_PER_SECOND,
  };
  const messages = (type: string) => new Promise<any>((resolve, reject) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      client.off('message', onMessage);
      client.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => reject(new Error(`soak client exited (${code}) before "${type}"`));
    client.on('message', onMessage);
    client.once('exit', onExit);
  });

  const rampStarted = Date.now();
  const ramped = messages('ramped');
  client.send(config);
  await ramped;
  console.log(`soak: ramped up in ${((Date.now() - rampStarted) / 1000).toFixed(1)} s`);
  samples.push(sample('loaded', io, sessions));

  const soakStarted = Date.now();
  while (Date.now() - soakStarted < DURATION_S * 1000) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(SAMPLE_S * 1000, DURATION_S * 1000 - (Date.now() - soakStarted))));
    const current = sample(`+${Math.round((Date.now() - soakStarted) / 1000)} s`, io, sessions);
    samples.push(current);
    console.log(`soak: ${current.at}: ${current.sockets} sockets, ${current.sessions} sessions, heap ${current.heapUsedMb} MB, ${current.handles} handles`);
  }

  const reported = messages('report');
  client.send({ type: 'stop' });
  const { report } = (await reported) as { report: SoakClientReport };
  // Wait for the server to see every client go, then for the engine to be empty.
  const drainStarted = Date.now();
  while ((io.engine.clientsCount > 0 || sessions() > 0) && Date.now() - drainStarted < 30_000) await new Promise((resolve) => setTimeout(resolve, 100));
  samples.push(sample('after', io, sessions));
  await io.close();

  const loaded = samples.filter((each) => each.at.startsWith('+'));
  const result = {
    node: process.version,
    sockets: SOCKETS,
    durationS: DURATION_S,
    badRatio: BAD_RATIO,
    messageRatio: MESSAGE_RATIO,
    churnPerSecond: CHURN_PER_SECOND,
    attempts: report.attempts,
    admitted: report.admitted,
    refused: report.refused,
    refusedByReason: report.refusedByReason,
    wrongDecisionsClient: report.wrongDecisions,
    wrongDecisionsServer: wronglyAdmitted,
    wrongSamples: report.wrongSamples,
    unanswered: report.unanswered,
    unansweredBy: report.unansweredBy,
    peakOpen: report.peakOpen,
    handshakeLatencyMs: { rampUp: report.latencyMs, steady: report.steadyLatencyMs },
    verificationMs: verifyMs.quantiles(),
    clientRssMb: report.clientRssMb,
    heapTrendMb: loaded.length >= 2 ? Math.round((loaded.at(-1)!.heapUsedMb - loaded[0]!.heapUsedMb) * 10) / 10 : null,
    samples,
  };
  console.log(JSON.stringify(result, null, 2));
  const failed = report.wrongDecisions + wronglyAdmitted > 0 || samples.at(-1)!.sessions !== 0 || samples.at(-1)!.sockets !== 0;
  console.log(failed ? 'soak: FAILED' : 'soak: passed (0 wrong decisions; every socket and session gone at the end)');
  process.exitCode = failed ? 1 : 0;
}

await main();
