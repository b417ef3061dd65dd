import type { JwtClaims } from '../types.js';

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
