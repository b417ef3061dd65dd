import { within } from '../util/deadline.js';
import { isThenable } from '../util/hook-results.js';
import { Listeners } from '../util/listeners.js';
import * as refuse from '../errors/refusals.js';
import type { IsRevoked, JwtClaims, MemoryRevocationStoreOptions, RevocationFailMode, RevocationRule, RevocationStore, SockjwtLogger, StoredRule, TokenQuery, TokenRef } from '../types.js';

/**
 * Revocation, whole: the identities a rule names, the rules and what they cover, the default
 * store, and the check a handshake makes (the store, then the app's hook, under a fail mode).
 * The Redis and PostgreSQL stores keep rules of the same form and ask `ruleCovers` the same question.
 */

// ───────────────────────────── identities ─────────────────────────────

/**
 * Identities in one normal form, wherever they are compared or stored: the refresh rule,
 * the session indexes, `revoke()`, the revocation stores. RFC 7519 makes `sub` and `jti`
 * strings, but issuers put numbers there (`{ id: 42 }`); 42 and "42" are one identity.
 * Anything else (an object, an empty string, NaN) is no identity at all.
 */
export function normalizeIdentity(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** How identities are read from a verified payload, decided once by `authorize()`. */
export interface IdentitySettings {
  /** The claim naming the subject (`subjectClaim`, default `sub`). */
  claim: string;
  /** `refreshWithoutSubject`: a refresh between two tokens that both lack it is allowed. */
  refreshWithoutSubject: boolean;
  /** `clockTolerance` in seconds: a subject rule holds against an issuer's clock this far ahead. */
  clockToleranceSec: number;
}

export function subjectOf(payload: JwtClaims, settings: IdentitySettings): string | undefined {
  return normalizeIdentity(payload[settings.claim]);
}

/**
 * What a revocation store is asked about a token: normalised identities, and an `iat` moved
 * back by `clockTolerance`, so a token from an issuer whose clock runs ahead (within the
 * tolerance) is still covered by a subject rule made after it was issued.
 */
export function tokenRef(payload: JwtClaims, settings: IdentitySettings): { jti?: string | undefined; sub?: string | undefined; iat?: number } {
  const ref: { jti?: string | undefined; sub?: string | undefined; iat?: number } = { jti: normalizeIdentity(payload.jti), sub: subjectOf(payload, settings) };
  if (typeof payload.iat === 'number') ref.iat = payload.iat - settings.clockToleranceSec;
  return ref;
}

// ───────────────────────────── rules and the default store ─────────────────────────────

const DEFAULT_MAX_ENTRIES = 100_000;
export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * The longest a rule is kept, in every store: 1e14 ms, about 3,170 years. A token whose `exp`
 * lies further away (1e15 s, or 1e308 s, which is Infinity in ms) is revoked for that long.
 * Redis refuses a TTL from 1e17 ms on (its scripts write such numbers in exponent form).
 */
export const MAX_RULE_LIFETIME_MS = 1e14;

/** Resolves a rule as given to `revoke()` into the stored form. */
export function storedRule(rule: RevocationRule, retentionMs: number, now: number): StoredRule {
  if (typeof rule !== 'object' || rule === null) throw new TypeError('sockjwt: revoke() expects { jti } or { sub }');
  const expiresAt = Math.min(rule.exp === undefined ? now + retentionMs : finiteNumber(rule.exp, 'exp') * 1000, now + MAX_RULE_LIFETIME_MS);
  if ('jti' in rule && rule.jti !== undefined) return { jti: identity(rule.jti, 'jti'), expiresAt };
  if ('sub' in rule && rule.sub !== undefined) {
    const issuedBefore = rule.issuedBefore === undefined ? now : finiteNumber(+rule.issuedBefore, 'issuedBefore');
    return { sub: identity(rule.sub, 'sub'), issuedBefore, expiresAt };
  }
  throw new TypeError('sockjwt: revoke() expects { jti } or { sub }');
}

/**
 * The stores are public classes: whoever calls them directly may name ids with numbers, which
 * `revoke()` and sockjwt's own references never do. Both are brought to the one normal form
 * (`normalizeIdentity`, above) here, so 42 and "42" stay one identity; strings, the usual case, are not copied.
 * A rule living longer than MAX_RULE_LIFETIME_MS from `now` is cut to it.
 */
export function normalRule(given: StoredRule, now: number): StoredRule {
  const rule = given.expiresAt > now + MAX_RULE_LIFETIME_MS ? { ...given, expiresAt: now + MAX_RULE_LIFETIME_MS } : given;
  if ('jti' in rule) return typeof rule.jti === 'string' ? rule : { ...rule, jti: identity(rule.jti, 'jti') };
  return typeof rule.sub === 'string' ? rule : { ...rule, sub: identity(rule.sub, 'sub') };
}

export function normalRef(token: TokenQuery): TokenRef {
  if (typeof token.jti !== 'number' && typeof token.sub !== 'number') return token as TokenRef;
  return { ...token, jti: normalizeIdentity(token.jti), sub: normalizeIdentity(token.sub) };
}

/** A rule as it arrives from another node (a notice): well-formed, or ignored. */
export function isStoredRule(rule: unknown): rule is StoredRule {
  if (typeof rule !== 'object' || rule === null) return false;
  const { jti, sub, issuedBefore, expiresAt } = rule as Record<string, unknown>;
  if (typeof expiresAt !== 'number') return false;
  return typeof jti === 'string' || (typeof sub === 'string' && typeof issuedBefore === 'number');
}

/**
 * Does a rule cover a token? A subject rule covers tokens issued before its time; a
 * token without `iat` cannot prove it came later, so it is covered too (fail closed).
 * `iat` has one-second granularity: a token issued in the same second as the revocation
 * but just before it must be covered, so the comparison is on whole seconds.
 */
export function ruleCovers(rule: StoredRule, token: TokenRef): boolean {
  if ('jti' in rule) return token.jti === rule.jti;
  if (token.sub !== rule.sub) return false;
  return typeof token.iat !== 'number' || token.iat * 1000 < rule.issuedBefore || token.iat <= Math.floor(rule.issuedBefore / 1000);
}

/**
 * The default store: bounded, in memory, and each rule is forgotten once the tokens it
 * names would have expired anyway.
 *
 * @example
 * ```ts
 * const auth = authorize({ secret, handshake: true, revocationStore: new MemoryRevocationStore({ maxEntries: 50_000 }) });
 * await auth.revoke({ sub: 'user-42' }); // drops the user's live sockets, refuses their current tokens
 * ```
 */
export class MemoryRevocationStore implements RevocationStore {
  readonly retentionMs: number;
  private readonly byJti = new Map<string, number>();
  private readonly bySub = new Map<string, { issuedBefore: number; expiresAt: number }>();
  private readonly listeners = new Listeners<[StoredRule]>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: MemoryRevocationStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = options.now ?? Date.now;
    if (!(this.maxEntries >= 1)) throw new RangeError('sockjwt: "maxEntries" must be at least 1');
    if (!(this.retentionMs > 0)) throw new RangeError('sockjwt: "retentionMs" must be greater than 0');
  }

  /**
   * True while no rule is held, when every check answers false: a handshake then asks nothing
   * (session/socket-session.ts). A field, not a getter, as it is read on every handshake.
   */
  readonly empty: boolean = true;

  get size(): number {
    return this.byJti.size + this.bySub.size;
  }

  add(given: StoredRule): void {
    const now = this.now();
    const rule = normalRule(given, now);
    if (rule.expiresAt <= now) return;
    if ('jti' in rule) this.byJti.set(rule.jti, Math.max(rule.expiresAt, this.byJti.get(rule.jti) ?? 0));
    else this.bySub.set(rule.sub, mergeSubjectRule(this.bySub.get(rule.sub), rule));
    this.setEmpty(false);
    if (this.size > this.maxEntries) this.makeRoom();
    this.listeners.emit(rule);
  }

  isRevoked(query: TokenQuery): boolean {
    // Most servers never revoke: an empty store answers every handshake without reading the token.
    if (this.byJti.size === 0 && this.bySub.size === 0) return false;
    const token = normalRef(query);
    const now = this.now();
    if (token.jti !== undefined) {
      const expiresAt = this.byJti.get(token.jti);
      if (expiresAt !== undefined) {
        if (expiresAt > now) return true;
        this.forget(this.byJti, token.jti);
      }
    }
    if (token.sub !== undefined) {
      const rule = this.bySub.get(token.sub);
      if (rule !== undefined) {
        if (rule.expiresAt > now) return ruleCovers({ sub: token.sub, ...rule }, token);
        this.forget(this.bySub, token.sub);
      }
    }
    return false;
  }

  subscribe(listener: (rule: StoredRule) => void): () => void {
    return this.listeners.add(listener);
  }

  /** `empty` is read-only to everyone else: a store told it is empty would stop refusing. */
  private setEmpty(empty: boolean): void {
    (this as { empty: boolean }).empty = empty;
  }

  private forget(rules: Map<string, unknown>, key: string): void {
    rules.delete(key);
    this.setEmpty(this.size === 0);
  }

  /** Drops what has expired; if still full, the rules closest to expiry, loudly. */
  private makeRoom(): void {
    const now = this.now();
    for (const [jti, expiresAt] of this.byJti) if (expiresAt <= now) this.byJti.delete(jti);
    for (const [sub, rule] of this.bySub) if (rule.expiresAt <= now) this.bySub.delete(sub);
    let excess = this.size - this.maxEntries;
    if (excess <= 0) return;
    process.emitWarning(`sockjwt: revocation store full (${this.maxEntries} rules); forgetting the ${excess} closest to expiry`, {
      code: 'SOCKJWT_REVOCATION_STORE_FULL',
    });
    const byExpiry = [
      ...[...this.byJti].map(([key, expiresAt]) => ({ expiresAt, forget: () => this.byJti.delete(key) })),
      ...[...this.bySub].map(([key, rule]) => ({ expiresAt: rule.expiresAt, forget: () => this.bySub.delete(key) })),
    ].sort((a, b) => a.expiresAt - b.expiresAt);
    for (const entry of byExpiry) {
      if (excess-- <= 0) break;
      entry.forget();
    }
  }
}

