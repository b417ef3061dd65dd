// sockjwt's public types, every one, in one module that imports none of sockjwt's own: every
// layer may name them without a cycle, and a reader finds the whole vocabulary here.
import type { IncomingMessage } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { Namespace, Server, Socket } from 'socket.io';

// ───────────────────────────── The JOSE vocabulary ─────────────────────────────

/** Registered JWT claims (RFC 7519 §4.1) plus whatever the issuer adds. */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

/** The decoded JOSE header, as handed to a four-parameter secret function. */
export interface JwtHeader {
  alg: string;
  typ?: string;
  kid?: string;
  [parameter: string]: unknown;
}

export type Algorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA';

/**
 * A JSON Web Key (RFC 7517): public (`RSA`, `EC`, `OKP`) or symmetric (`oct`). When it names
 * an `alg`, only that algorithm is accepted with it; a `use` other than `sig` is refused.
 */
export interface JsonWebKey {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  crv?: string;
  [parameter: string]: unknown;
}

/** A JSON Web Key Set, as a JWKS endpoint serves it. Its members must be public keys. */
export interface JsonWebKeySet {
  keys: JsonWebKey[];
}

/** A shared secret (string or Buffer), a PEM public key, a node:crypto KeyObject, or a JWK. */
export type KeyMaterial = string | Buffer | KeyObject | JsonWebKey;

// ───────────────────────────── Errors: what a refused client receives ─────────────────────────────

/**
 * The codes socketio-jwt clients already switch on, plus `authentication_timeout` and
 * `forbidden` (a claim guard refused an event or room).
 * App hooks (`additional_auth`) may add their own codes; those pass through unchanged.
 */
export type ErrorCode =
  | 'invalid_token'
  | 'credentials_required'
  | 'credentials_bad_format'
  | 'missing_authorization_header'
  | 'invalid_secret'
  | 'authentication_timeout'
  | 'forbidden'
  | 'unknown';

/** A stable, machine-readable cause, finer than `code`. */
export type ErrorReason =
  | 'expired'
  | 'not_yet_valid'
  | 'malformed'
  | 'bad_signature'
  | 'algorithm_not_allowed'
  | 'no_matching_key'
  | 'claim_invalid'
  | 'too_large'
  | 'missing'
  | 'key_unavailable'
  | 'timeout'
  | 'rejected'
  | 'internal'
  | 'revoked'
  | 'revocation_unavailable'
  | 'subject_mismatch'
  | 'claim_required'
  | 'rate_limited'
  | 'session_limit'
  | 'identity_required';

/** What travels to the client: `err.data` on `connect_error`, `error.data` on `unauthorized`. */
export interface UnauthorizedErrorData {
  message: string;
  code: ErrorCode | (string & {});
  type: 'UnauthorizedError';
  reason: ErrorReason;
  /** With `rate_limited`: milliseconds after which trying again can succeed. */
  retryAfterMs?: number;
}

// ───────────────────────────── Options of `authorize()` ─────────────────────────────

export type SecretCallback = (error: unknown, secret?: KeyMaterial | null) => void;

/** A secret function gives its key through the callback, as its return value, or as a Promise. */
export type SecretResult = void | KeyMaterial | null | undefined | PromiseLike<KeyMaterial | null | undefined | void>;

/** socketio-jwt's form: `(request, decodedPayload, callback)`; may return a Promise instead. */
export type PayloadSecretFunction = (request: IncomingMessage, decoded: JwtClaims, callback: SecretCallback) => SecretResult;

/** Four parameters: `(request, header, payload, callback)`, for key selection by `kid`. */
export type HeaderSecretFunction = (request: IncomingMessage, header: JwtHeader, payload: JwtClaims, callback: SecretCallback) => SecretResult;

/**
 * What `secret` accepts as a function: either form above (called by its `length`: four
 * parameters get the header). It is one signature, not their union, because TypeScript gives an
 * inline arrow function's parameters no types from a union of signatures that differ: typed this
 * way, `(request, decoded, callback) =>` and `(request, header, payload, callback) =>` both get
 * theirs. The second and third parameters are typed to serve both forms (the payload or the
 * header; the callback or the payload). It is declared as a method so that functions annotated
 * with either form's own types (`header: JwtHeader`) are accepted too.
 */
