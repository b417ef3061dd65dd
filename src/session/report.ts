import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io';
import { asUnauthorizedError, type UnauthorizedError } from '../errors/errors.js';
import { subjectOf } from '../revocation/revocation.js';
import type { Identity, SessionContext } from './context.js';
import { clientAddress } from './rate-limit.js';
import * as refuse from '../errors/refusals.js';
import type { AuthStage, JwtClaims, SockjwtEvent } from '../types.js';

/**
 * What `rateLimit`, `metrics` and `logger` hear: each authentication's outcome (and the limit on
 * failures per address, checked before one starts), refusals decided without one, drops, and
 * sessions opened and closed. Nothing here runs when none of the three is set.
 */

/** An authentication under `rateLimit`, `metrics` or `logger`: the per-address failure limit first, and every outcome told. */
export async function observed(
  ctx: SessionContext,
  socket: Socket,
  stage: AuthStage,
  current: JwtClaims | undefined,
  authenticate: () => Identity<unknown> | Promise<Identity<unknown>>,
): Promise<Identity<unknown>> {
  const address = clientAddress(socket, ctx.trustedProxies);
  const wait = ctx.limiter?.retryAfter(address) ?? 0;
  if (wait > 0) {
    const error = refuse.rateLimited(wait, 'too many failed authentications from this address');
    ctx.observe?.(refusalEvent(ctx, socket, error, stage, undefined, current));
    throw error;
  }
  const started = performance.now();
  try {
    const identity = await authenticate();
    ctx.observe?.({ event: 'authenticated', stage, durationMs: performance.now() - started, ...contextOf(ctx, socket, identity.payload) });
    return identity;
  } catch (caught) {
    const error = asUnauthorizedError(caught, (cause) => refuse.internal(undefined, cause));
    ctx.limiter?.record(address, error.reason);
    ctx.observe?.(refusalEvent(ctx, socket, error, stage, performance.now() - started, current));
    throw error;
  }
}

/** A refusal decided without verifying anything: no credentials, a bad header, a timeout, a budget spent, a revocation at the commit point. */
export function reportRefusal(ctx: SessionContext, socket: Socket, error: UnauthorizedError, stage: AuthStage, payload?: JwtClaims): void {
  if (ctx.limiter === undefined && ctx.observe === undefined) return;
  ctx.limiter?.record(clientAddress(socket, ctx.trustedProxies), error.reason);
  ctx.observe?.(refusalEvent(ctx, socket, error, stage, undefined, payload));
}

/** A live socket dropped for expiry or revocation. */
export function reportDrop(ctx: SessionContext, socket: Socket, payload: JwtClaims, error: UnauthorizedError): void {
  ctx.observe?.({ event: 'dropped', code: error.code, reason: error.reason, ...contextOf(ctx, socket, payload) });
}

/** Called only when something observes (`metrics`, `logger`): a session opened or closed is told to nothing else. */
export function reportSession(ctx: SessionContext, socket: Socket, payload: JwtClaims, event: 'session_opened' | 'session_closed'): void {
  ctx.observe?.({ event, ...contextOf(ctx, socket, payload) });
}

function refusalEvent(ctx: SessionContext, socket: Socket, error: UnauthorizedError, stage: AuthStage, durationMs: number | undefined, payload: JwtClaims | undefined): SockjwtEvent {
  const event: SockjwtEvent = { event: 'refused', stage, code: error.code, reason: error.reason, ...contextOf(ctx, socket, payload) };
  if (durationMs !== undefined) event.durationMs = durationMs;
  if (error.cause !== undefined) event.cause = describeCause(error.cause);
  return event;
}

function contextOf(ctx: SessionContext, socket: Socket, payload: JwtClaims | undefined): { nsp: string; address: string; sub?: string } {
  const context: { nsp: string; address: string; sub?: string } = { nsp: socket.nsp.name, address: clientAddress(socket, ctx.trustedProxies) };
  const sub = payload && subjectOf(payload, ctx.identity);
  if (sub !== undefined) context.sub = sub;
  return context;
}

/** A cause's own words, for the logger; never a stack, never sent to a client. */
function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return typeof cause === 'string' ? cause : Object.prototype.toString.call(cause);
}
