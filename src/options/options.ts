import type { IncomingMessage } from 'node:http';
import type { ClaimGuards } from '../session/claim-guards.js';
import type { ErrorCode } from '../errors/errors.js';
import type { SockjwtLogger, SockjwtObserver } from '../observe/observer.js';
import type { RateLimitOptions, RefreshLimitOptions } from '../session/rate-limit.js';
import type { IsRevoked, RevocationFailMode } from '../revocation/revocation.js';
import type { RevocationStore } from '../revocation/revocation-store.js';
import type { Algorithm, JsonWebKeySet, JwtClaims, JwtHeader, KeyMaterial } from './jwt.js';

export type { Algorithm, JsonWebKey, JsonWebKeySet, JwtClaims, JwtHeader, KeyMaterial } from './jwt.js';

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
 * OpenID Connect discovery for one issuer: `<issuer>/.well-known/openid-configuration` is fetched,
 * its `issuer` must equal the configured one exactly, and its `jwks_uri` is used. The same
 * timings as `jwks` apply to the document and to the key set; `true` takes the defaults.
 */
export type DiscoveryOptions = Omit<JwksOptions, 'uri'>;

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

/** The compiler checks this against the option types: a new option cannot be forgotten, nor a removed one linger. */
const OPTION_FLAGS = {
  secret: true, jwks: true, issuers: true, algorithms: true, audience: true, issuer: true, subject: true, jwtid: true, nonce: true, clockTolerance: true, maxAge: true,
  ignoreExpiration: true, ignoreNotBefore: true, maxTokenLength: true, verifiedTokenCache: true, decodedPropertyName: true, encodedPropertyName: true,
  customDecoded: true, additional_auth: true, required: true, enforceExpiry: true, expiredGraceMs: true, isRevoked: true, revocationStore: true,
  revocationFailMode: true, guards: true, handshake: true, auth_header_required: true, queryToken: true, cookie: true,
  timeout: true, callback: true,
  typ: true, secretTimeoutMs: true, hookTimeoutMs: true, rateLimit: true, refreshLimit: true, metrics: true, logger: true,
  subjectClaim: true, refreshWithoutSubject: true, maxSessionMs: true,
} as const satisfies Record<OptionName, true>;

/** Names `authorize()` accepts; anything else is refused as a likely typo. */
export const OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys(OPTION_FLAGS));
