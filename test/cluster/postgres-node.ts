// One node of a test cluster on PostgreSQL, in its own process: a socket.io server on an
// ephemeral port with the PostgreSQL adapter and revocation store, driven by the test through IPC
// (the same commands as node.ts).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { authorize, type RevocationRule } from '../../src/index.js';
import { PostgresCluster } from '../../src/postgres/index.js';

const secret = process.env['JWT_SECRET']!;
const failMode = process.env['FAIL_MODE'] === 'open' ? 'open' : 'closed';

const http = createServer();
const io = new Server(http, { transports: ['websocket'] });
const warnings: string[] = [];
const logger = {
  warn: (_: object, message: string) => warnings.push(message),
  info: (_: object, message: string) => warnings.push(message),
};
process.on('warning', (warning) => warnings.push(`${(warning as { code?: string }).code}: ${warning.message}`));
// The test finds this node's connections in pg_stat_activity by its application_name.
const url = new URL(process.env['DATABASE_URL']!);
url.searchParams.set('application_name', `sockjwt-node-${process.pid}`);
const cluster = new PostgresCluster(io, {
  connectionString: url.toString(),
  tableName: process.env['SOCKJWT_PREFIX']!,
  commandTimeoutMs: 500,
  // Nodes hear of each other within a second, not the adapter's default five.
  adapter: { heartbeatInterval: 1000, heartbeatTimeout: 5000, channelPrefix: `${process.env['SOCKJWT_PREFIX']!}_io` },
  logger,
});
const auth = authorize({ secret, handshake: true, revocationStore: cluster.revocationStore, revocationFailMode: failMode });
io.use(auth);
io.on('connection', (socket) => {
  socket.on('whoami', (ack: (data: unknown) => void) => ack({ node: process.pid, data: socket.data }));
});

type Command = { id: number; cmd: 'revoke'; rule: RevocationRule } | { id: number; cmd: 'fetchSockets' | 'serverCount' | 'state' | 'close' } | { id: number; cmd: 'broadcast'; forMs: number };

const handlers = {
  async revoke({ rule }: { rule: RevocationRule }) {
    const startedAt = performance.timeOrigin + performance.now();
    const dropped = await auth.revoke(rule);
    return { startedAt, dropped };
  },
  async fetchSockets() {
    const sockets = await io.fetchSockets();
    return sockets.map((socket) => ({ id: socket.id, data: socket.data, handshake: socket.handshake }));
  },
  async broadcast({ forMs }: { forMs: number }) {
    const timer = setInterval(() => io.emit('news', 'hello'), 1);
    setTimeout(() => clearInterval(timer), forMs);
    return true;
  },
  async serverCount() {
    return io.of('/').adapter.serverCount();
  },
  async state() {
    return { sessions: auth.sessionCount, redis: cluster.connected, postgres: cluster.connected, warnings };
  },
  async close() {
    await io.close();
    await cluster.close();
    setImmediate(() => process.exit(0));
    return true;
  },
};

process.on('disconnect', () => process.exit(1));
process.on('message', (message: Command) => {
  const { id, cmd } = message;
  (handlers[cmd] as (m: Command) => Promise<unknown>)(message).then(
    (result) => process.send!({ id, result }),
    (error: unknown) => process.send!({ id, error: error instanceof Error ? error.message : String(error) }),
  );
});

http.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'listening', port: (http.address() as AddressInfo).port });
  void cluster.ready.then(() => process.send!({ type: 'redis-ready' }));
});
