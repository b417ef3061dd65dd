/**
 * Property-based fuzzing of sockjwt with fast-check, shared by the bounded run in `npm test`
 * (test/fuzz.test.ts) and the long one (`npm run fuzz`, test/fuzz/run.ts).
 *
 * Invariants, checked on every run:
 * 1. no exception escapes: no uncaught exception or unhandled rejection in the server process;
 * 2. no invalid token is admitted: every token sockjwt admits also verifies with jsonwebtoken
 *    (an independent implementation) under the same key, algorithms, issuer and audience;
 * 3. no valid token is refused: a freshly signed, well-formed token is admitted (at the
 *    verification layer; on the wire its source competes with the other generated ones);
 * 4. every refusal is documented: `type: 'UnauthorizedError'`, a code of ERROR_CODES, a reason of
 *    ERROR_REASONS;
 * 5. nothing is left behind: once every client has gone, no socket, live session or timer remains.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { Server, type Socket } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { authorize, ERROR_CODES, ERROR_REASONS, type AuthorizeOptions, type SessionControl } from '../../src/index.js';
import { buildContext } from '../../src/config/build-context.js';

export const SECRET = 'fuzzing-secret-of-reasonable-length';
export const ISSUER = 'https://login.example';
export const AUDIENCE = 'chat';
const ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface FuzzRuns {
  /** Runs of the in-process property (token strings straight into the verification path). */
  tokens: number;
  /** Runs of the handshake property (a real client per run). */
  handshakes: number;
  /** Runs of the message-mode property (a real client per run). */
  messages: number;
  seed?: number;
}

export interface FuzzReport {
  runs: FuzzRuns & { seed: number };
  admitted: number;
  refused: number;
  reasons: Record<string, number>;
}

// ---------------------------------------------------------------- arbitraries

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function signRaw(headerSegment: string, payloadSegment: string, alg: string = 'HS256', key: string = SECRET): string {
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] ?? 'sha256';
  const input = `${headerSegment}.${payloadSegment}`;
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
}

/** Claims that a correct verifier admits. */
const validClaims = fc.record({
  sub: fc.string({ minLength: 1, maxLength: 20 }),
  iss: fc.constant(ISSUER),
  aud: fc.oneof(fc.constant(AUDIENCE), fc.constant([AUDIENCE, 'other'])),
  exp: fc.integer({ min: 120, max: 10 ** 6 }).map((ahead) => nowSeconds() + ahead),
  iat: fc.integer({ min: 0, max: 10 ** 6 }).map((ago) => nowSeconds() - ago),
  name: fc.option(fc.string(), { nil: undefined }),
}, { requiredKeys: ['sub', 'iss', 'aud', 'exp'] });

const validToken = fc.tuple(validClaims, fc.constantFrom(...ALGORITHMS)).map(([claims, alg]) => signRaw(b64({ alg, typ: 'JWT' }), b64(claims), alg));

/** Claims anywhere between right and absurd: any JSON value, or registered claims of any type. */
const anyClaims = fc.oneof(
  fc.jsonValue(),
  fc.record({
    sub: fc.oneof(fc.string(), fc.jsonValue()),
    iss: fc.oneof(fc.constant(ISSUER), fc.string(), fc.jsonValue()),
    aud: fc.oneof(fc.constant(AUDIENCE), fc.array(fc.string()), fc.jsonValue()),
    exp: fc.oneof(fc.integer().map((delta) => nowSeconds() + delta), fc.double(), fc.jsonValue()),
    nbf: fc.oneof(fc.integer().map((delta) => nowSeconds() + delta), fc.jsonValue()),
    iat: fc.oneof(fc.integer().map((delta) => nowSeconds() + delta), fc.jsonValue()),
  }, { requiredKeys: [] }),
);

/** Headers anywhere between right and hostile: other algs (any casing), crit, b64, jku, typ, any JSON. */
const anyHeader = fc.oneof(
  fc.record({
    alg: fc.oneof(fc.constantFrom('HS256', 'HS384', 'HS512', 'none', 'RS256', 'ES256', 'PS256', 'EdDSA'), fc.mixedCase(fc.constant('none')), fc.jsonValue()),
    typ: fc.option(fc.oneof(fc.constant('JWT'), fc.string(), fc.jsonValue()), { nil: undefined }),
    kid: fc.option(fc.oneof(fc.string(), fc.jsonValue()), { nil: undefined }),
    crit: fc.option(fc.oneof(fc.array(fc.constantFrom('b64', 'exp', 'alg', 'x')), fc.jsonValue()), { nil: undefined }),
    b64: fc.option(fc.boolean(), { nil: undefined }),
    jku: fc.option(fc.webUrl(), { nil: undefined }),
  }, { requiredKeys: ['alg'] }),
  fc.jsonValue(),
);