export type SecretFunction = SecretFunctionSignature['secret'];

interface SecretFunctionSignature {
  secret(
    request: IncomingMessage,
    decodedOrHeader: JwtClaims & Partial<JwtHeader>,
    callbackOrPayload: SecretCallback & JwtClaims,
    callback: SecretCallback,
  ): SecretResult;
}

/** socketio-jwt's object form of a refusal: `onError({ code, message })`. */
export interface AdditionalAuthError {
  readonly message: string;
  readonly code?: ErrorCode | (string & {});
}

/**
 * What `additional_auth` may pass to `onError`: its message, an Error, or `{ code, message }`. The
 * message, the plain object's and an `UnauthorizedError` reach the client; another Error's text does not.
 */
export type AdditionalAuthRefusal = string | Error | AdditionalAuthError;

/**
 * `onError(message | Error | { code, message }, code?)`: the code is the second argument, else the
 * object's `code`, else `'unknown'`, as in socketio-jwt.
 */
export type AdditionalAuth = (
  decoded: JwtClaims,
  onSuccess: () => void,
  onError: (error: AdditionalAuthRefusal, code?: ErrorCode | (string & {})) => void,
) => void | PromiseLike<unknown>;

/** The `jwks` option: where the key set lives and how long its keys are trusted. */
export interface JwksOptions {
  /** URL of the JWK Set, `https:` (or `http:`, which draws a warning unless the host is loopback). Required. */
  uri: string | URL;
  /** Milliseconds a fetched key set is used without fetching it again. Default 600000 (10 min). */
  cacheMaxAgeMs?: number;
  /**
   * Milliseconds after a successful fetch during which a token with an unknown `kid` is refused
   * without fetching again; also the pause after a failed fetch. Default 30000.
   */
  cooldownMs?: number;
  /** Milliseconds one fetch may take, body included, before it counts as failed. Default 3000. */
  timeoutMs?: number;
  /**
   * When fetching fails, keep verifying with the last key set fetched for this many milliseconds
   * past `cacheMaxAgeMs`. 0 turns this off. Default 3600000 (1 h).
   */
  staleIfErrorMs?: number;
  /** Extra request headers, e.g. an API key for a private endpoint. Default: none. */
  headers?: Record<string, string>;
}

/**
 * OpenID Connect discovery for one issuer: `<issuer>/.well-known/openid-configuration` (or `url`)
 * is fetched, its `issuer` must equal the configured one exactly, and its `jwks_uri` is used. The
 * same timings as `jwks` apply, with one difference: `timeoutMs` bounds a cold discovery as a
 * whole, the document and then the key set. `true` takes the defaults.
 */
export interface DiscoveryOptions extends Omit<JwksOptions, 'uri' | 'headers' | 'timeoutMs'> {
  /**
   * Milliseconds a cold discovery may take as a whole: the document, then the key set it names,
   * under one deadline. A later refetch of either one alone has the same bound. Default 3000.
   */
  timeoutMs?: number;
  /**
   * Where the metadata document is, instead of `<issuer>/.well-known/openid-configuration`: e.g.
   * RFC 8414's `https://login.example/.well-known/oauth-authorization-server`, or an Azure AD B2C
   * policy's `https://TENANT.b2clogin.com/TENANT.onmicrosoft.com/POLICY/v2.0/.well-known/openid-configuration`.
   * An absolute http(s) URL, checked as `jwks.uri` is. The document's `issuer` must still equal
   * the configured `issuer` exactly. Default: the OpenID Connect well-known URL of the issuer.
   */
  url?: string | URL;
  /**
   * Extra request headers, e.g. an API key. Sent to the discovery document, and to its `jwks_uri`
   * only when that is on the document's or the issuer's origin: never to a key set on another
   * host the document names (to send headers there, configure `jwks: { uri, headers }` instead).
   * Default: none.
   */
  headers?: Record<string, string>;
}

/**
 * One trusted issuer of `issuers`. A token's `iss` only selects the entry whose `issuer` it
 * equals exactly; a token naming no configured issuer is refused (`claim_invalid`) before any fetch.
 */
