import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { SignJWT } from 'jose';
import assert from 'node:assert/strict';
import { authorize, type HandshakeOptions, type JsonWebKey, type JwtClaims, type MessageOptions } from '../src/index.js';
import { connected, next, refusal, startServer, type Harness, type WireError } from './support.js';

export const ISSUER = 'https://login.example';
export const AUDIENCE = 'chat';

/** Signs with jose, independent of the fast-jwt that verifies. One hour of validity unless `exp` is given. */
export function signJose(key: KeyObject | Uint8Array, header: { alg: string; [parameter: string]: unknown }, payload: Record<string, unknown> = {}): Promise<string> {
  const jwt = new SignJWT({ sub: 'u-1', iss: ISSUER, aud: AUDIENCE, ...payload }).setProtectedHeader(header).setIssuedAt();
  if (!('exp' in payload)) jwt.setExpirationTime('1h');
  return jwt.sign(key);
}

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK with `kid`, `alg` and `use`, as an identity provider publishes it. */
  jwk: JsonWebKey & { kid: string; alg: string; use: string };
  sign(payload?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

type KeyPair = { privateKey: KeyObject; publicKey: KeyObject };

/**
 * A 2048-bit RSA pair takes ~200 ms to generate here. Four, handed out in turn, keep the suites
 * fast while any four consecutive RSA keys still differ.
 */
const rsaPool: KeyPair[] = [];
let rsaTurn = 0;
function pooledRsaPair(): KeyPair {
  const slot = rsaTurn++ % 4;
  return (rsaPool[slot] ??= generateKeyPairSync('rsa', { modulusLength: 2048 }));
}

const KEY_TYPES: Record<string, () => KeyPair> = {
  RS: pooledRsaPair,
  PS: pooledRsaPair,
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ES512: () => generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  EdDSA: () => generateKeyPairSync('ed25519'),
};

/** A fresh key pair for `alg`, with a `kid`, that signs its tokens with that `kid`. */
export function signingKey(alg: string, kid: string): SigningKey {
  const pair = (KEY_TYPES[alg] ?? KEY_TYPES[alg.slice(0, 2)]!)();
  const exported = pair.publicKey.export({ format: 'jwk' });
  const jwk = { ...exported, kty: exported.kty!, kid, alg, use: 'sig' };
  return {
    kid,
    alg,
    ...pair,
    jwk,
    sign: (payload = {}, header = {}) => signJose(pair.privateKey, { alg, kid, ...header }, payload),
  };
}

/** Changes the payload and keeps the signature: what a tamperer can do without the key. */
export function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const changed = Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url');
  return `${header}.${changed}.${signature}`;
}

export type Respond = (request: IncomingMessage, response: ServerResponse) => void;

export interface JwksServer {
  uri: string;
  /** Every request path received, in order. */
  requests: string[];
  publish(keys: readonly { jwk: object }[]): void;
  /** Replaces the normal answer (the published set) until called again with undefined. */
  respondWith(respond: Respond | undefined): void;
  /** Closes the listening socket: the endpoint refuses connections. */
  stop(): Promise<void>;
}

/** Listens on an ephemeral loopback port; `stop` (also run when the test ends) closes it and its connections. */
export async function listenOnFreePort(t: TestContext, server: HttpServer): Promise<{ port: number; stop: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // close() first: a refetch arriving between the two would otherwise hold close() open forever.
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  t.after(() => (server.listening ? stop() : undefined));
  return { port, stop };
}

/** A real JWKS endpoint on an ephemeral port that counts what it is asked. Closed when the test ends. */
export async function startJwksServer(t: TestContext, keys: readonly { jwk: object }[] = []): Promise<JwksServer> {
  let body = '';
  let override: Respond | undefined;
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (override) return override(request, response);
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  const publish = (next: readonly { jwk: object }[]) => (body = JSON.stringify({ keys: next.map((key) => key.jwk) }));
  publish(keys);
  const { port, stop } = await listenOnFreePort(t, server);
  return {
    uri: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    requests,
    publish,
    respondWith: (respond) => (override = respond),
    stop,
  };
}

/** What `run` resolved with, and how many milliseconds it took. */
export async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

/** One real server; one namespace per entry, each guarded by its own authorize() for ISSUER/AUDIENCE. */
export function serverWith(t: TestContext, namespaces: Record<string, Partial<HandshakeOptions>>, defaults: Partial<HandshakeOptions> = { issuer: ISSUER, audience: AUDIENCE }): Promise<Harness> {
  return startServer(t, (io) => {
    for (const [name, options] of Object.entries(namespaces)) {
      const nsp = io.of(`/${name}`);
      nsp.use(authorize({ handshake: true, ...defaults, ...options } as HandshakeOptions));
      nsp.on('connection', (socket) => socket.on('whoami', (ack: (claims: unknown) => void) => ack(socket.data.decoded_token)));
    }
  });
}

/** Connects to namespace `name` with `token` and returns the claims the server attached. */
export async function accepted(h: Harness, name: string, token: string): Promise<JwtClaims> {
  const client = h.connect(`/${name}`, { auth: { token } });
  await connected(client);
  return (await client.emitWithAck('whoami')) as JwtClaims;
}

/** Connects to namespace `name` with `token` and returns the refusal's data. */
export async function refused(h: Harness, name: string, token: string): Promise<WireError['data']> {
  return (await refusal(h.connect(`/${name}`, { auth: { token } }))).data;
}

/**
 * Message mode with a key set: a token signed by `key` authenticates, and one naming
 * `unknownKid` is refused with `no_matching_key`.
 */
export async function assertMessageModeSelectsByKid(t: TestContext, options: Partial<MessageOptions>, key: SigningKey, unknownKid: string): Promise<void> {
  const h = await startServer(t, (io) => {
    io.on('connection', authorize({ issuer: ISSUER, audience: AUDIENCE, ...options } as MessageOptions));
  });
  const good = h.connect('/');
  await next(good, 'connect');
  const authenticated = next(good, 'authenticated');
  good.emit('authenticate', { token: await key.sign() });
  await authenticated;

  const bad = h.connect('/');
  await next(bad, 'connect');
  const unauthorized = next<[WireError]>(bad, 'unauthorized');
  bad.emit('authenticate', { token: await key.sign({}, { kid: unknownKid }) });
  const [error] = await unauthorized;
  assert.deepEqual([error.data.code, error.data.reason], ['invalid_token', 'no_matching_key']);
}