/** Takes a valid token and breaks it a little: the cases that get furthest into a verifier. */
const mutatedToken = fc.tuple(validToken, fc.nat(), fc.constantFrom('flip', 'insert', 'delete', 'truncate', 'swap', 'dot', 'case')).map(([token, at, how]) => {
  const i = at % token.length;
  switch (how) {
    case 'flip': return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
    case 'insert': return token.slice(0, i) + '.' + token.slice(i);
    case 'delete': return token.slice(0, i) + token.slice(i + 1);
    case 'truncate': return token.slice(0, i);
    case 'swap': { const [h, p, s] = token.split('.'); return `${p}.${h}.${s}`; }
    case 'dot': return token.replace(/\./g, i % 2 ? '..' : '');
    default: return i % 2 ? token.toUpperCase() : token.toLowerCase();
  }
});

/** Every kind of token the properties try. */
export const anyToken: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: validToken, weight: 2 },
  { arbitrary: mutatedToken, weight: 3 },
  // A correct signature over a header and payload of any shape.
  { arbitrary: fc.tuple(anyHeader, anyClaims).map(([header, claims]) => signRaw(b64(header), b64(claims), ALGORITHMS.find((alg) => alg === (header as { alg?: unknown } | null)?.alg) ?? 'HS256')), weight: 3 },
  // Wrong key, or no signature at all.
  { arbitrary: fc.tuple(validClaims, fc.string({ minLength: 1 })).map(([claims, key]) => signRaw(b64({ alg: 'HS256' }), b64(claims), 'HS256', key)), weight: 1 },
  { arbitrary: validClaims.map((claims) => `${b64({ alg: 'none' })}.${b64(claims)}.`), weight: 1 },
  // Text that only looks like a JWT, or nothing like one.
  { arbitrary: fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 5 }).map((parts) => parts.join('.')), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 300 }), weight: 1 },
  { arbitrary: fc.string({ minLength: 8000, maxLength: 9000 }), weight: 1 },
  { arbitrary: fc.anything(), weight: 2 },
);

// ---------------------------------------------------------------- oracle

/** jsonwebtoken's opinion at `atMs`, under the options every fuzzed namespace uses. */
export function independentlyValid(token: unknown, atMs = Date.now()): boolean {
  if (typeof token !== 'string') return false;
  try {
    const payload = jwt.verify(token, SECRET, { algorithms: [...ALGORITHMS], issuer: ISSUER, audience: AUDIENCE, clockTimestamp: Math.floor(atMs / 1000) });
    return typeof payload === 'object' && payload !== null;
  } catch {
    return false;
  }
}

/**
 * Valid at some instant between `sinceMs` and now. sockjwt decided in between; a token whose
 * `exp` or `nbf` falls in that interval is valid at one end or the other (the interval is far
 * shorter than the one-second resolution of the claims), so this never blames a race on sockjwt.
 */
function validDuring(token: unknown, sinceMs: number): boolean {
  return independentlyValid(token, sinceMs) || independentlyValid(token);
}

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);
const REASONS: ReadonlySet<string> = new Set(ERROR_REASONS);

interface WireError {
  message?: unknown;
  data?: { message?: unknown; code?: unknown; reason?: unknown; type?: unknown };
}

function assertDocumented(error: WireError | undefined, report: FuzzReport): false {
  const data = error?.data;
  assert.equal(data?.type, 'UnauthorizedError', `refusal without a documented shape: ${JSON.stringify(error)}`);
  assert.ok(CODES.has(String(data.code)), `undocumented code ${String(data.code)}`);
  assert.ok(REASONS.has(String(data.reason)), `undocumented reason ${String(data.reason)}`);
  assert.equal(typeof data.message, 'string');
  report.refused++;
  report.reasons[String(data.reason)] = (report.reasons[String(data.reason)] ?? 0) + 1;
  return false;
}

// ---------------------------------------------------------------- the server under test

