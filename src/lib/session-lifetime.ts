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

export function hasExpired(payload: JwtClaims, lifetime: LifetimeSettings, now = Date.now()): boolean {
  const deadline = expiryDeadline(payload, lifetime);
  return deadline !== undefined && deadline <= now;
}

export function expiredError(): UnauthorizedError {
  return new UnauthorizedError('invalid_token', 'expired', 'jwt expired');
}
