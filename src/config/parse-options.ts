import ms from 'ms';
import { numberOption } from '../util/numbers.js';
import { compileGuards, type CompiledGuards } from '../session/claim-guards.js';
import { ALL_ALGORITHMS } from '../verify/keys.js';
import type { CustomDecoded } from '../session/app-hooks.js';
import type { PropertyNames, TokenSources } from '../session/context.js';
import type { IdentitySettings } from '../revocation/revocation.js';
import type { ClaimChecks } from '../verify/verify-token.js';
import { RECOVERY_RECORD } from '../session/socket-session.js';
import { SOCKET_MEMBERS } from '../socketio/socketio-seams.js';
import type { AdditionalAuth, Algorithm, AuthorizeOptions, IsRevoked, OptionName, RateLimitOptions, RefreshLimitOptions, RevocationFailMode, RevocationStore } from '../types.js';

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

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_TOKEN_LENGTH = 8192;
const DEFAULT_SECRET_TIMEOUT_MS = 3000;
const DEFAULT_HOOK_TIMEOUT_MS = 3000;
const DEFAULT_RATE_LIMIT = { maxFailures: 10, windowMs: 60_000, maxAddresses: 10_000, trustedProxies: 0 };
const DEFAULT_REFRESH_LIMIT = { max: 10, windowMs: 60_000 };

/** When a socket must go, as plain numbers (session/expiry.ts adds the scheduler). */
export interface LifetimeOptions {
  enforceExp: boolean;
  maxAgeMs: number | undefined;
  maxSessionMs: number | undefined;
  clockToleranceMs: number;
  expiredGraceMs: number;
}

/**
 * `authorize()`'s options, checked and put in their working units: plain data, nothing built
 * yet (build-context.ts builds the objects). A bad option throws a TypeError or RangeError here,
 * at `authorize()`, never at the first handshake.
 */
export interface ParsedOptions {
  handshake: boolean;
  required: boolean;
  sources: TokenSources;
  timeoutMs: number;
  callback: false | number;
  tokenCookie: string | undefined;
  names: PropertyNames;
  maxTokenLength: number;
  algorithms: Algorithm[] | undefined;
  checks: ClaimChecks;
  /** How long (ms) a secret function may take. */
  secretTimeoutMs: number;
  verifiedTokenCache: number;
  identity: IdentitySettings;
  lifetime: LifetimeOptions;
  revocationStore: RevocationStore | undefined;
  isRevoked: IsRevoked | undefined;
  revocationFailMode: RevocationFailMode;
  hookTimeoutMs: number;
  additionalAuth: AdditionalAuth | undefined;
  customDecoded: CustomDecoded | undefined;
  rateLimit: Required<RateLimitOptions> | undefined;
  refreshLimit: Required<RefreshLimitOptions>;
  guards: CompiledGuards | undefined;
}

