import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io';
import { asUnauthorizedError, UnauthorizedError } from '../errors/errors.js';
import { checkNotRevoked, subjectOf, tokenRef } from '../revocation/revocation.js';
import { reshapeClaims, runAdditionalAuth } from './app-hooks.js';
import type { Identity, SessionContext } from './context.js';
import { clientAddress } from './rate-limit.js';
import * as refuse from '../errors/refusals.js';
import type { AuthStage, JwtClaims, SockjwtEvent } from '../types.js';

/**
 * One authentication, at connect and at every refresh, in both modes: the token (verify/), then
 * its revocation, then the app's hooks, then (a refresh) the rule that the socket stays whose it
 * was. `current` is the live session's payload on a refresh. Returns the identity, or throws /
 * rejects with an UnauthorizedError. Synchronous when every step is (a static key, the in-memory
 * store, no hooks, no `rateLimit`, `metrics` or `logger`): the common handshake costs no Promise.
 */
export function authenticate(ctx: SessionContext, socket: Socket, token: unknown, stage: AuthStage, current?: JwtClaims): Identity<unknown> | Promise<Identity<unknown>> {
  if (ctx.limiter === undefined && ctx.observe === undefined) return identify(ctx, socket, token, current);
  return observed(ctx, socket, token, stage, current);
}

function identify(ctx: SessionContext, socket: Socket, token: unknown, current: JwtClaims | undefined): Identity<unknown> | Promise<Identity<unknown>> {
  const payload = ctx.checkToken(socket.request, token);
  if (payload instanceof Promise) return payload.then((verified) => notRevoked(ctx, token as string, verified, current));
  return notRevoked(ctx, token as string, payload, current);
}

function notRevoked(ctx: SessionContext, token: string, payload: JwtClaims, current: JwtClaims | undefined): Identity<unknown> | Promise<Identity<unknown>> {
  const checked = checkNotRevoked(ctx.revocation, tokenRef(payload, ctx.identity), payload, token);
  if (checked !== undefined) return checked.then(() => withHooks(ctx, token, payload, current));
  return withHooks(ctx, token, payload, current);
}

function withHooks(ctx: SessionContext, token: string, payload: JwtClaims, current: JwtClaims | undefined): Identity<unknown> | Promise<Identity<unknown>> {
  if (ctx.additionalAuth === undefined && ctx.customDecoded === undefined) return sameOwner(ctx, { token, payload, claims: payload }, current);
  return runHooks(ctx, token, payload).then((identity) => sameOwner(ctx, identity, current));
}

async function runHooks(ctx: SessionContext, token: string, payload: JwtClaims): Promise<Identity<unknown>> {
  if (ctx.additionalAuth) await runAdditionalAuth(ctx.additionalAuth, payload, ctx.hookTimeoutMs);
  const claims = ctx.customDecoded ? await reshapeClaims(ctx.customDecoded, payload, ctx.hookTimeoutMs) : payload;
  return { token, payload, claims };
}

function sameOwner(ctx: SessionContext, identity: Identity<unknown>, current: JwtClaims | undefined): Identity<unknown> {
  const refusal = current && ctx.refreshRule(current, identity.payload);
  if (refusal) throw refusal;
  return identity;
}

/** With `rateLimit`, `metrics` or `logger`: the per-address failure limit first, and every outcome told. */
async function observed(ctx: SessionContext, socket: Socket, token: unknown, stage: AuthStage, current: JwtClaims | undefined): Promise<Identity<unknown>> {
  const address = clientAddress(socket, ctx.trustedProxies);
  const wait = ctx.limiter?.retryAfter(address) ?? 0;
  if (wait > 0) {
    const error = refuse.rateLimited(wait, 'too many failed authentications from this address');
    ctx.observe?.(refusalEvent(ctx, socket, error, stage, undefined, current));
    throw error;
  }
  const started = performance.now();
  try {
    const identity = await identify(ctx, socket, token, current);
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
