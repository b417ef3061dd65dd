import { UnauthorizedError } from '../errors/errors.js';
import type { ExpiryScheduler } from './expiry-scheduler.js';
import * as refuse from '../errors/refusals.js';
import type { JwtClaims } from '../types.js';

/** When a socket must go, decided once from the options. One rule at connect, live, and on recovery. */
export interface LifetimeSettings {
  /** Drop at `exp`: false when `enforceExpiry: false` or `ignoreExpiration: true`. */
  enforceExp: boolean;
  /** `maxAge` in ms (from `iat`), enforced on live sockets too; undefined when unset or `enforceExpiry: false`. */
  maxAgeMs: number | undefined;
  /** `maxSessionMs`: a socket's total life across refreshes; undefined when unset. */
  maxSessionMs: number | undefined;
  clockToleranceMs: number;
  expiredGraceMs: number;
  scheduler: ExpiryScheduler;
}

/** The moment (epoch ms) a token stops being acceptable: `min(exp, iat + maxAge)`, undefined when never. */
export function tokenDeadline(payload: JwtClaims, lifetime: LifetimeSettings): number | undefined {
  let deadline = Infinity;
  if (lifetime.enforceExp && isTime(payload.exp)) deadline = payload.exp * 1000;
  if (lifetime.maxAgeMs !== undefined && isTime(payload.iat)) deadline = Math.min(deadline, payload.iat * 1000 + lifetime.maxAgeMs);
  return deadline === Infinity ? undefined : deadline + lifetime.clockToleranceMs + lifetime.expiredGraceMs;
}

/** The end of a socket whose session began at `startedAt`: its token's deadline, or `maxSessionMs`, whichever is first. */
export function sessionDeadline(payload: JwtClaims, startedAt: number, lifetime: LifetimeSettings): number | undefined {
  const token = tokenDeadline(payload, lifetime);
  if (lifetime.maxSessionMs === undefined) return token;
  const session = startedAt + lifetime.maxSessionMs;
  return token === undefined ? session : Math.min(token, session);
}

/** Why a socket whose deadline has passed must go. */
export function endOfLife(payload: JwtClaims, startedAt: number, lifetime: LifetimeSettings, now = Date.now()): UnauthorizedError | undefined {
  if (lifetime.maxSessionMs !== undefined && startedAt + lifetime.maxSessionMs <= now) return refuse.sessionLimit(lifetime.maxSessionMs);
  const token = tokenDeadline(payload, lifetime);
  return token !== undefined && token <= now ? refuse.expired() : undefined;
}

/** Time left (ms, never negative) before the server drops the socket; null when never. Sent to clients as `expiresInMs`. */
export function remainingMs(payload: JwtClaims, startedAt: number, lifetime: LifetimeSettings, now = Date.now()): number | null {
  const deadline = sessionDeadline(payload, startedAt, lifetime);
  return deadline === undefined ? null : Math.max(0, Math.floor(deadline - now));
}

/** A refresh may not trade a token that expires for one that does not. */
export function dropsExpiry(previous: JwtClaims, next: JwtClaims, lifetime: LifetimeSettings): boolean {
  return lifetime.enforceExp && isTime(previous.exp) && !isTime(next.exp);
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

