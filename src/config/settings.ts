import ms from 'ms';
import { numberOption } from '../util/numbers.js';
import { AuthGate } from '../session/auth-gate.js';
import { createAuthenticate, type Authenticate } from '../verify/authenticate.js';
import { compileGuards } from '../session/claim-guards.js';
import { ExpiryScheduler } from '../session/expiry-scheduler.js';
import { ALL_ALGORITHMS } from '../verify/keys.js';
import type { HandshakeSettings } from '../socket/handshake-mode.js';
import type { MessageSettings } from '../socket/message-mode.js';
import { OPTION_NAMES, type Algorithm, type AuthorizeOptions, type HandshakeOptions, type MessageOptions } from '../options/options.js';
import type { PropertyNames } from '../session/attach.js';
import { checkNotRevoked, RevocationHealth, type RevocationSettings } from '../revocation/revocation.js';
import { tokenRef, type IdentitySettings } from '../verify/identity.js';
import { refreshRule, type RefreshRule } from '../session/refresh-rules.js';
import type { LifetimeSettings } from '../session/session-lifetime.js';
import type { Socket } from 'socket.io';
import { DEFAULT_RETENTION_MS, MemoryRevocationStore, type RevocationStore } from '../revocation/revocation-store.js';
import { RECOVERY_RECORD, SessionRegistry } from '../session/session-registry.js';
import { createKeySetVerifier, createTokenVerifier, type ClaimChecks, type VerifyToken } from '../verify/verify.js';
import { createRemoteKeySet } from '../verify/jwks.js';
import { jwksSettings } from './jwks-settings.js';
import { issuersVerifier } from './issuer-settings.js';
import { observerFrom } from '../observe/observer.js';
import { FailureLimiter, type RateLimitOptions, type RefreshLimitOptions } from '../session/rate-limit.js';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_TOKEN_LENGTH = 8192;
const DEFAULT_SECRET_TIMEOUT_MS = 3000;
const DEFAULT_HOOK_TIMEOUT_MS = 3000;
const DEFAULT_RATE_LIMIT = { maxFailures: 10, windowMs: 60_000, maxAddresses: 10_000, trustedProxies: 0 };
const DEFAULT_REFRESH_LIMIT = { max: 10, windowMs: 60_000 };

/**
 * The public members of socket.io's Socket: the compiler refuses a name Socket does not
 * have, and test/seams.test.ts that a real socket (every 4.x minor) has one not listed
 * (completeness cannot be typed: apps and libraries augment Socket). With the internals
 * below and `Object.prototype`'s names, a claims property may take none of them; each
 * socket is also asked at run time (socket-session.ts), for members a newer socket.io adds.
 */
const PUBLIC_SOCKET_MEMBERS = {
  id: 1, handshake: 1, data: 1, connected: 1, recovered: 1, nsp: 1, request: 1, conn: 1, rooms: 1,
  client: 1, disconnected: 1, emit: 1, emitWithAck: 1, to: 1, in: 1, except: 1, send: 1, write: 1, join: 1, leave: 1,
  disconnect: 1, compress: 1, volatile: 1, broadcast: 1, local: 1, timeout: 1, use: 1, onAny: 1, prependAny: 1, offAny: 1,
  listenersAny: 1, onAnyOutgoing: 1, prependAnyOutgoing: 1, offAnyOutgoing: 1, listenersAnyOutgoing: 1, on: 1, once: 1,
  listeners: 1, addListener: 1, removeListener: 1, off: 1, removeAllListeners: 1,
  setMaxListeners: 1, getMaxListeners: 1, rawListeners: 1, listenerCount: 1, prependListener: 1, prependOnceListener: 1,
  eventNames: 1,
} satisfies Partial<Record<keyof Socket, 1>>;
const SOCKET_INTERNALS = [
  'pid', 'server', 'adapter', 'acks', 'fns', 'flags', 'buildHandshake', 'registerAckCallback', 'packet', 'leaveAll', 'onevent',
  'ack', 'onack', 'ondisconnect', 'dispatch', 'run', 'notifyOutgoingListeners', 'newBroadcastOperator', 'emitReserved', 'emitUntyped',
];
export const SOCKET_MEMBERS: ReadonlySet<string> = new Set([...Object.keys(PUBLIC_SOCKET_MEMBERS), ...SOCKET_INTERNALS]);

/**
 * Everything about the options is decided here, once: bad options throw a TypeError or
 * RangeError now, not at the first handshake, and the per-socket code never branches on
 * the shape of an option.
 */