export interface IssuerOptions {
  /** The exact `iss` of this issuer's tokens. With `discovery`, an http(s) URL. Required. */
  issuer: string;
  /** Find the keys through OpenID Connect discovery. One of `discovery`, `jwks`, `secret`. */
  discovery?: true | DiscoveryOptions;
  /** The issuer's JWKS endpoint, as the top-level `jwks` option. */
  jwks?: JwksOptions;
  /** Static keys: a key, an array of keys, or a JWK Set (no secret function). */
  secret?: KeyMaterial | readonly KeyMaterial[] | JsonWebKeySet;
  /** Required `aud` for this issuer's tokens. Default: the top-level `audience`. */
  audience?: string | RegExp | Array<string | RegExp>;
  /** Accepted `alg` values for this issuer. Default: the top-level `algorithms`. */
  algorithms?: Algorithm[];
  /** Required `typ` header for this issuer's tokens. Default: the top-level `typ`. */
  typ?: string;
}

/** Options shared by both modes. */
export interface CommonOptions<Claims = JwtClaims> {
  /**
   * Key that verifies signatures: a shared secret (string, Buffer or secret KeyObject), a PEM
   * public key or public KeyObject, a JWK, a JWK Set (key chosen by `kid`), an array of keys
   * tried in order (rotation), or a function resolving one per token. Required unless `jwks`
   * is set; setting both throws.
   */
  secret?: KeyMaterial | readonly KeyMaterial[] | JsonWebKeySet | SecretFunction;
  /**
   * Verify with public keys fetched from a JWKS endpoint (Auth0, Keycloak, Cognito...), chosen
   * by the token's `kid`. Replaces `secret`. Set `issuer` and `audience` with it.
   */
  jwks?: JwksOptions;
  /**
   * Several trusted issuers, each with its own keys (OpenID Connect `discovery`, `jwks` or a
   * static `secret`), `audience`, `algorithms` and `typ`. The token's `iss` selects one by
   * exact match. Replaces `secret`, `jwks` and `issuer`.
   */
  issuers?: IssuerOptions[];
  /**
   * Accepted `alg` values. Default: every algorithm of the key's family (HS256/384/512 for a
   * shared secret; RS/PS/ES/EdDSA for a JWK Set or `jwks`). Algorithms outside the key's
   * family are refused; `none` never is accepted.
   */
  algorithms?: Algorithm[];
  /** Required `aud` (one of these, exact string or RegExp). Setting it makes `aud` mandatory. */
  audience?: string | RegExp | Array<string | RegExp>;
  /** Required `iss`. Setting it makes `iss` mandatory. */
  issuer?: string | RegExp | Array<string | RegExp>;
  /** Required `sub`. Setting it makes `sub` mandatory. */
  subject?: string | RegExp | Array<string | RegExp>;
  /** Required `jti`. Setting it makes `jti` mandatory. */
  jwtid?: string | RegExp | Array<string | RegExp>;
  /** Required `nonce`. Setting it makes `nonce` mandatory. */
  nonce?: string | RegExp | Array<string | RegExp>;
  /** Seconds of leeway for `exp` and `nbf`. Default 0. */
  clockTolerance?: number;
  /** Maximum token age from `iat`, in seconds or a timespan string (`'2h'`). Makes `iat` mandatory. */
  maxAge?: number | string;
  /** UNSAFE: accept expired tokens. Default false. */
  ignoreExpiration?: boolean;
  /** UNSAFE: accept tokens before their `nbf`. Default false. */
  ignoreNotBefore?: boolean;
  /** Tokens longer than this many characters are refused before any parsing. Default 8192. */
  maxTokenLength?: number;
  /**
   * Remember up to this many tokens that verified, keyed on the whole token, so a client
   * reconnecting with the same token skips the signature check. Failures are never kept; an
   * entry is used only while `exp`/`nbf`/`maxAge` still hold. Static keys only (a key or an
   * array of keys; not a JWK Set, a secret function or `jwks`). Revocation and `additional_auth` still run every time.
   * Default 0 (off).
   */
  verifiedTokenCache?: number;
  /** Property of the socket (and of `socket.data`) that receives the claims. Default `'decoded_token'`. */
  decodedPropertyName?: string;
  /** Property of the socket that receives the raw token (never `socket.data`). Default `'encoded_token'`. */
  encodedPropertyName?: string;
  /** Replaces the verified claims before they are attached (sync or async). */
  customDecoded?: (decoded: JwtClaims) => Claims | PromiseLike<Claims>;
  /** Extra check after verification: call `onSuccess()` / `onError()`, or return a Promise (resolving `false` refuses). */
  additional_auth?: AdditionalAuth;
  /**
   * When false, a socket without credentials is let in anonymously (message mode: not held, no
   * timeout; handshake mode: no token is not an error). A bad token is still refused. Default true.
   */
  required?: boolean;
  /**
   * Drop an authenticated socket when its token's `exp` passes (after `clockTolerance` and
   * `expiredGraceMs`), telling the client `unauthorized` with reason `expired`. Default true.
   */
  enforceExpiry?: boolean;
  /** Extra milliseconds a live socket keeps after its token's `exp`, e.g. for a refresh in flight. Default 0. */
  expiredGraceMs?: number;
  /**
   * The app's revocation check, sync or async, at connect and at every refresh: return true
   * to refuse with reason `revoked`. `token` is undefined for a socket recovered by socket.io.
   */
  isRevoked?: IsRevoked;
  /**
   * Where `revoke()` keeps its rules. Default: a new in-memory store for this `authorize()`;
   * share one between namespaces, or use `sockjwt/redis` across nodes.
   */
  revocationStore?: RevocationStore;
  /**
   * What a revocation check that cannot answer (store unreachable, `isRevoked` throws) does:
   * `'closed'` refuses the token with reason `revocation_unavailable`; `'open'` admits it
   * unchecked, and live sockets are checked again when the store says it is back. Either way
   * the outage and the recovery are reported as process warnings. Default `'closed'`.
   */
  revocationFailMode?: RevocationFailMode;
  /** Claims required for events and rooms, checked against the socket's current claims. */
  guards?: ClaimGuards<Claims>;
  /**
   * The claim that names the user: a refresh must keep it, `revoke({ sub })` matches it, the
   * session index uses it. Numbers and strings are one identity (42 = "42"). Default `'sub'`;
   * tokens shaped like socketio-jwt's examples (`{ id, email }`) name `'id'`.
   */
  subjectClaim?: string;
  /**
   * Allow an in-band refresh between two tokens that both lack `subjectClaim`. Without an
   * identity, the refresh cannot tell Alice's token from Bob's. Default false.
   */
  refreshWithoutSubject?: boolean;
  /**
   * Milliseconds a socket may live from its first authentication, across any number of
   * refreshes; then it is dropped with reason `session_limit` and must reconnect with a fresh
   * token. Default: no cap (a socket lives as long as it keeps refreshing).
   */
  maxSessionMs?: number;
  /**
   * Required `typ` header (RFC 8725 §3.11), e.g. `'at+jwt'` so an ID token is not taken for an
   * access token. Compared case-insensitively, `application/` optional. Makes `typ` mandatory.
   */
  typ?: string;
  /**
   * Milliseconds a secret function may take to give a key; then the token is refused with
   * reason `key_unavailable`. Default 3000. (`jwks` has its own `timeoutMs`.)
   */
  secretTimeoutMs?: number;
  /**
   * Milliseconds each app hook may take: `isRevoked` and the revocation store (then the check
   * counts as unable to answer: reason `revocation_unavailable`, or admitted under
   * `revocationFailMode: 'open'`), `additional_auth` and `customDecoded` (reason `timeout`).
   * Default 3000.
   */
  hookTimeoutMs?: number;
  /** Throttle failed authentications per client address (reason `rate_limited`). Default: off. */
  rateLimit?: RateLimitOptions;
  /** In-band refreshes a live socket may send per window. Default `{ max: 10, windowMs: 60000 }`. */
  refreshLimit?: RefreshLimitOptions;
  /** Told of every authentication, refusal and drop: `sockjwtMetrics()` from `sockjwt/metrics`, or your own. */
  metrics?: SockjwtObserver;
  /** pino-compatible logger: refusals at `warn` with their code and reason, never the token. */
  logger?: SockjwtLogger;
}