/** Two revocations of one subject: the later cut-off and the longer retention both hold. */
function mergeSubjectRule(existing: { issuedBefore: number; expiresAt: number } | undefined, rule: { issuedBefore: number; expiresAt: number }) {
  if (!existing) return { issuedBefore: rule.issuedBefore, expiresAt: rule.expiresAt };
  return { issuedBefore: Math.max(existing.issuedBefore, rule.issuedBefore), expiresAt: Math.max(existing.expiresAt, rule.expiresAt) };
}

function finiteNumber(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`sockjwt: revoke() "${name}" must be a finite number`);
  return value;
}

function identity(value: unknown, name: string): string {
  const normal = normalizeIdentity(value);
  if (normal === undefined) throw new TypeError(`sockjwt: revoke() "${name}" must be a non-empty string or a finite number`);
  return normal;
}

// ───────────────────────────── the check ─────────────────────────────

export interface RevocationSettings {
  store: RevocationStore;
  /** The store, when it is the in-memory one: its `empty` spares a handshake the check. */
  memoryStore: MemoryRevocationStore | undefined;
  isRevoked?: IsRevoked | undefined;
  /** How long a rule without `exp` is kept (ms). */
  retentionMs: number;
  failMode: RevocationFailMode;
  health: RevocationHealth;
  /** How long a check may take (ms) before it counts as unable to answer. */
  timeoutMs: number;
}