export function handshakeSettings(options: HandshakeOptions<unknown>): HandshakeSettings {
  checkOptionNames(options);
  return {
    sessions: sessionsFrom(options),
    sources: {
      authHeaderRequired: options.auth_header_required === true,
      query: options.queryToken !== false,
      cookie: optionalName(options.cookie, 'cookie'),
    },
  };
}

export function messageSettings(options: MessageOptions<unknown>): MessageSettings {
  checkOptionNames(options);
  const timeoutMs = numberOption(options.timeout, 'timeout', 'positive') ?? DEFAULT_TIMEOUT_MS;
  return {
    sessions: sessionsFrom(options),
    timeoutMs,
    mode: { callback: callbackFrom(options.callback as false | number | true | undefined, timeoutMs), announceAdmission: true, tokenCookie: optionalName(options.cookie, 'cookie') },
  };
}

/** socketio-jwt treated `callback: true` like unset: wait for the acknowledgement. */
function callbackFrom(callback: false | number | true | undefined, timeoutMs: number): false | number {
  if (callback === false) return false;
  if (callback === true || callback === undefined) return timeoutMs;
  return numberOption(callback, 'callback', 'nonNegative') as number;
}

function checkOptionNames(options: AuthorizeOptions<unknown>): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('sockjwt: authorize() expects an options object');
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) throw new TypeError(`sockjwt: unknown option "${name}"`);
  }
  const mode = options.handshake === true ? 'handshake' : 'message';
  const wrongMode = mode === 'handshake' ? ['timeout', 'callback'] : ['auth_header_required', 'queryToken'];
  for (const name of wrongMode) {
    // socketio-jwt ignored these silently; migrating code keeps working, but is told.
    if (name in options) process.emitWarning(`sockjwt: option "${name}" has no effect in ${mode} mode`, { code: 'SOCKJWT_OPTION_IGNORED' });
  }
}

function sessionsFrom(options: AuthorizeOptions<unknown>): SessionRegistry {
  const checks = claimChecks(options);
  const identity = identityFrom(options, checks);
  const lifetime = lifetimeFrom(options, checks);
  const revocation = revocationFrom(options);
  const authenticate = authenticateFrom(options, checks, revocation, identity);
  return new SessionRegistry({
    authenticate,
    gate: gateFrom(options, authenticate, refreshRule(identity, lifetime), identity),
    refreshLimit: refreshLimitFrom(options.refreshLimit),
    names: propertyNames(options),
    lifetime,
    revocation,
    guards: compileGuards(options.guards),
    claimsReshaped: options.customDecoded !== undefined,
    identity,
    required: options.required !== false,
  });
}

function identityFrom(options: AuthorizeOptions<unknown>, checks: ClaimChecks): IdentitySettings {
  return {
    claim: optionalName(options.subjectClaim, 'subjectClaim') ?? 'sub',
    refreshWithoutSubject: booleanOption(options.refreshWithoutSubject, 'refreshWithoutSubject', false),
    clockToleranceSec: (checks.clockTolerance ?? 0) / 1000,
  };
}

/** One rule for a socket's end: `exp`, `iat + maxAge`, `maxSessionMs` (session-lifetime.ts). */
function lifetimeFrom(options: AuthorizeOptions<unknown>, checks: ClaimChecks): LifetimeSettings {
  const enforceExpiry = booleanOption(options.enforceExpiry, 'enforceExpiry', true);
  return {
    enforceExp: enforceExpiry && !checks.ignoreExpiration,
    maxAgeMs: enforceExpiry ? (checks.maxAge as number | undefined) : undefined,
    maxSessionMs: numberOption(options.maxSessionMs, 'maxSessionMs', 'positive'),
    clockToleranceMs: checks.clockTolerance ?? 0,
    expiredGraceMs: numberOption(options.expiredGraceMs, 'expiredGraceMs', 'nonNegative') ?? 0,
    scheduler: new ExpiryScheduler(),
  };
}

