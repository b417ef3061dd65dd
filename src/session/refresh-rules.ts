import { UnauthorizedError } from '../errors/errors.js';
import { subjectOf, type IdentitySettings } from '../verify/identity.js';
import type { JwtClaims } from '../options/jwt.js';
import { dropsExpiry, type LifetimeSettings } from './session-lifetime.js';

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
    if (current.iss !== next.iss) return new UnauthorizedError('invalid_token', 'subject_mismatch', 'the new token is from another issuer');
    const before = subjectOf(current, identity);
    const after = subjectOf(next, identity);
    if (before === undefined && after === undefined) {
      if (!identity.refreshWithoutSubject) {
        return new UnauthorizedError('invalid_token', 'identity_required', `neither token has a "${identity.claim}" claim, so the refresh cannot prove it is for the same user`);
      }
    } else if (before !== after) {
      return new UnauthorizedError('invalid_token', 'subject_mismatch', 'the new token is for another subject');
    }
    if (dropsExpiry(current, next, lifetime)) return new UnauthorizedError('invalid_token', 'claim_invalid', 'the new token must have an exp claim, as the current one has');
    return undefined;
  };
}
