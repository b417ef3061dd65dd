import { UnauthorizedError } from '../errors/errors.js';
import { subjectOf, type IdentitySettings } from '../revocation/revocation.js';
import { dropsExpiry, type LifetimeSettings } from './expiry.js';
import * as refuse from '../errors/refusals.js';
import type { JwtClaims } from '../types.js';

/** Decides whether a verified token may replace a live socket's current one. */
export type RefreshRule = (current: JwtClaims, next: JwtClaims) => UnauthorizedError | undefined;

/**
 * A refresh renews a socket's token; it never changes whose socket it is, nor makes it
 * immortal. Same issuer, same identity (`subjectClaim`, numbers and strings alike); two tokens without
 * one are refused unless `refreshWithoutSubject` (an identity that cannot be compared is no
 * identity); a token with `exp` is not replaced by one without.
 */
export function refreshRule(identity: IdentitySettings, lifetime: LifetimeSettings): RefreshRule {
  return (current, next) => {
    // A subject is unique only within its issuer (OpenID Connect Core §2): with several issuers, the same `sub` is two users.
    if (current.iss !== next.iss) return refuse.issuerMismatch();
    const before = subjectOf(current, identity);
    const after = subjectOf(next, identity);
    if (before === undefined && after === undefined) {
      if (!identity.refreshWithoutSubject) {
        return refuse.identityRequired(identity.claim);
      }
    } else if (before !== after) {
      return refuse.subjectMismatch();
    }
    if (dropsExpiry(current, next, lifetime)) return refuse.expiryDropped();
    return undefined;
  };
}
