// What a test cluster node process answers over IPC, whichever store it runs on (node.ts for
// Redis, postgres-node.ts for PostgreSQL): the commands nodes.ts sends, and the announcements.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type { HandshakeMiddleware, RevocationRule } from '../../src/index.js';

export const secret = process.env['JWT_SECRET']!;
export const prefix = process.env['SOCKJWT_PREFIX']!;
export const failMode = process.env['FAIL_MODE'] === 'open' ? 'open' : 'closed';

/** The server, and what the node logs (its cluster link's logger and process warnings). */
export function nodeServer() {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  const warnings: string[] = [];
  const logger = {
    warn: (_: object, message: string) => warnings.push(message),
    info: (_: object, message: string) => warnings.push(message),
  };
  process.on('warning', (warning) => warnings.push(`${(warning as { code?: string }).code}: ${warning.message}`));
  return { http, io, warnings, logger };
}

type Handler = (message: Record<string, unknown>) => Promise<unknown>;

/** Serves the commands on `io` and `auth`, plus the node's own (`state`, `close`…), and announces the node. */
export function serveCommands(http: ReturnType<typeof createServer>, io: Server, auth: HandshakeMiddleware, ready: Promise<void>, own: Record<string, Handler>): void {
  io.on('connection', (socket) => {
    socket.on('whoami', (ack: (data: unknown) => void) => ack({ node: process.pid, data: socket.data }));
  });
  const handlers: Record<string, Handler> = {
    async revoke({ rule }) {
      const startedAt = performance.timeOrigin + performance.now();
      const dropped = await auth.revoke(rule as RevocationRule);
      return { startedAt, dropped };
    },
    async fetchSockets() {
      const sockets = await io.fetchSockets();
      // What crossed the wire, as the adapter delivered it.
      return sockets.map((socket) => ({ id: socket.id, data: socket.data, handshake: socket.handshake }));
    },
    /** Broadcasts every millisecond for `forMs`, so publishes are in flight whatever happens to the shared store. */
    async broadcast({ forMs }) {
      const timer = setInterval(() => io.emit('news', 'hello'), 1);
      setTimeout(() => clearInterval(timer), forMs as number);
      return true;
    },
    async serverCount() {
      return io.of('/').adapter.serverCount();
    },
    ...own,
  };
  // A parent that dies without closing us (a crashed test or benchmark) must not leave us running.
  process.on('disconnect', () => process.exit(1));
  process.on('message', (message: { id: number; cmd: string } & Record<string, unknown>) => {
    const { id, cmd } = message;
    handlers[cmd]!(message).then(
      (result) => process.send!({ id, result }),
      (error: unknown) => process.send!({ id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  http.listen(0, '127.0.0.1', () => {
    process.send!({ type: 'listening', port: (http.address() as AddressInfo).port });
    void ready.then(() => process.send!({ type: 'redis-ready' }));
  });
}
