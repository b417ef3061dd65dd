// Refresh tokens: opaque random strings in an httpOnly cookie, stored here (hashed), rotated on
// every use. Each login starts a "family": one chain of tokens with exactly one current token.
//
// - Tabs share one cookie jar, so a request can still be in flight with a token one or more
//   rotations old: within `reuseGraceMs` of its rotation, such a token gets the family's *current*
//   token, never a new one, so a family cannot fork into two chains.
// - Any other reuse (a token rotated longer than the grace ago) means a token was copied: the
//   whole family ends, and `onFamilyEnded` revokes the access tokens it issued.
// - A family lives `ttlMs` from its login, however often it rotates (absolute lifetime).
// - Memory is bounded: per family the current token, the previous one and `retiredKept` older
//   hashes; at most `maxFamiliesPerUser` families per user and `maxFamilies` in all, the oldest
//   ended first.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** An access token a family issued: enough for `auth.revoke({ jti, exp })`. */
export interface IssuedAccessToken {
  jti: string;
  /** Seconds since the epoch. */
  exp: number;
}

export interface EndedFamily {
  id: string;
  sub: string;
  why: 'reused' | 'signed-out' | 'evicted';
  /** The family's access tokens that have not expired yet. */
  accessTokens: IssuedAccessToken[];
}

interface Family {
  id: string;
  sub: string;
  /** Absolute end of the family (ms since the epoch): rotations do not extend it. */
  expiresAt: number;
  current: string;
  /** The token `current` replaced, with its successor in clear for the grace period only. */
  previous?: { hash: string; rotatedAt: number; successor: string | undefined };
  /** Older tokens, so that their reuse is recognised as one (or forgiven within the grace). */
  retired: { hash: string; rotatedAt: number }[];
  accessTokens: IssuedAccessToken[];
}

export type Grant = { ok: true; sub: string; token: string; family: string; expiresAt: number };
export type RotateResult = Grant | { ok: false; reason: 'unknown' | 'expired' | 'reused' };

export interface RefreshTokenStoreOptions {
  /** How long (ms) a family lives after its login. */
  ttlMs: number;
  /** How long (ms) after its rotation a token still gets the current one, for tabs refreshing together. Default 10 s; 0: none. */
  reuseGraceMs?: number;
  /** Families (devices signed in) per user; a new login ends the oldest beyond this. Default 10. */
  maxFamiliesPerUser?: number;
  /** Families in all; the oldest are ended beyond this. Default 10,000. */
  maxFamilies?: number;
  /** Older token hashes kept per family for reuse detection. Default 8. */
  retiredKept?: number;
  /** Called when a family ends for a reason other than expiry or `revokeSubject()`. */
  onFamilyEnded?: (family: EndedFamily) => void;
  now?: () => number;
}

/** In memory, for one process. A multi-node deployment keeps these in shared storage. */
export class RefreshTokenStore {
  /** Token hash → family id. */
  private readonly tokens = new Map<string, string>();
  /** In creation order: the first is the oldest. */
  private readonly families = new Map<string, Family>();
  private readonly bySub = new Map<string, Set<string>>();
  private readonly ttlMs: number;
  private readonly reuseGraceMs: number;
  private readonly maxFamiliesPerUser: number;
  private readonly maxFamilies: number;
  private readonly retiredKept: number;
  private readonly onFamilyEnded: (family: EndedFamily) => void;
  private readonly now: () => number;

  constructor(options: RefreshTokenStoreOptions) {
    this.ttlMs = options.ttlMs;
    this.reuseGraceMs = options.reuseGraceMs ?? 10_000;
    this.maxFamiliesPerUser = options.maxFamiliesPerUser ?? 10;
    this.maxFamilies = options.maxFamilies ?? 10_000;
    this.retiredKept = options.retiredKept ?? 8;
    this.onFamilyEnded = options.onFamilyEnded ?? (() => {});
    this.now = options.now ?? Date.now;
  }

  /** Token hashes held: at most (2 + retiredKept) × maxFamilies. */
  get size(): number {
    return this.tokens.size;
  }

  get familyCount(): number {
    return this.families.size;
  }