/** Token in the handshake: `io.use(authorize({ handshake: true, ... }))`. */
export interface HandshakeOptions<Claims = JwtClaims> extends CommonOptions<Claims> {
  handshake: true;
  /** Accept only `Authorization: Bearer <token>`. Default false. */
  auth_header_required?: boolean;
  /** Accept the `token` query parameter (URLs end up in logs: prefer `auth`). Default true. */
  queryToken?: boolean;
  /** Also read the token from this cookie of the handshake request. Default: none. */
  cookie?: string;
}

/** Token in an `authenticate` message after connect: `io.on('connection', authorize({ ... }))`. */
export interface MessageOptions<Claims = JwtClaims> extends CommonOptions<Claims> {
  handshake?: false;
  /** Milliseconds the client has to authenticate. Default 5000. */
  timeout?: number;
  /**
   * Read the token from this cookie of the handshake request when `authenticate` carries none
   * (socketio-jwt read it in message mode too). A token in the message wins, so refreshes work.
   */
  cookie?: string;
  /**
   * After `unauthorized`: `false` disconnects at once; a number of ms waits that long for the
   * client's acknowledgement; unset waits for it, never longer than `timeout`.
   */
  callback?: false | number;
}

export type AuthorizeOptions<Claims = JwtClaims> = HandshakeOptions<Claims> | MessageOptions<Claims>;