const COMMON: Partial<AuthorizeOptions> = { issuer: ISSUER, audience: AUDIENCE, algorithms: [...ALGORITHMS] };
/** A static key, and the same key through a secret function (its own path, with a timeout). */
const KEYS: Record<string, Partial<AuthorizeOptions>> = {
  static: { secret: SECRET },
  // A long secretTimeoutMs: a timer left armed after an answer would still be there at the end.
  fn: { secret: async () => SECRET, secretTimeoutMs: 60_000 },
};

interface Target {
  url: string;
  /** Resolves once no engine.io connection is open any more. */
  idle(): Promise<void>;
  controls: SessionControl[];
  /** Tokens of admitted sockets that jsonwebtoken refuses: must stay empty. */
  wronglyAdmitted: unknown[];
  io: Server;
  close(): Promise<void>;
}

async function startTarget(): Promise<Target> {
  const http = createServer();
  const io = new Server(http, { maxHttpBufferSize: 1e6 });
  const controls: SessionControl[] = [];
  const wronglyAdmitted: unknown[] = [];
  const check = (socket: Socket) => {
    const token = (socket as unknown as { encoded_token?: unknown }).encoded_token;
    if (!validDuring(token, socket.handshake.issued)) wronglyAdmitted.push(token);
  };
  for (const [name, keys] of Object.entries(KEYS)) {
    const handshake = authorize({ ...COMMON, ...keys, handshake: true } as AuthorizeOptions);
    io.of(`/h-${name}`).use(handshake as Parameters<Server['use']>[0]).on('connection', check);
    const message = authorize({ ...COMMON, ...keys, timeout: 5000, callback: false } as AuthorizeOptions);
    io.of(`/m-${name}`).on('connection', message as (socket: Socket) => void).on('authenticated', check);
    controls.push(handshake, message);
  }
  let open = 0;
  let onIdle: (() => void) | undefined;
  io.engine.on('connection', (connection: { once(event: 'close', listener: () => void): void }) => {
    open++;
    connection.once('close', () => {
      if (--open === 0) onIdle?.();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    idle: () => (open === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onIdle = resolve))),
    controls,
    wronglyAdmitted,
    io,
    close: () => io.close(),
  };
}

function client(url: string, options: object): ClientSocket {
  return connectClient(url, { forceNew: true, reconnection: false, transports: ['websocket'], ...options });
}

function once<T = unknown>(socket: ClientSocket, events: string[], ms = 5000): Promise<[string, T]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`none of ${events.join(', ')} within ${ms} ms`)), ms);
    for (const event of events) {
      socket.once(event, (value: T) => {
        clearTimeout(timer);
        resolve([event, value]);
      });
    }
  });
}

// ---------------------------------------------------------------- properties

/** Where a handshake may carry its token, and everything else a client can put in a handshake. */
export const handshakeInput = fc.record({
  nsp: fc.constantFrom('static', 'fn'),
  auth: fc.oneof(
    anyToken.map((token) => ({ token })),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.anything({ maxDepth: 2 })),
    fc.constant(undefined),
  ),
  // Only what HTTP can carry: a header value Node would refuse to send never reaches a server.
  authorization: fc.option(fc.oneof(
    anyToken.map((token) => `Bearer ${asText(token)}`),
    fc.tuple(fc.mixedCase(fc.constant('bearer')), fc.string({ maxLength: 3 }), validToken).map(([scheme, space, token]) => `${scheme}${space}${token}`),
    fc.string({ unit: 'binary', maxLength: 200 }),
  ).map((value) => value.replace(/[^\t\x20-\x7e]/g, '?')), { nil: undefined }),
  // Query values are percent-encoded by the client, which needs well-formed UTF-16; and a URL
  // longer than Node's 16 KiB header limit is refused by HTTP before socket.io sees it.
  query: fc.option(fc.oneof(
    anyToken.map((token) => ({ token: wellFormed(asText(token)).slice(0, 2000) })),
    fc.dictionary(fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 50 })).map((query) =>
      Object.fromEntries(Object.entries(query).map(([key, value]) => [wellFormed(key), wellFormed(value)]))),
  ), { nil: undefined }),
});

