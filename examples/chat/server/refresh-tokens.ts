// Refresh tokens: opaque random strings in an httpOnly cookie, stored here (hashed), rotated on
// every use. A token used twice, beyond a few seconds' grace for two tabs refreshing at once,
// means it was copied: the whole chain (the "family") it belongs to is revoked.
import { createHash, randomBytes, randomUUID } from 'node:crypto';

interface StoredToken {
  sub: string;
  family: string;
  expiresAt: number;
  /** Set when the token was exchanged for a new one. */
  usedAt?: number;
}

export type RotateResult =
  | { ok: true; sub: string; token: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'reused' };

export interface RefreshTokenStoreOptions {
  /** How long (ms) a refresh token lives after it is issued. */
  ttlMs: number;
  /** How long (ms) a rotated token may still be exchanged, for concurrent refreshes. Default 10 s. */
  reuseGraceMs?: number;
  now?: () => number;
}

/** In memory, for one process. A multi-node deployment keeps these in shared storage. */
export class RefreshTokenStore {
  private readonly tokens = new Map<string, StoredToken>();
  private readonly ttlMs: number;
  private readonly reuseGraceMs: number;
  private readonly now: () => number;

  constructor(options: RefreshTokenStoreOptions) {
    this.ttlMs = options.ttlMs;
    this.reuseGraceMs = options.reuseGraceMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.tokens.size;
  }

  /** A new token for a fresh login (a new family). */
  issue(sub: string): string {
    return this.add(sub, randomUUID());
  }

  /** Exchanges a token for the next one of its family. */
  rotate(token: string): RotateResult {
    const key = digest(token);
    const stored = this.tokens.get(key);
    const now = this.now();
    if (!stored) return { ok: false, reason: 'unknown' };
    if (stored.expiresAt <= now) {
      this.tokens.delete(key);
      return { ok: false, reason: 'expired' };
    }
    if (stored.usedAt !== undefined && now - stored.usedAt > this.reuseGraceMs) {
      this.revokeFamily(stored.family);
      return { ok: false, reason: 'reused' };
    }
    stored.usedAt ??= now;
    return { ok: true, sub: stored.sub, token: this.add(stored.sub, stored.family) };
  }

  /** Sign out on this device: the token's family ends. */
  revoke(token: string): void {
    const stored = this.tokens.get(digest(token));
    if (stored) this.revokeFamily(stored.family);
  }

  /** Sign out everywhere, or a ban: every token of the user ends. */
  revokeSubject(sub: string): number {
    let removed = 0;
    for (const [key, stored] of this.tokens) {
      if (stored.sub === sub && this.tokens.delete(key)) removed++;
    }
    return removed;
  }

  /** Forgets expired tokens. A rotated token stays until then, so that a replay is still recognised as one. */
  sweep(): void {
    const now = this.now();
    for (const [key, stored] of this.tokens) if (stored.expiresAt <= now) this.tokens.delete(key);
  }

  private add(sub: string, family: string): string {
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(digest(token), { sub, family, expiresAt: this.now() + this.ttlMs });
    return token;
  }

  private revokeFamily(family: string): void {
    for (const [key, stored] of this.tokens) if (stored.family === family) this.tokens.delete(key);
  }
}

/** Only a hash is kept, so a leak of the store does not leak usable tokens. */
function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