export function parseOptions(options: AuthorizeOptions<unknown>): ParsedOptions {
  checkOptionNames(options);
  const handshake = options.handshake === true;
  const checks = claimChecks(options);
  const timeoutMs = handshake ? DEFAULT_TIMEOUT_MS : numberOption((options as { timeout?: number }).timeout, 'timeout', 'positive') ?? DEFAULT_TIMEOUT_MS;
  const cookie = optionalName(options.cookie, 'cookie');
  const hookTimeoutMs = numberOption(options.hookTimeoutMs, 'hookTimeoutMs', 'positive') ?? DEFAULT_HOOK_TIMEOUT_MS;
  return {
    handshake,
    required: options.required !== false,
    sources: {
      authHeaderRequired: handshake && (options as { auth_header_required?: boolean }).auth_header_required === true,
      query: !handshake || (options as { queryToken?: boolean }).queryToken !== false,
      cookie: handshake ? cookie : undefined,
    },
    timeoutMs,
    callback: handshake ? false : callbackFrom((options as { callback?: false | number | true }).callback, timeoutMs),
    tokenCookie: handshake ? undefined : cookie,
    names: propertyNames(options),
    maxTokenLength: numberOption(options.maxTokenLength, 'maxTokenLength', 'positive') ?? DEFAULT_MAX_TOKEN_LENGTH,
    algorithms: algorithmsFrom(options.algorithms),
    checks,
    secretTimeoutMs: numberOption(options.secretTimeoutMs, 'secretTimeoutMs', 'positive') ?? DEFAULT_SECRET_TIMEOUT_MS,
    verifiedTokenCache: verifiedTokenCacheFrom(options.verifiedTokenCache),
    identity: identityFrom(options, checks),
    lifetime: lifetimeFrom(options, checks),
    revocationStore: revocationStoreFrom(options.revocationStore),
    isRevoked: optionalFunction(options.isRevoked, 'isRevoked'),
    revocationFailMode: failModeFrom(options.revocationFailMode),
    hookTimeoutMs,
    additionalAuth: optionalFunction(options.additional_auth, 'additional_auth'),
    customDecoded: optionalFunction(options.customDecoded as CustomDecoded | undefined, 'customDecoded'),
    rateLimit: options.rateLimit === undefined ? undefined : rateLimitFrom(options.rateLimit),
    refreshLimit: refreshLimitFrom(options.refreshLimit),
    guards: compileGuards(options.guards),
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

function identityFrom(options: AuthorizeOptions<unknown>, checks: ClaimChecks): IdentitySettings {
  return {
    claim: optionalName(options.subjectClaim, 'subjectClaim') ?? 'sub',
    refreshWithoutSubject: booleanOption(options.refreshWithoutSubject, 'refreshWithoutSubject', false),
    clockToleranceSec: (checks.clockTolerance ?? 0) / 1000,
  };
}

/** One rule for a socket's end: `exp`, `iat + maxAge`, `maxSessionMs` (session/expiry.ts). */
function lifetimeFrom(options: AuthorizeOptions<unknown>, checks: ClaimChecks): LifetimeOptions {
  const enforceExpiry = booleanOption(options.enforceExpiry, 'enforceExpiry', true);
  return {
    enforceExp: enforceExpiry && !checks.ignoreExpiration,
    maxAgeMs: enforceExpiry ? (checks.maxAge as number | undefined) : undefined,
    maxSessionMs: numberOption(options.maxSessionMs, 'maxSessionMs', 'positive'),
    clockToleranceMs: checks.clockTolerance ?? 0,
    expiredGraceMs: numberOption(options.expiredGraceMs, 'expiredGraceMs', 'nonNegative') ?? 0,
  };
}

function rateLimitFrom(option: RateLimitOptions): Required<RateLimitOptions> {
  const limit = objectOption<RateLimitOptions>(option, 'rateLimit', DEFAULT_RATE_LIMIT);
  return {
    maxFailures: numberOption(limit.maxFailures, 'rateLimit.maxFailures', 'positiveInteger')!,
    windowMs: numberOption(limit.windowMs, 'rateLimit.windowMs', 'positive')!,
    maxAddresses: numberOption(limit.maxAddresses, 'rateLimit.maxAddresses', 'positiveInteger')!,
    trustedProxies: numberOption(limit.trustedProxies, 'rateLimit.trustedProxies', 'nonNegativeInteger')!,
  };
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

function revocationStoreFrom(store: unknown): RevocationStore | undefined {
  if (store === undefined) return undefined;
  if (typeof store !== 'object' || store === null || !['add', 'isRevoked', 'subscribe'].every((method) => typeof (store as Record<string, unknown>)[method] === 'function')) {
    throw new TypeError('sockjwt: "revocationStore" must implement add(), isRevoked() and subscribe()');
  }
  return store as RevocationStore;
}

function failModeFrom(failMode: unknown): RevocationFailMode {
  if (failMode === undefined) return 'closed';
  if (failMode !== 'closed' && failMode !== 'open') throw new TypeError('sockjwt: "revocationFailMode" must be "closed" or "open"');
  return failMode;
}

function verifiedTokenCacheFrom(value: number | undefined): number {
  const size = numberOption(value, 'verifiedTokenCache', 'nonNegative') ?? 0;
  if (!Number.isInteger(size)) throw new RangeError('sockjwt: "verifiedTokenCache" must be a whole number of tokens');
  return size;
}

export function algorithmsFrom(algorithms: readonly string[] | undefined, option = 'algorithms'): Algorithm[] | undefined {
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
export function typFrom(value: string | undefined, option: string): string | undefined {
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