/**
 * Refuses a revoked token: the store's rules first, then the app's hook. A check that
 * cannot answer follows the fail mode: refused with a reason that says so, or admitted.
 * Synchronous (undefined, or a throw) when both answer synchronously, as the in-memory store does.
 */
export function checkNotRevoked(settings: RevocationSettings, ref: TokenRef, payload: JwtClaims, token: string | undefined): void | Promise<void> {
  let byStore: boolean | Promise<boolean>;
  try {
    byStore = storeRevokes(settings, ref);
  } catch (cause) {
    return unavailable(settings, cause);
  }
  // The in-memory store answers with a boolean: no thenable to look for.
  if (typeof byStore !== 'boolean' && isThenable<boolean>(byStore)) return byStore.then((revoked) => (revoked ? verdict(settings, true) : askApp(settings, payload, token)), (cause: unknown) => unavailable(settings, cause));
  return byStore ? verdict(settings, true) : askApp(settings, payload, token);
}

function askApp(settings: RevocationSettings, payload: JwtClaims, token: string | undefined): void | Promise<void> {
  if (!settings.isRevoked) return verdict(settings, false);
  let answer: boolean | Promise<boolean>;
  try {
    answer = bounded(settings.isRevoked(payload, token), settings, 'isRevoked');
  } catch (cause) {
    return unavailable(settings, cause);
  }
  if (isThenable<boolean>(answer)) return answer.then((revoked) => verdict(settings, revoked === true), (cause: unknown) => unavailable(settings, cause));
  return verdict(settings, answer === true);
}

