import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import jwt from 'jsonwebtoken';
import type { Server, ServerOptions } from 'socket.io';
import { authorize, type AuthorizeOptions, type HandshakeOptions, type MessageOptions, type SessionControl } from '../src/index.js';
import { io as connectClient, type ManagerOptions, type Socket as ClientSocket, type SocketOptions } from 'socket.io-client';

export const SECRET = 'a-shared-secret-of-reasonable-length';

/** Signs with jsonwebtoken, independent of the fast-jwt that verifies. */
export function sign(payload: object, options: jwt.SignOptions = {}, secret: jwt.Secret = SECRET): string {
  const lifetime = 'exp' in payload ? {} : { expiresIn: 3600 };
  return jwt.sign(payload, secret, { algorithm: 'HS256', ...lifetime, ...options });
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * The socket.io package `startServer` builds its `Server` from: `SOCKJWT_TEST_SOCKET_IO`
 * (an npm alias such as `socket.io-4.2`, see test/version-matrix.test.ts), else `socket.io`.
 * Typed as today's `Server`; src/ only imports socket.io types, so this is the version under test.
 */
export const SOCKET_IO_PACKAGE = process.env.SOCKJWT_TEST_SOCKET_IO || 'socket.io';
const requireSocketIo = createRequire(import.meta.url);
const SocketIoServer = (requireSocketIo(SOCKET_IO_PACKAGE) as { Server: typeof Server }).Server;

/** The version of that package, e.g. `4.2.0` (old versions do not export their package.json). */
export const SOCKET_IO_VERSION: string = (() => {
  let dir = dirname(requireSocketIo.resolve(SOCKET_IO_PACKAGE));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'socket.io' && manifest.version) return manifest.version;
    } catch {
      // not the package root yet
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json found for ${SOCKET_IO_PACKAGE}`);
    dir = parent;
  }
})();

/** Whether the socket.io under test has a minor version of at least `4.<minor>`. */
export function socketIoAtLeast(minor: number): boolean {
  const [major = 0, min = 0] = SOCKET_IO_VERSION.split('.').map(Number);
  return major > 4 || (major === 4 && min >= minor);
}

/**
 * Connection state recovery exists from socket.io 4.6.0. Recovery tests skip without it:
 * `it('…', { skip: !supportsRecovery() && 'no recovery before socket.io 4.6' }, …)`.
 */
export function supportsRecovery(): boolean {
  return socketIoAtLeast(6);
}

export interface Harness {
  io: Server;
  url: string;
  connect(nsp?: string, options?: Partial<ManagerOptions & SocketOptions>): ClientSocket;
}

/**
 * A real socket.io server on an ephemeral port, configured by the test, and real clients.
 * Everything is closed when the test ends, whatever its outcome.
 */
export async function startServer(t: TestContext, configure: (io: Server) => void, options: Partial<ServerOptions> = {}): Promise<Harness> {
  const http: HttpServer = createServer();
  const io = new SocketIoServer(http, options);
  configure(io);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clients: ClientSocket[] = [];
  t.after(async () => {
    for (const client of clients) client.disconnect();
    await io.close();
  });
  return {
    io,
    url,
    connect(nsp = '/', clientOptions = {}) {
      const client = connectClient(url + nsp, { forceNew: true, reconnection: false, transports: ['websocket'], ...clientOptions });
      clients.push(client);
      return client;
    },
  };
}

/** Resolves with the arguments of the next `event`; rejects after `ms` so no test hangs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any emitter: node's, socket.io's, component-emitter's typed ones
type AnyEmitter = { once(event: any, fn: (...args: any[]) => void): unknown; off(event: any, fn?: (...args: any[]) => void): unknown };

export function next<T extends unknown[] = unknown[]>(emitter: AnyEmitter, event: string, ms = 3000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${ms} ms waiting for "${event}"`));
    }, ms);
    emitter.once(event, listener);
  });
}

export interface WireError {
  message: string;
  data: { message: string; code: string; type: string; reason: string };
}

/** The `connect_error` a handshake-mode refusal produces. */
export async function refusal(client: ClientSocket): Promise<WireError> {
  const [error] = await next<[WireError]>(client, 'connect_error');
  return error;
}

/** Resolves when the client connects; rejects with the refusal if it gets `connect_error`. */
export function connected(client: ClientSocket, ms = 3000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('connect_error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onConnect = () => done();
    const onError = (error: Error) => done(new Error(`expected to connect, got connect_error: ${error.message}`));
    const timer = setTimeout(() => done(new Error(`not connected after ${ms} ms`)), ms);
    client.once('connect', onConnect);
    client.once('connect_error', onError);
  });
}

/** HS256 over a payload given as JSON text: jsonwebtoken itself chokes on an own `__proto__` key. */
export function signRaw(payloadJson: string, secret = SECRET): string {
  const encode = (text: string) => Buffer.from(text).toString('base64url');
  const input = `${encode('{"alg":"HS256","typ":"JWT"}')}.${encode(payloadJson)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Everything a child process writes, and how it ended. */
export function outputOf(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// ───────────────────────────── both modes, one server ─────────────────────────────

export type Mode = 'handshake' | 'message';
export const MODES: readonly Mode[] = ['handshake', 'message'];

/** What an `authenticate` acknowledgement carries. */
export type Ack = { ok: boolean; exp?: number | null; expiresInMs?: number | null; message?: string; data?: WireError['data'] };

/** Connection state recovery exists from socket.io 4.6 (the version matrix runs files on older ones too). */
export const needsRecovery = { skip: supportsRecovery() ? false : 'connection state recovery needs socket.io ≥ 4.6' };

export function authenticateWithAck(client: ClientSocket, token: unknown, ms = 3000): Promise<Ack> {
  return client.timeout(ms).emitWithAck('authenticate', { token }) as Promise<Ack>;
}


/**
 * A server in either mode. `before` runs before authorize() is installed (an app
 * middleware or listener placed first), `after` once it is.
 */
export async function serve(t: TestContext, mode: Mode, options: Partial<AuthorizeOptions> = {}, hooks: { before?: (io: Server) => void; after?: (io: Server, auth: SessionControl) => void } = {}, serverOptions = {}) {
  const auth = mode === 'handshake'
    ? authorize({ secret: SECRET, handshake: true, ...options } as HandshakeOptions)
    : authorize({ secret: SECRET, ...options } as MessageOptions);
  const h = await startServer(t, (io) => {
    hooks.before?.(io);
    if (mode === 'handshake') io.use(auth as never);
    else io.on('connection', auth as never);
    hooks.after?.(io, auth);
  }, serverOptions);
  /** Connects and authenticates in the mode's way; resolves with the connected client. */
  const login = async (token: string, clientOptions = {}) => {
    const client = h.connect('/', mode === 'handshake' ? { auth: { token }, ...clientOptions } : clientOptions);
    await connected(client);
    if (mode === 'message') {
      const ack = await authenticateWithAck(client, token);
      assert.equal(ack.ok, true, `authenticate refused: ${ack.data?.reason}`);
    }
    return client;
  };
  return { ...h, auth, login };
}

