import { normalizeIdentity } from '../verify/identity.js';
import type { MemoryRevocationStoreOptions, RevocationRule, RevocationStore, StoredRule, TokenQuery, TokenRef } from '../types.js';
import { Listeners } from '../util/listeners.js';

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
 * (identity.ts) here, so 42 and "42" stay one identity; strings, the usual case, are not copied.
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

  get size(): number {
    return this.byJti.size + this.bySub.size;
  }

  add(given: StoredRule): void {
    const now = this.now();
    const rule = normalRule(given, now);
    if (rule.expiresAt <= now) return;
    if ('jti' in rule) this.byJti.set(rule.jti, Math.max(rule.expiresAt, this.byJti.get(rule.jti) ?? 0));
    else this.bySub.set(rule.sub, mergeSubjectRule(this.bySub.get(rule.sub), rule));
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
        this.byJti.delete(token.jti);
      }
    }
    if (token.sub !== undefined) {
      const rule = this.bySub.get(token.sub);
      if (rule !== undefined) {
        if (rule.expiresAt > now) return ruleCovers({ sub: token.sub, ...rule }, token);
        this.bySub.delete(token.sub);
      }
    }
    return false;
  }

  subscribe(listener: (rule: StoredRule) => void): () => void {
    return this.listeners.add(listener);
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
