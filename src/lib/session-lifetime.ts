import { UnauthorizedError } from './errors.js';
import type { ExpiryScheduler } from './expiry-scheduler.js';
import type { JwtClaims } from './options.js';

/** When a live socket must go, decided once from the options. */
export interface LifetimeSettings {
  /** false when `enforceExpiry: false` or `ignoreExpiration: true`. */
  enforceExpiry: boolean;
  clockToleranceMs: number;
  expiredGraceMs: number;
  scheduler: ExpiryScheduler;
}

/** The moment (epoch ms) a token stops being acceptable; undefined when it never does. */
export function expiryDeadline(payload: JwtClaims, lifetime: LifetimeSettings): number | undefined {
  if (!lifetime.enforceExpiry || typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) return undefined;
  return payload.exp * 1000 + lifetime.clockToleranceMs + lifetime.expiredGraceMs;
}

/**
 * What the client is told when a token is accepted: `exp`, and `expiresInMs`, the
 * milliseconds until this server drops the socket, on this server's clock (null when it
 * never does). Relative, so a client whose clock is off still refreshes in time.
 */
export interface LifetimeNotice {
  exp: number | null;
  expiresInMs: number | null;
}

export function lifetimeNotice(payload: JwtClaims, lifetime: LifetimeSettings, now = Date.now()): LifetimeNotice {
  const deadline = expiryDeadline(payload, lifetime);
  return {
    exp: typeof payload.exp === 'number' ? payload.exp : null,
    expiresInMs: deadline === undefined ? null : Math.max(0, Math.round(deadline - now)),
  };
}

export function hasExpired(payload: JwtClaims, lifetime: LifetimeSettings, now = Date.now()): boolean {
  const deadline = expiryDeadline(payload, lifetime);
  return deadline !== undefined && deadline <= now;
}

export function expiredError(): UnauthorizedError {
  return new UnauthorizedError('invalid_token', 'expired', 'jwt expired');
}