/** The failure limit and the observers, composed once around `authenticate`. */
function gateFrom(options: AuthorizeOptions<unknown>, authenticate: Authenticate<unknown>, rule: RefreshRule, identity: IdentitySettings): AuthGate {
  const observe = observerFrom(options.metrics, options.logger);
  if (options.rateLimit === undefined) return new AuthGate(authenticate, undefined, observe, 0, rule, identity);
  const limit = objectOption<RateLimitOptions>(options.rateLimit, 'rateLimit', DEFAULT_RATE_LIMIT);
  const limiter = new FailureLimiter(
    numberOption(limit.maxFailures, 'rateLimit.maxFailures', 'positiveInteger')!,
    numberOption(limit.windowMs, 'rateLimit.windowMs', 'positive')!,
    numberOption(limit.maxAddresses, 'rateLimit.maxAddresses', 'positiveInteger')!,
  );
  return new AuthGate(authenticate, limiter, observe, numberOption(limit.trustedProxies, 'rateLimit.trustedProxies', 'nonNegativeInteger')!, rule, identity);
}

function refreshLimitFrom(option: RefreshLimitOptions | undefined): Required<RefreshLimitOptions> {
  const limit = objectOption<RefreshLimitOptions>(option, 'refreshLimit', DEFAULT_REFRESH_LIMIT);
  return { max: numberOption(limit.max, 'refreshLimit.max', 'positiveInteger')!, windowMs: numberOption(limit.windowMs, 'refreshLimit.windowMs', 'positive')! };
}

function objectOption<T extends object>(value: T | undefined, option: string, defaults: Required<T>): Required<T> {
  if (value === undefined) return defaults;
  if (typeof value !== 'object' || value === null) throw new TypeError(`sockjwt: "${option}" must be an object`);
  for (const name of Object.keys(value)) {
    if (!(name in defaults)) throw new TypeError(`sockjwt: unknown option "${option}.${name}"`);
  }
  const given = Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined));
  return { ...defaults, ...given } as Required<T>;
}

function hookTimeoutFrom(options: AuthorizeOptions<unknown>): number {
  return numberOption(options.hookTimeoutMs, 'hookTimeoutMs', 'positive') ?? DEFAULT_HOOK_TIMEOUT_MS;
}

function revocationFrom(options: AuthorizeOptions<unknown>): RevocationSettings {
  const store = options.revocationStore ?? new MemoryRevocationStore();
  if (typeof store !== 'object' || store === null || !['add', 'isRevoked', 'subscribe'].every((method) => typeof (store as unknown as Record<string, unknown>)[method] === 'function')) {
    throw new TypeError('sockjwt: "revocationStore" must implement add(), isRevoked() and subscribe()');
  }
  const failMode = options.revocationFailMode ?? 'closed';
  if (failMode !== 'closed' && failMode !== 'open') throw new TypeError('sockjwt: "revocationFailMode" must be "closed" or "open"');
  return {
    store: store as RevocationStore,
    isRevoked: optionalFunction(options.isRevoked, 'isRevoked'),
    retentionMs: (store as RevocationStore).retentionMs ?? DEFAULT_RETENTION_MS,
    failMode,
    health: new RevocationHealth(failMode, options.logger),
    timeoutMs: hookTimeoutFrom(options),
  };
}

function authenticateFrom(options: AuthorizeOptions<unknown>, checks: ClaimChecks, revocation: RevocationSettings, identity: IdentitySettings) {
  return createAuthenticate({
    maxTokenLength: numberOption(options.maxTokenLength, 'maxTokenLength', 'positive') ?? DEFAULT_MAX_TOKEN_LENGTH,
    verify: verifierFrom(options, checks),
    checkNotRevoked: (payload, token) => checkNotRevoked(revocation, tokenRef(payload, identity), payload, token),
    hookTimeoutMs: hookTimeoutFrom(options),
    additionalAuth: optionalFunction(options.additional_auth, 'additional_auth'),
    customDecoded: optionalFunction(options.customDecoded, 'customDecoded'),
  });
}

/** Exactly one source of keys: `secret` (static or a function) or a remote `jwks`. */
function verifierFrom(options: AuthorizeOptions<unknown>, checks: ClaimChecks): VerifyToken {
  const algorithms = algorithmsFrom(options.algorithms);
  const cacheSize = numberOption(options.verifiedTokenCache, 'verifiedTokenCache', 'nonNegative') ?? 0;
  if (!Number.isInteger(cacheSize)) throw new RangeError('sockjwt: "verifiedTokenCache" must be a whole number of tokens');
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
  const secretTimeoutMs = numberOption(options.secretTimeoutMs, 'secretTimeoutMs', 'positive') ?? DEFAULT_SECRET_TIMEOUT_MS;
  return createTokenVerifier(options.secret, algorithms, checks, { secretTimeoutMs, verifiedTokenCache: cacheSize });
}

