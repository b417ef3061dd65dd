import { createCheckToken } from '../verify/check-token.js';
import { createKeySetVerifier, createTokenVerifier, type VerifyToken } from '../verify/verify.js';
import { createRemoteKeySet } from '../verify/jwks.js';
import { observerFrom } from '../observe/observer.js';
import { DEFAULT_RETENTION_MS, MemoryRevocationStore, RevocationHealth, type RevocationSettings } from '../revocation/revocation.js';
import type { SessionContext } from '../session/context.js';
import { ExpiryScheduler, type LifetimeSettings } from '../session/expiry.js';
import { FailureLimiter } from '../session/rate-limit.js';
import { refreshRule } from '../session/refresh-rules.js';
import { SessionRegistry } from '../session/session-registry.js';
import { jwksSettings } from './jwks-settings.js';
import { issuersVerifier } from './issuer-settings.js';
import { algorithmsFrom, parseOptions, typFrom, type ParsedOptions } from './parse-options.js';
import type { AuthorizeOptions } from '../types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The one context of an `authorize()`: its options parsed (parse-options.ts), then every object
 * they call for built, once, and frozen. It is handed to each socket's session; nothing on the
 * connection path decides anything about the options again.
 */
export function buildContext(options: AuthorizeOptions<unknown>): SessionContext {
  const parsed = parseOptions(options);
  const lifetime: LifetimeSettings = { ...parsed.lifetime, scheduler: new ExpiryScheduler() };
  const ctx: Omit<Mutable<SessionContext>, 'sessions'> & { sessions?: SessionRegistry } = {
    handshake: parsed.handshake,
    required: parsed.required,
    sources: Object.freeze(parsed.sources),
    timeoutMs: parsed.timeoutMs,
    callback: parsed.callback,
    tokenCookie: parsed.tokenCookie,
    names: Object.freeze(parsed.names),
    checkToken: createCheckToken(verifierFrom(options, parsed), parsed.maxTokenLength),
    revocation: revocationFrom(options, parsed),
    additionalAuth: parsed.additionalAuth,
    customDecoded: parsed.customDecoded,
    hookTimeoutMs: parsed.hookTimeoutMs,
    refreshRule: refreshRule(parsed.identity, lifetime),
    limiter: parsed.rateLimit && new FailureLimiter(parsed.rateLimit.maxFailures, parsed.rateLimit.windowMs, parsed.rateLimit.maxAddresses),
    trustedProxies: parsed.rateLimit?.trustedProxies ?? 0,
    observe: observerFrom(options.metrics, options.logger),
    identity: Object.freeze(parsed.identity),
    lifetime: Object.freeze(lifetime),
    guards: parsed.guards,
    guardsRooms: parsed.guards !== undefined && parsed.guards.rooms.length > 0,
    refreshLimit: Object.freeze(parsed.refreshLimit),
    claimsReshaped: parsed.customDecoded !== undefined,
  };
  // The registry listens to the store with this very context: built last, then all is frozen.
  ctx.sessions = new SessionRegistry(ctx as SessionContext);
  return Object.freeze(ctx as SessionContext);
}

function revocationFrom(options: AuthorizeOptions<unknown>, parsed: ParsedOptions): RevocationSettings {
  const store = parsed.revocationStore ?? new MemoryRevocationStore();
  return Object.freeze({
    store,
    memoryStore: store instanceof MemoryRevocationStore ? store : undefined,
    isRevoked: parsed.isRevoked,
    retentionMs: store.retentionMs ?? DEFAULT_RETENTION_MS,
    failMode: parsed.revocationFailMode,
    health: new RevocationHealth(parsed.revocationFailMode, options.logger),
    timeoutMs: parsed.hookTimeoutMs,
  });
}

/** Exactly one source of keys: `secret` (static or a function), a remote `jwks`, or `issuers`. */
function verifierFrom(options: AuthorizeOptions<unknown>, parsed: ParsedOptions): VerifyToken {
  const { algorithms, checks } = parsed;
  if (options.issuers !== undefined) return issuersVerifier(options, { checks, algorithms, parseAlgorithms: algorithmsFrom, parseTyp: typFrom });
  if (options.jwks !== undefined) {
    if (options.secret !== undefined) throw new TypeError('sockjwt: set either "secret" or "jwks", not both');
    const keySet = createRemoteKeySet(jwksSettings(options.jwks));
    if (options.issuer === undefined || options.audience === undefined) {
      // An identity provider's keys sign tokens for every application it serves.
      process.emitWarning('sockjwt: "jwks" without "issuer" and "audience" accepts tokens issued for any application', { code: 'SOCKJWT_JWKS_UNSCOPED' });
    }
    return createKeySetVerifier(keySet, algorithms, checks);
  }
  if (options.secret === undefined || options.secret === null) throw new TypeError('sockjwt: the "secret" (or "jwks") option is required');
  return createTokenVerifier(options.secret, algorithms, checks, { secretTimeoutMs: parsed.secretTimeoutMs, verifiedTokenCache: parsed.verifiedTokenCache });
}
