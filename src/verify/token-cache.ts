import type { ClaimChecks, VerifyToken } from './verify-token.js';
import type { JwtClaims } from '../types.js';

interface Verified {
  payload: JwtClaims;
  /** Epoch ms before which the token is not yet valid (its `nbf`, less the tolerance); 0 for none. */
  notBefore: number;
  /** Epoch ms from which the token no longer verifies (`exp` plus tolerance, `iat` + `maxAge`). */
  expiresAt: number;
}

/**
 * Remembers tokens that verified, keyed on the whole token, so a client reconnecting with
 * the same token skips the signature check. Only successes are kept; an entry is used only
 * inside the window in which the same verification would succeed again (`nbf`, `exp`,
 * `maxAge`, `clockTolerance` as configured); outside it the token is verified afresh and
 * fails with the usual reason. At most `maxEntries`, oldest out first. Every hit hands out
 * a shallow copy of the payload, so sockets sharing a token never share a claims object.
 * Used with static keys only: a secret function sees the request, and JWKS keys can be
 * withdrawn.
 */
export function withVerifiedTokenCache(verify: VerifyToken, maxEntries: number, checks: ClaimChecks, now: () => number = Date.now): VerifyToken {
  const entries = new Map<string, Verified>();
  const toleranceMs = checks.clockTolerance ?? 0;

  const remember = (token: string, payload: JwtClaims): JwtClaims => {
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
    entries.set(token, { payload, notBefore: notBefore(payload), expiresAt: expiresAt(payload) });
    return { ...payload };
  };
  const notBefore = (payload: JwtClaims): number =>
    !checks.ignoreNotBefore && typeof payload.nbf === 'number' ? payload.nbf * 1000 - toleranceMs : 0;
  const expiresAt = (payload: JwtClaims): number => {
    let until = Infinity;
    if (!checks.ignoreExpiration && typeof payload.exp === 'number') until = payload.exp * 1000 + toleranceMs;
    if (checks.maxAge !== undefined && typeof payload.iat === 'number') until = Math.min(until, payload.iat * 1000 + checks.maxAge);
    return until;
  };

  return (request, token) => {
    const hit = entries.get(token);
    if (hit) {
      const time = now();
      if (time >= hit.notBefore && time < hit.expiresAt) return { ...hit.payload };
      entries.delete(token);
    }
    const verified = verify(request, token);
    return verified instanceof Promise ? verified.then((payload) => remember(token, payload)) : remember(token, verified);
  };
}