  /** A new family for a fresh login. */
  issue(sub: string): Grant {
    const owned = this.bySub.get(sub) ?? new Set<string>();
    this.bySub.set(sub, owned);
    while (owned.size >= this.maxFamiliesPerUser) this.end(this.families.get(owned.values().next().value!)!, 'evicted');
    while (this.families.size >= this.maxFamilies) this.end(this.families.values().next().value!, 'evicted');
    const token = newToken();
    const family: Family = { id: randomUUID(), sub, expiresAt: this.now() + this.ttlMs, current: digest(token), retired: [], accessTokens: [] };
    this.families.set(family.id, family);
    owned.add(family.id);
    this.tokens.set(family.current, family.id);
    return { ok: true, sub, token, family: family.id, expiresAt: family.expiresAt };
  }

  /** Whose token this is, without using it (to apply a per-user limit first). */
  peek(token: string): { sub: string; family: string } | undefined {
    const family = this.familyOf(digest(token));
    return family && { sub: family.sub, family: family.id };
  }

  /** Exchanges a token for the next one of its family. */
  rotate(token: string): RotateResult {
    const hash = digest(token);
    const family = this.familyOf(hash);
    if (!family) return { ok: false, reason: 'unknown' };
    const now = this.now();
    if (family.expiresAt <= now) {
      this.end(family, undefined);
      return { ok: false, reason: 'expired' };
    }
    if (hash === family.current) {
      const next = newToken();
      if (family.previous) this.retire(family, family.previous);
      family.previous = { hash, rotatedAt: now, successor: next };
      family.current = digest(next);
      this.tokens.set(family.current, family.id);
      return this.grant(family, next);
    }
    const previous = family.previous;
    const rotatedAt = previous?.hash === hash ? previous.rotatedAt : family.retired.find((old) => old.hash === hash)?.rotatedAt;
    // previous.successor is the current token in clear, kept for the grace after the latest rotation.
    if (rotatedAt !== undefined && now - rotatedAt < this.reuseGraceMs && previous?.successor !== undefined) {
      return this.grant(family, previous.successor); // the current token: one chain, not two
    }
    this.end(family, 'reused');
    return { ok: false, reason: 'reused' };
  }

  /** Records an access token the family issued, so that ending the family can revoke it. */
  noteAccessToken(familyId: string, issued: IssuedAccessToken): void {
    const family = this.families.get(familyId);
    if (!family) return;
    const nowSeconds = this.now() / 1000;
    family.accessTokens = family.accessTokens.filter((t) => t.exp > nowSeconds).slice(-63);
    family.accessTokens.push(issued);
  }

  /** Sign out on this device: the token's family ends. */
  revoke(token: string): void {
    const family = this.familyOf(digest(token));
    if (family) this.end(family, 'signed-out');
  }

  /** Sign out everywhere, or a ban: every family of the user ends (the caller revokes by `sub`). */
  revokeSubject(sub: string): number {
    const owned = [...(this.bySub.get(sub) ?? [])];
    for (const id of owned) this.end(this.families.get(id)!, undefined);
    return owned.length;
  }

  /** Ends expired families and forgets successors past their grace. */
  sweep(): void {
    const now = this.now();
    for (const family of [...this.families.values()]) {
      if (family.expiresAt <= now) this.end(family, undefined);
      else if (family.previous && now - family.previous.rotatedAt >= this.reuseGraceMs) family.previous.successor = undefined;
    }
  }

  private familyOf(hash: string): Family | undefined {
    const id = this.tokens.get(hash);
    return id === undefined ? undefined : this.families.get(id);
  }

  private grant(family: Family, token: string): Grant {
    return { ok: true, sub: family.sub, token, family: family.id, expiresAt: family.expiresAt };
  }

  private retire(family: Family, { hash, rotatedAt }: { hash: string; rotatedAt: number }): void {
    family.retired.push({ hash, rotatedAt });
    while (family.retired.length > this.retiredKept) this.tokens.delete(family.retired.shift()!.hash);
  }

  private end(family: Family, why: EndedFamily['why'] | undefined): void {
    if (!this.families.delete(family.id)) return;
    for (const hash of [family.current, family.previous?.hash, ...family.retired.map((old) => old.hash)]) if (hash !== undefined) this.tokens.delete(hash);
    const owned = this.bySub.get(family.sub);
    owned?.delete(family.id);
    if (owned?.size === 0) this.bySub.delete(family.sub);
    if (why === undefined) return;
    const nowSeconds = this.now() / 1000;
    this.onFamilyEnded({ id: family.id, sub: family.sub, why, accessTokens: family.accessTokens.filter((t) => t.exp > nowSeconds) });
  }
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only a hash is kept, so a leak of the store does not leak usable tokens. */
function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
