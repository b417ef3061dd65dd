// Compiled by `npm run lint`, never run: it proves the public types hold.
import { Server } from 'socket.io';
import type { IncomingMessage } from 'node:http';
import { ackRefusal, authorize, MemoryRevocationStore, roomRefusal, type AuthorizedSocketData, type SecretCallback, type ConnectionListener, type HandshakeMiddleware, type JsonWebKey, type JsonWebKeySet, type JwksOptions, type JwtClaims, type UnauthorizedErrorData } from '../src/index.js';
import { connect, type AuthenticatedSocket } from '../src/client/index.js';

interface ChatClaims extends JwtClaims {
  sub: string;
  role: 'admin' | 'member';
}
interface ClientToServer {
  message(text: string): void;
}
interface ServerToClient {
  message(from: string, text: string): void;
}

const io = new Server<ClientToServer, ServerToClient, Record<string, never>, AuthorizedSocketData<ChatClaims>>();

const middleware: HandshakeMiddleware = authorize<ChatClaims>({ secret: 'k', handshake: true, algorithms: ['HS256'] });
io.use(middleware);
io.on('connection', (socket) => {
  const role: 'admin' | 'member' = socket.data.decoded_token.role;
  socket.on('message', (text) => socket.broadcast.emit('message', socket.data.decoded_token.sub, `${role}: ${text}`));
});

const listener: ConnectionListener = authorize({ secret: 'k', timeout: 1000, callback: false });
io.of('/admin').on('connection', listener);

// customDecoded decides the claims type.
authorize({ secret: 'k', handshake: true, customDecoded: (claims) => ({ id: String(claims.sub) }) });

// Secret functions in their three styles.
authorize({ secret: (_request: IncomingMessage, decoded: JwtClaims, callback: SecretCallback) => callback(null, String(decoded['tenant'])) });
authorize({ secret: (_request, header, _payload, callback) => callback(null, header.kid ?? 'default') });
authorize({ secret: async (_request: IncomingMessage, decoded: JwtClaims) => `secret-of-${String(decoded.sub)}` });

const data: UnauthorizedErrorData = { message: 'm', code: 'invalid_token', type: 'UnauthorizedError', reason: 'expired' };
void data;

// @ts-expect-error `none` is not an Algorithm.
authorize({ secret: 'k', algorithms: ['none'] });
// @ts-expect-error `timeout` belongs to message mode.
authorize({ secret: 'k', handshake: true, timeout: 5 }).call(null);

// Live sessions: revoke() and sessionCount on what authorize() returns, typed guards.
const live = authorize<ChatClaims>({
  secret: 'k',
  handshake: true,
  isRevoked: async (claims) => claims.jti === 'gone',
  revocationStore: new MemoryRevocationStore({ maxEntries: 10 }),
  guards: { events: { 'admin:*': (claims) => claims.role === 'admin' }, rooms: { 'org:*': (_claims, room) => room.length > 0 } },
});
const dropped: Promise<number> = live.revoke({ sub: 'u', issuedBefore: new Date() });
void dropped;
const count: number = live.sessionCount;
void count;
// @ts-expect-error a rule names a jti or a sub.
void live.revoke({ iat: 1 });
io.on('connection', (socket) => {
  const refusal = roomRefusal(socket, 'org:1');
  if (refusal) socket.emit('message', 'server', ackRefusal(refusal).data.reason);
});

// The client helper: a typed socket with a session.
const client: AuthenticatedSocket<ServerToClient, ClientToServer> = connect<ServerToClient, ClientToServer>('http://localhost', {
  getToken: async () => 'token',
  mode: 'message',
});
client.emit('message', 'hi');
client.session.on('stopped', (error: Error) => void error.message);
client.session.on('unauthorized', (error) => void error.reason);

// Keys: a JWK, a JWK Set, and an array of keys for rotation.
const jwk: JsonWebKey = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' };
const jwkSet: JsonWebKeySet = { keys: [jwk] };
authorize({ secret: jwk, handshake: true });
authorize({ secret: jwkSet, handshake: true, algorithms: ['ES256'] });
authorize({ secret: ['new-secret', 'old-secret'] });
authorize({ secret: (_request, header, _payload, callback) => callback(null, header.kid === 'k1' ? jwk : null) });

// A remote JWK Set replaces `secret`.
const jwks: JwksOptions = { uri: new URL('https://login.example/.well-known/jwks.json'), cooldownMs: 30_000, headers: { 'x-api-key': 'k' } };
authorize({ handshake: true, jwks, issuer: 'https://login.example/', audience: 'chat', algorithms: ['RS256'] });
// @ts-expect-error `uri` is a string or URL.
authorize({ handshake: true, jwks: { uri: 443 } });

