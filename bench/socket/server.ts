// One socket.io server for one benchmark scenario, in its own process. Every scenario has
// the same server settings: `new Server(http, { transports: ['websocket'] })`.
//
//   node --import tsx [--expose-gc] bench/socket/server.ts <scenario>
//
// Commands (IPC): cpu, clients, memory (forced GC first; needs --expose-gc), snapshot.
import { createPublicKey } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { writeHeapSnapshot } from 'node:v8';
import type { AddressInfo } from 'node:net';
import { authorize as threamAuthorize } from '@thream/socketio-jwt';
import { Server } from 'socket.io';
import { authorize } from '../../src/index.js';
import { serveCommands } from '../lib/child.js';
import { HS_SECRET } from '../lib/tokens.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';

const socketioJwt = createRequire(import.meta.url)('socketio-jwt') as { authorize(options: object): (...args: any[]) => void };

const name = process.argv[2] as ScenarioName;
if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}`);
const es256Public = () => createPublicKey(process.env['BENCH_ES256_KEY']!).export({ type: 'spki', format: 'pem' }).toString();

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
  case 'sockjwt-handshake-HS256':
  case 'sockjwt-handshake-ES256': {
    const auth = authorize({ secret: name.endsWith('HS256') ? HS_SECRET : es256Public(), handshake: true });
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
  case 'baseline-message-HS256': {
    const baseline = process.env['BENCH_BASELINE_SRC'];
    if (!baseline) throw new Error('set BENCH_BASELINE_SRC to another checkout\'s src/index.ts');
    const { authorize: baselineAuthorize } = (await import(baseline)) as typeof import('../../src/index.js');
    const auth = name === 'baseline-handshake-HS256' ? baselineAuthorize({ secret: HS_SECRET, handshake: true }) : baselineAuthorize({ secret: HS_SECRET });
    sessionCount = () => auth.sessionCount;
    if (name === 'baseline-handshake-HS256') io.use(auth as never);
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

serveCommands(
  {
    cpu: () => process.cpuUsage(),
    clients: () => ({ engine: io.engine.clientsCount, sockets: io.of('/').sockets.size, sessions: sessionCount() }),
    memory: () => {
      if (!gc) throw new Error('run with --expose-gc');
      for (let i = 0; i < 3; i++) gc();
      const { heapUsed, rss } = process.memoryUsage();
      return { heapUsed, rss, sockets: io.of('/').sockets.size, sessions: sessionCount() };
    },
    /** For profiling: a heap snapshot to compare scenarios (bench/profile/heap-diff.ts). */
    snapshot: ({ file }: { file: string }) => writeHeapSnapshot(file),
  },
  await new Promise<Record<string, unknown>>((resolve) =>
    http.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` })),
  ),
);