/** Runs every property; throws (with fast-check's counterexample) when an invariant breaks. */
export async function fuzz(runs: FuzzRuns): Promise<FuzzReport> {
  const seed = runs.seed ?? Date.now() % 2 ** 31;
  const report: FuzzReport = { runs: { ...runs, seed }, admitted: 0, refused: 0, reasons: {} };
  const escaped: unknown[] = [];
  const onEscape = (error: unknown) => escaped.push(error);
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  const target = await startTarget();
  const timersBefore = countTimers();
  try {
    // 1. The verification path alone: any value as a token.
    const authenticate = buildContext({ ...COMMON, secret: SECRET, handshake: true } as never).checkToken;
    const request = {} as IncomingMessage;
    // jsonwebtoken is laxer in places (an empty `crit`, a string `iat`), so "must admit" is
    // asserted for the tokens made well-formed on purpose, "must not admit" for all.
    const tokens = fc.oneof(validToken.map((token) => ({ token, wellFormed: true })), anyToken.map((token) => ({ token, wellFormed: false })));
    await fc.assert(fc.asyncProperty(tokens, async ({ token, wellFormed }) => {
      const started = Date.now();
      let admitted = false;
      try {
        await authenticate(request, token);
        admitted = true;
      } catch (error) {
        assert.ok(!wellFormed, `refused a valid token (${(error as Error).message}): ${asText(token)}`);
        assertDocumented(error as WireError, report);
      }
      if (!admitted) return;
      assert.ok(validDuring(token, started), `admitted a token jsonwebtoken refuses: ${asText(token)}`);
      report.admitted++;
    }), { numRuns: runs.tokens, seed });

    // 2. Handshakes: auth objects, Authorization headers and query strings of any kind.
    await fc.assert(fc.asyncProperty(handshakeInput, async (input) => {
      const options: Record<string, unknown> = {};
      if (input.auth !== undefined) options['auth'] = input.auth;
      if (input.authorization !== undefined) options['extraHeaders'] = { authorization: input.authorization };
      if (input.query !== undefined) options['query'] = input.query;
      const socket = client(`${target.url}/h-${input.nsp}`, options);
      try {
        const [event, value] = await once<WireError>(socket, ['connect', 'connect_error']);
        if (event === 'connect') report.admitted++;
        else assertDocumented(value, report);
      } finally {
        socket.disconnect();
      }
    }), { numRuns: runs.handshakes, seed });

    // 3. Message mode: `authenticate` with a payload of any type and size.
    const payload = fc.oneof(anyToken.map((token) => ({ token })), fc.anything(), fc.string({ minLength: 10_000, maxLength: 50_000 }).map((token) => ({ token })));
    // Once in, a second payload of any kind is a refresh: accepted only for a valid token.
    await fc.assert(fc.asyncProperty(fc.constantFrom('static', 'fn'), payload, payload, async (nsp, body, refresh) => {
      const socket = client(`${target.url}/m-${nsp}`, {});
      const authenticate = async (sent: unknown) => {
        const started = Date.now();
        const ack = (await socket.timeout(5000).emitWithAck('authenticate', sent)) as { ok?: boolean } & WireError;
        if (ack.ok !== true) return assertDocumented(ack, report);
        assert.ok(validDuring((sent as { token?: unknown } | null)?.token, started), 'admitted in message mode without a valid token');
        report.admitted++;
        return true;
      };
      try {
        await once(socket, ['connect']);
        if (await authenticate(body)) await authenticate(refresh);
      } finally {
        socket.disconnect();
      }
    }), { numRuns: runs.messages, seed });

    assert.deepEqual(target.wronglyAdmitted, [], 'sockets admitted with tokens jsonwebtoken refuses');
    await settled(target);
    await timersBackTo(timersBefore);
    assert.deepEqual(escaped, [], 'exceptions escaped');
  } finally {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
    await target.close();
  }
  return report;
}

function countTimers(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

/**
 * Closing sockets leave timers of their own for a moment (ws waits for the peer's close frame),
 * and no event says when those are gone: look again for up to 5 s, then fail with what is left.
 */
async function timersBackTo(count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (countTimers() > count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.equal(countTimers(), count, `timers left behind: ${process.getActiveResourcesInfo().join(', ')}`);
}

/** Once every client has gone: no socket in any namespace, no live session. */
async function settled(target: Target): Promise<void> {
  await target.idle();
  let sockets = 0;
  for (const nsp of target.io._nsps.values()) sockets += nsp.sockets.size;
  assert.equal(sockets, 0, 'sockets left in namespaces');
  assert.deepEqual(target.controls.map((control) => control.sessionCount), target.controls.map(() => 0), 'live sessions left');
}

/** Lone surrogates replaced: what `encodeURIComponent` accepts. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Any generated value as text, for a header, a query string or a failure message. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}