// Hardening options, and the metrics entry point.
import { sockjwtMetrics } from '../src/metrics/index.js';
import type { RateLimitOptions, SockjwtEvent, SockjwtLogger } from '../src/index.js';
const rateLimit: RateLimitOptions = { maxFailures: 5, windowMs: 60_000, maxAddresses: 1000, trustedProxies: 1 };
const pinoLike: SockjwtLogger = { warn: (_object, _message) => {}, info: () => {}, debug: () => {} };
authorize({
  secret: 'k', handshake: true, typ: 'at+jwt', secretTimeoutMs: 1000, rateLimit,
  refreshLimit: { max: 5, windowMs: 10_000 }, metrics: sockjwtMetrics(), logger: pinoLike,
});
authorize({ secret: 'k', metrics: { observe: (event: SockjwtEvent) => void (event.event === 'refused' && event.reason) } });
// @ts-expect-error a reason outside ERROR_REASONS is not an event
const wrongEvent: SockjwtEvent = { event: 'refused', stage: 'connect', code: 'x', reason: 'bogus', nsp: '/', address: 'a' };
void wrongEvent;
const limitedData: UnauthorizedErrorData = { message: 'm', code: 'unknown', type: 'UnauthorizedError', reason: 'rate_limited', retryAfterMs: 1000 };
void limitedData;

// socketio-jwt's forms: an inline secret function's parameters are typed by the context, in
// every form, and are not `any`.
import type { AdditionalAuthError, IOptions, ISocketIOMiddleware } from '../src/index.js';
import { UnauthorizedError } from '../src/index.js';
authorize({
  secret: (request, decoded, callback) => {
    const url: string | undefined = request.url;
    const sub: string | undefined = decoded.sub;
    // @ts-expect-error the request is an IncomingMessage, not any
    void request.nope;
    callback(null, `${url}${sub}`);
  },
});
authorize({ handshake: true, secret: (_request, decoded) => (decoded.iss === 'a' ? 'k' : null) });
authorize({ handshake: true, secret: async (_request, decoded) => `k-${String(decoded['tenant'])}` });
authorize({
  handshake: true,
  secret: (_request, header, payload, callback) => {
    const kid: string | undefined = header.kid;
    const exp: number | undefined = payload.exp;
    // @ts-expect-error the callback takes a key, not a number
    callback(null, exp);
    callback(null, kid ?? null);
  },
});
// @ts-expect-error a secret function gives a key, not a number
authorize({ secret: async () => 42 });
// onError's object form; its code is optional.
const refusalObject: AdditionalAuthError = { message: 'no' };
authorize({ secret: 'k', additional_auth: (_d, _ok, onError) => onError(refusalObject) });
// `cookie` in message mode still gives a connection listener.
io.on('connection', authorize({ secret: 'k', cookie: 'token' }));
// Options whose mode is not known statically: usable both ways, as socketio-jwt typed them.
const anyMode: IOptions = { secret: 'k' };
const legacyMiddleware: ISocketIOMiddleware = authorize(anyMode);
io.use(legacyMiddleware);
io.on('connection', authorize(anyMode));
// Both constructors.
const legacyError = new UnauthorizedError('banned', { message: 'no' });
const currentError = new UnauthorizedError('invalid_token', 'expired', 'jwt expired', { cause: legacyError });
void currentError;
// @ts-expect-error the four-argument form names a reason
void new UnauthorizedError('invalid_token', 'no-such-reason', 'm');
// Several issuers (issue 17): OpenID Connect discovery, a key set or static keys per issuer.
import type { IssuerOptions } from '../src/index.js';
const issuers: IssuerOptions[] = [
  { issuer: 'https://login.example/', discovery: true, audience: 'chat', typ: 'at+jwt' },
  { issuer: 'https://tenant.example/', discovery: { cacheMaxAgeMs: 60_000 }, algorithms: ['RS256'] },
  { issuer: 'urn:jobs', secret: 'a-shared-secret-of-reasonable-length', algorithms: ['HS256'] },
];
authorize({ handshake: true, issuers });
// @ts-expect-error an issuer's secret is keys, not a function.
authorize({ handshake: true, issuers: [{ issuer: 'x', secret: () => 'k' }] });
// @ts-expect-error `discovery` has no `uri`: the issuer is the address.
authorize({ handshake: true, issuers: [{ issuer: 'https://login.example/', discovery: { uri: 'https://x' } }] });