/** Every option either mode accepts. */
export type OptionName = keyof HandshakeOptions | keyof MessageOptions;

// ───────────────────────────── Rate limits ─────────────────────────────

/** The `rateLimit` option: failed authentications per client address. Off unless set. */
export interface RateLimitOptions {
  /** Failed authentications an address may have within `windowMs`; the next attempt is refused. Default 10. */
  maxFailures?: number;
  /** Length of the window, in milliseconds, counted from an address's first failure. Default 60000. */
  windowMs?: number;
  /** Addresses tracked at most; beyond this, the oldest windows are forgotten first. Default 10000. */
  maxAddresses?: number;
  /**
   * Proxies in front of the server whose `X-Forwarded-For` entries are trusted: `1` takes the
   * address the nearest proxy saw. Default 0: the socket's own remote address, header ignored.
   */
  trustedProxies?: number;
}

/** The `refreshLimit` option: in-band refreshes one live socket may ask for. On by default. */
export interface RefreshLimitOptions {
  /** `authenticate` messages a live socket may send within `windowMs`; more are refused unverified. Default 10. */
  max?: number;
  /** Length of the window in milliseconds, counted from the first refresh in it. Default 60000. */
  windowMs?: number;
}

// ───────────────────────────── Claim guards ─────────────────────────────

/** Decides from the socket's current claims whether an event (or room) is allowed. */
export type ClaimPredicate<Claims = JwtClaims> = (claims: Claims, name: string) => boolean;

/**
 * Claims required for events and rooms. Keys are exact names or patterns where `*`
 * matches any run of characters (`'admin:*'`, `'org:*'`). Every matching rule must pass.
 */
export interface ClaimGuards<Claims = JwtClaims> {
  /** Events the client may emit only with these claims; a refusal answers the acknowledgement. */
  events?: Record<string, ClaimPredicate<Claims>>;
  /** Rooms the socket may be in only with these claims; `socket.join()` skips a refused room. */
  rooms?: Record<string, ClaimPredicate<Claims>>;
}

/** What an acknowledgement receives when sockjwt refuses a request. */
export interface AckRefusal {
  ok: false;
  message: string;
  data: UnauthorizedErrorData;
}

// ───────────────────────────── Revocation ─────────────────────────────

/** The app's own check, sync or async. `token` is undefined for a socket recovered by socket.io. */
export type IsRevoked = (claims: JwtClaims, token: string | undefined) => boolean | PromiseLike<boolean>;

/** `'closed'`: a check that cannot answer refuses the token. `'open'`: it admits it unchecked. */
export type RevocationFailMode = 'closed' | 'open';

/**
 * What a revocation names. Times follow their origin: `exp` is a JWT NumericDate (seconds),
 * `issuedBefore` is a JavaScript time (ms since the epoch, or a Date).
 */
export type RevocationRule =
  | {
      /** Revoke the one token with this `jti` (a number names the same token as its decimal string). */
      jti: string | number;
      /** The token's `exp` (seconds): the rule is forgotten after it. Default: the store's retention. */
      exp?: number;
    }
  | {
      /** Revoke the tokens of this subject: the value of its `subjectClaim` (`sub` by default); 42 and "42" are one subject. */
      sub: string | number;
      /** Only tokens whose `iat` is before this time (ms or Date). Default: now, i.e. every token issued so far. */
      issuedBefore?: number | Date;
      /** The latest `exp` (seconds) among the tokens concerned: the rule is forgotten after it. Default: the store's retention. */
      exp?: number;
    };

