import type { CheckToken } from '../verify/check-token.js';
import type { Observe } from '../observe/observer.js';
import type { IdentitySettings, RevocationSettings } from '../revocation/revocation.js';
import type { CustomDecoded } from './app-hooks.js';
import type { CompiledGuards } from './claim-guards.js';
import type { LifetimeSettings } from './expiry.js';
import type { FailureLimiter } from './rate-limit.js';
import type { RefreshRule } from './refresh-rules.js';
import type { SessionRegistry } from './session-registry.js';
import type { AdditionalAuth, JwtClaims, RefreshLimitOptions } from '../types.js';

/** A verified token, its verified payload, and the claims the app asked to keep for it. */
export interface Identity<Claims = JwtClaims> {
  /** Undefined only for a socket socket.io recovered, whose token this process never saw. */
  token: string | undefined;
  /** The verified JWT payload: expiry, revocation and refresh look at this. */
  payload: JwtClaims;
  /** What goes on the socket: the payload, or what `customDecoded` made of it. */
  claims: Claims;
}

/** Where a handshake token may come from. */
export interface TokenSources {
  /** Only `Authorization: Bearer`. */
  authHeaderRequired: boolean;
  /** The `token` query parameter. */
  query: boolean;
  /** Name of a cookie holding the token, if any. */
  cookie: string | undefined;
}

/** Property names chosen by `decodedPropertyName` / `encodedPropertyName`. */
export interface PropertyNames {
  decoded: string;
  encoded: string;
}

/**
 * Everything one `authorize()` decided, built once (config/build.ts) and frozen: every session
 * of every socket reads its settings here, and nothing on the connection path decides again.
 */
export interface SessionContext {
  /** `handshake: true`: the token comes with the connection; else in an `authenticate` message. */
  readonly handshake: boolean;
  /** False with `required: false`: a socket without a token is admitted anonymously. */
  readonly required: boolean;
  /** Handshake mode: where the token may be. */
  readonly sources: TokenSources;
  /** Message mode: how long (ms) a socket is held waiting for `authenticate`. */
  readonly timeoutMs: number;
  /** Message mode: false, disconnect a refused socket at once; else ms to wait for the client's acknowledgement of `unauthorized`. */
  readonly callback: false | number;
  /** Message mode's `cookie` option: the handshake cookie read when `authenticate` carries no token. */
  readonly tokenCookie: string | undefined;
  readonly names: PropertyNames;

  /** The token itself: shape, signature, registered claims (verify/). */
  readonly checkToken: CheckToken;
  readonly revocation: RevocationSettings;
  readonly additionalAuth: AdditionalAuth | undefined;
  readonly customDecoded: CustomDecoded | undefined;
  /** How long (ms) `additional_auth` and `customDecoded` may take. */
  readonly hookTimeoutMs: number;
  /** What a refresh must keep: the identity, an expiry. */
  readonly refreshRule: RefreshRule;
  /** `rateLimit`: failed authentications per address. */
  readonly limiter: FailureLimiter | undefined;
  /** From `rateLimit.trustedProxies`: which address the limit and the logs see. */
  readonly trustedProxies: number;
  /** `metrics` and `logger`, composed; undefined when neither is set. */
  readonly observe: Observe | undefined;

  readonly identity: IdentitySettings;
  readonly lifetime: LifetimeSettings;
  readonly guards: CompiledGuards | undefined;
  /** Guards on rooms: `socket.join()` is gated. */
  readonly guardsRooms: boolean;
  readonly refreshLimit: Required<RefreshLimitOptions>;
  /** True when `customDecoded` reshapes claims: stored claims then cannot be re-checked on recovery. */
  readonly claimsReshaped: boolean;
  /** The live sessions of this `authorize()`. */
  readonly sessions: SessionRegistry;
}