function verdict(settings: RevocationSettings, revoked: boolean): void {
  settings.health.answered();
  if (revoked) throw refuse.revoked();
}

function unavailable(settings: RevocationSettings, cause: unknown): void {
  settings.health.failed(cause);
  if (settings.failMode === 'closed') throw refuse.revocationUnavailable(cause);
}

/** The store's rules alone, within the hook deadline: a handshake's check, and the recheck after a gap. */
export function storeRevokes(settings: RevocationSettings, ref: TokenRef): boolean | Promise<boolean> {
  const answer = settings.store.isRevoked(ref);
  return typeof answer === 'boolean' ? answer : bounded(answer, settings, 'the revocation store');
}

/** A synchronous answer (the in-memory store) costs no timer. */
function bounded<T>(answer: T | PromiseLike<T>, settings: RevocationSettings, what: string): T | Promise<T> {
  return isThenable<T>(answer) ? within(answer, settings.timeoutMs, what) : answer;
}

/**
 * Says once when revocation checks stop answering, and once when they answer again, so
 * an outage shows in the logs as two lines rather than one per handshake.
 */
export class RevocationHealth {
  private down = false;

  /** Reports to `logger` when `authorize()` has one, else as process warnings. */
  constructor(
    private readonly failMode: RevocationFailMode,
    private readonly logger?: Pick<SockjwtLogger, 'warn' | 'info'>,
  ) {}

  get available(): boolean {
    return !this.down;
  }

  failed(cause: unknown): void {
    if (this.down) return;
    this.down = true;
    const consequence = this.failMode === 'open'
      ? 'failing open: tokens are admitted unchecked until it answers again'
      : 'failing closed: tokens are refused with reason revocation_unavailable until it answers again';
    const message = `sockjwt: revocation status cannot be checked (${describe(cause)}); ${consequence}`;
    if (this.logger) this.logger.warn({ event: 'revocation_unavailable', failMode: this.failMode, error: describe(cause) }, message);
    else process.emitWarning(message, { code: 'SOCKJWT_REVOCATION_UNAVAILABLE' });
  }

  answered(): void {
    if (!this.down) return;
    this.down = false;
    const message = 'sockjwt: revocation checks answer again';
    if (this.logger) this.logger.info({ event: 'revocation_restored' }, message);
    else process.emitWarning(message, { code: 'SOCKJWT_REVOCATION_RESTORED' });
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message || cause.name : String(cause);
}