/** A rule as stores keep it: every time in ms, `issuedBefore` resolved. */
export type StoredRule =
  | { jti: string; expiresAt: number }
  | { sub: string; issuedBefore: number; expiresAt: number };

/**
 * The claims a revocation check looks at, as sockjwt hands them to a store: `jti` and `sub`
 * normalised to strings (see `normalizeIdentity` in revocation/revocation.ts), `sub` read from `subjectClaim`, `iat` (seconds)
 * already moved back by `clockTolerance`.
 */
export interface TokenRef {
  jti?: string | undefined;
  sub?: string | undefined;
  iat?: number | undefined;
}

/** A TokenRef as a direct caller of a store may write it: ids as numbers too, normalised by the store. */
export type TokenQuery = Omit<TokenRef, 'jti' | 'sub'> & { jti?: string | number | undefined; sub?: string | number | undefined };

/**
 * Where revocations live. The in-memory store serves one process; a cluster backs this
 * interface with a shared store (see `sockjwt/redis`). `subscribe` is how every
 * `authorize()` sharing a store (another namespace, another node) hears of a revocation
 * and drops its own live sockets.
 */
export interface RevocationStore {
  /** How long (ms) a rule given without `exp` is kept. Default 24 h. */
  readonly retentionMs?: number;
  add(rule: StoredRule): void | Promise<void>;
  isRevoked(token: TokenRef): boolean | Promise<boolean>;
  subscribe(listener: (rule: StoredRule) => void): () => void;
  /**
   * For a shared store whose notices can be lost (a node cut off from Redis): calls the
   * listener when rules may have been added unheard, so live sockets are checked again.
   */
  onMissedRules?(listener: () => void): () => void;
}