function algorithmsFrom(algorithms: readonly string[] | undefined, option = 'algorithms'): Algorithm[] | undefined {
  if (algorithms === undefined) return undefined;
  if (!Array.isArray(algorithms) || algorithms.length === 0) throw new TypeError(`sockjwt: "${option}" must be a non-empty array`);
  for (const algorithm of algorithms) {
    if (typeof algorithm === 'string' && algorithm.toLowerCase() === 'none') {
      throw new TypeError('sockjwt: the "none" algorithm is never accepted');
    }
    if (!ALL_ALGORITHMS.has(algorithm)) throw new TypeError(`sockjwt: unsupported algorithm "${String(algorithm)}"`);
  }
  return [...algorithms] as Algorithm[];
}

/** jsonwebtoken's claim options in fast-jwt's terms. Any claim that is checked is also required. */
function claimChecks(options: AuthorizeOptions<unknown>): ClaimChecks {
  const checks: ClaimChecks = {
    clockTolerance: (numberOption(options.clockTolerance, 'clockTolerance', 'nonNegative') ?? 0) * 1000,
    ignoreExpiration: options.ignoreExpiration === true,
    ignoreNotBefore: options.ignoreNotBefore === true,
  };
  const required: string[] = [];
  const allow = (value: ClaimChecks['allowedAud'] | undefined, claim: string, key: 'allowedAud' | 'allowedIss' | 'allowedSub' | 'allowedJti' | 'allowedNonce') => {
    if (value === undefined) return;
    checks[key] = value;
    required.push(claim);
  };
  allow(options.audience, 'aud', 'allowedAud');
  allow(options.issuer, 'iss', 'allowedIss');
  allow(options.subject, 'sub', 'allowedSub');
  allow(options.jwtid, 'jti', 'allowedJti');
  allow(options.nonce, 'nonce', 'allowedNonce');
  const typ = typFrom(options.typ, 'typ');
  if (typ !== undefined) checks.checkTyp = typ;
  const maxAgeMs = maxAgeFrom(options.maxAge);
  if (maxAgeMs !== undefined) {
    checks.maxAge = maxAgeMs;
    required.push('iat');
  }
  if (required.length > 0) checks.requiredClaims = required;
  return checks;
}

/** fast-jwt compares it with the header's `typ` lowercased, without `application/`. */
function typFrom(value: string | undefined, option: string): string | undefined {
  return optionalName(value, option)?.toLowerCase().replace(/^application\//, '');
}

function maxAgeFrom(maxAge: number | string | undefined): number | undefined {
  if (maxAge === undefined) return undefined;
  if (typeof maxAge === 'string') {
    const parsed = ms(maxAge as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) throw new RangeError(`sockjwt: "maxAge" is not a timespan: ${maxAge}`);
    return parsed;
  }
  return (numberOption(maxAge, 'maxAge', 'nonNegative') as number) * 1000;
}

function propertyNames(options: AuthorizeOptions<unknown>): PropertyNames {
  const names = {
    decoded: propertyName(options.decodedPropertyName, 'decodedPropertyName') ?? 'decoded_token',
    encoded: propertyName(options.encodedPropertyName, 'encodedPropertyName') ?? 'encoded_token',
  };
  // One would overwrite the other: the raw token on the socket in place of the claims, or the reverse.
  if (names.decoded === names.encoded) throw new TypeError(`sockjwt: "decodedPropertyName" and "encodedPropertyName" are the same ("${names.decoded}")`);
  return names;
}

function propertyName(value: string | undefined, option: string): string | undefined {
  const name = optionalName(value, option);
  if (name !== undefined && (SOCKET_MEMBERS.has(name) || name in Object.prototype || name.startsWith('_'))) {
    throw new TypeError(`sockjwt: "${option}" would overwrite socket.${name}`);
  }
  // The claims there would be replaced by recovery's record: no deadline, no revocation after a restore.
  if (name === RECOVERY_RECORD) throw new TypeError(`sockjwt: "${option}" may not be "${name}": sockjwt keeps its connection state recovery record in socket.data.${name}`);
  return name;
}

function optionalName(value: string | undefined, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`sockjwt: "${option}" must be a non-empty string`);
  return value;
}

function booleanOption(value: boolean | undefined, option: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`sockjwt: "${option}" must be a boolean`);
  return value;
}

function optionalFunction<F>(value: F | undefined, option: string): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`sockjwt: "${option}" must be a function`);
  return value;
}