export interface MemoryRevocationStoreOptions {
  /** Most rules kept; beyond it the rule closest to expiry is forgotten, with a warning. Default 100,000. */
  maxEntries?: number;
  /** How long (ms) a rule without `exp` is kept. Default 24 h. */
  retentionMs?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

// ───────────────────────────── Observing: `metrics` and `logger` ─────────────────────────────

/** Where an authentication happened: the connection's first, or an in-band refresh. */
export type AuthStage = 'connect' | 'refresh';

interface SocketContext {
  /** The namespace's name. */
  nsp: string;
  /** The client's address (after `rateLimit.trustedProxies`, when set). */
  address: string;
  /** The verified subject (the `subjectClaim`, a number as its decimal string), when one is known. Never read from an unverified token. */
  sub?: string;
}

/**
 * What sockjwt reports to `metrics` and `logger`: a union keyed on `event`. No event carries a
 * token, a header or a claim other than a verified `sub`.
 */
export type SockjwtEvent =
  | (SocketContext & {
      event: 'authenticated';
      stage: AuthStage;
      /** Time spent verifying: shape, signature and claims, revocation, app hooks. */
      durationMs: number;
    })
  | (SocketContext & {
      event: 'refused';
      stage: AuthStage;
      code: string;
      reason: ErrorReason;
      /** Undefined when nothing was verified: no credentials, rate limited, timed out. */
      durationMs?: number;
      /**
       * What an app hook or a key source actually said (a secret function's error, a hook's
       * exception), for the server's logs only: the client is told sockjwt's own message.
       */
      cause?: string;
    })
  | (SocketContext & {
      /** A live socket was dropped: its token expired or was revoked. */
      event: 'dropped';
      code: string;
      reason: ErrorReason;
    })
  | (SocketContext & {
      /** An authenticated socket started (`opened`) or ended (`closed`) its live session. */
      event: 'session_opened' | 'session_closed';
    });

/** The `metrics` option: anything with `observe(event)`, such as `sockjwtMetrics()` from `sockjwt/metrics`. */
export interface SockjwtObserver {
  observe(event: SockjwtEvent): void;
}

type LogMethod = (object: object, message: string) => void;

/** The `logger` option: pino, or anything with pino's `(object, message)` methods. */
export interface SockjwtLogger {
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

// ───────────────────────────── What `authorize()` returns, and what it puts on sockets ─────────────────────────────

/** What `authorize()` returns besides the middleware: the live sessions it keeps. */
export interface SessionControl {
  /**
   * Revokes a token (`{ jti }`) or a subject's tokens (`{ sub, issuedBefore? }`): every
   * matching live socket is sent `unauthorized` (reason `revoked`) and disconnected, and
   * the tokens are refused until they expire. Resolves with the number of sockets dropped
   * by this `authorize()` (other namespaces and nodes sharing the store drop theirs).
   *
   * @example
   * ```ts
   * await auth.revoke({ jti: claims.jti });          // one token (a logout)
   * await auth.revoke({ sub: 'user-42' });           // every token of a user issued until now
   * ```
   */
  revoke(rule: RevocationRule): Promise<number>;
  /** Authenticated sockets currently live under this `authorize()`. */
  readonly sessionCount: number;
  /**
   * Guards a namespace (a Server: its main one) from now on, instead of from its first
   * connection: connection state recovery, and each socket taken in hand before any `connect`
   * or `connection` listener of the app's (held, in message mode). Call it at startup, after
   * installing the adapter, for each namespace this `authorize()` serves: a client recovering to
   * a node that no client has reached yet (the Redis Streams adapter keeps sessions in Redis)
   * would otherwise skip every check, and the namespace's first socket would reach the app's
   * `connect` listeners before sockjwt.
   */
  watch(target: Namespace | Server): void;
}

/**
 * `io.use()` middleware: socket.io's CONNECT is answered only once the token has verified.
 * It also carries the live sessions it admitted (`revoke()`, `sessionCount`).
 */
export type HandshakeMiddleware = ((socket: Socket<any, any, any, any>, next: (err?: Error) => void) => void) & SessionControl;

/** `io.on('connection')` listener for the two-round-trip flow; carries `revoke()` and `sessionCount`. */
export type ConnectionListener = ((socket: Socket<any, any, any, any>) => void) & SessionControl;

/**
 * The shape sockjwt gives `socket.data`, for socket.io's fourth generic:
 * `new Server<C2S, S2C, InterServer, AuthorizedSocketData<MyClaims>>()`.
 */
export type AuthorizedSocketData<Claims = JwtClaims, Name extends string = 'decoded_token'> = {
  [K in Name]: Claims;
};

/**
 * What the client is told of its socket's lifetime, with `authenticated` and in the
 * acknowledgement of a refresh. `expiresInMs` is the server's own count (its clock, every
 * limit applied: `exp`, `maxAge`, `maxSessionMs`), so a client schedules its refresh without
 * trusting its own clock.
 */
export interface LifetimeNotice {
  /** The token's `exp` (seconds), or null if it has none. */
  exp: number | null;
  /** Milliseconds until the server drops the socket unless it refreshes; null when never. */
  expiresInMs: number | null;
}

/** What the client's `authenticate` acknowledgement receives on success. */
export interface AckAccepted extends LifetimeNotice {
  ok: true;
}

// ───────────────────────────── socketio-jwt 4.6.2's type names ─────────────────────────────

// The names socketio-jwt 4.6.2's types/index.d.ts exported, so its TypeScript users change only the import.

/** @deprecated socketio-jwt's name for the options: use `AuthorizeOptions` (or `HandshakeOptions` / `MessageOptions`). */
export type IOptions = AuthorizeOptions;

/** @deprecated socketio-jwt's name for a secret function's callback: use `SecretCallback`. */
export type ISocketCallback = SecretCallback;

/**
 * @deprecated socketio-jwt's `{ code, message }`, as given to a secret function's callback or to
 * `additional_auth`'s `onError`: use `AdditionalAuthError`.
 */
export interface ISocketIOError {
  readonly code: string;
  readonly message: string;
}

/**
 * @deprecated socketio-jwt's middleware type: use `HandshakeMiddleware` (which also carries
 * `revoke()` and `sessionCount`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- socketio-jwt's own shape
export type ISocketIOMiddleware = (socket: Socket<any, any, any, any>, fn: (err?: any) => void) => void;

/**
 * @deprecated socketio-jwt's augmented `SocketIO.Server`. socket.io v4's `Server` already takes
 * `io.on('authenticated', (socket) => ...)`; type `socket.data` with `AuthorizedSocketData`.
 */
export type JWTServer = Server;
