import { performance } from 'node:perf_hooks';
import type { Socket } from 'socket.io';
import type { Authenticate, Identity } from '../verify/authenticate.js';
import { asUnauthorizedError, UnauthorizedError } from '../errors/errors.js';
import type { AuthStage, Observe, SockjwtEvent } from '../observe/observer.js';
import type { JwtClaims } from '../options/jwt.js';
import { clientAddress, type FailureLimiter } from './rate-limit.js';
import type { RefreshRule } from './refresh-rules.js';
import { subjectOf, type IdentitySettings } from '../verify/identity.js';
import * as refuse from '../errors/refusals.js';

/**
 * Every authentication of a socket, at connect and at refresh, goes through here: the
 * per-address failure limit before verification, the verification itself, the refresh's
 * same-subject rule, and what `metrics` and `logger` are told. Built once per `authorize()`;
 * with neither a limit nor an observer it adds one property read and a call.
 */
export class AuthGate {
  constructor(
    private readonly authenticateToken: Authenticate<unknown>,
    private readonly limiter: FailureLimiter | undefined,
    private readonly observe: Observe | undefined,
    /** From `rateLimit.trustedProxies`: which address the limit and the logs see. */
    private readonly trustedProxies: number,
    /** What a refresh must keep: the identity, an expiry. */
    private readonly refreshRule: RefreshRule,
    /** Which claim names the subject the logs show (`subjectClaim`). */
    private readonly identity: IdentitySettings,
  ) {}

  /**
   * Resolves with the identity or rejects with an UnauthorizedError. `current` is the live
   * session's payload on a refresh: the new token must pass the refresh rule.
   */
  authenticate(socket: Socket, token: unknown, stage: AuthStage, current?: JwtClaims): Promise<Identity<unknown>> {
    if (!this.limiter && !this.observe) return this.verify(socket, token, current);
    return this.guarded(socket, token, stage, current);
  }

  /** A refusal decided without verifying anything: no credentials, a bad header, a timeout, a budget spent. */
  refused(socket: Socket, error: UnauthorizedError, stage: AuthStage, payload?: JwtClaims): void {
    this.limiter?.record(this.address(socket), error.reason);
    this.observe?.(this.refusal(socket, error, stage, undefined, payload));
  }

  /** A live socket dropped for expiry or revocation. */
  dropped(socket: Socket, payload: JwtClaims, error: UnauthorizedError): void {
    this.observe?.({ event: 'dropped', code: error.code, reason: error.reason, ...this.context(socket, payload) });
  }

  session(socket: Socket, payload: JwtClaims, event: 'session_opened' | 'session_closed'): void {
    this.observe?.({ event, ...this.context(socket, payload) });
  }

  private async verify(socket: Socket, token: unknown, current: JwtClaims | undefined): Promise<Identity<unknown>> {
    const identity = await this.authenticateToken(socket.request, token);
    const refusal = current && this.refreshRule(current, identity.payload);
    if (refusal) throw refusal;
    return identity;
  }

  private async guarded(socket: Socket, token: unknown, stage: AuthStage, current: JwtClaims | undefined): Promise<Identity<unknown>> {
    const address = this.address(socket);
    const wait = this.limiter?.retryAfter(address) ?? 0;
    if (wait > 0) {
      const error = refuse.rateLimited(wait, 'too many failed authentications from this address');
      this.observe?.(this.refusal(socket, error, stage, undefined, current));
      throw error;
    }
    const started = performance.now();
    try {
      const identity = await this.verify(socket, token, current);
      this.observe?.({ event: 'authenticated', stage, durationMs: performance.now() - started, ...this.context(socket, identity.payload) });
      return identity;
    } catch (caught) {
      const error = asUnauthorizedError(caught, (cause) => refuse.internal(undefined, cause));
      this.limiter?.record(address, error.reason);
      this.observe?.(this.refusal(socket, error, stage, performance.now() - started, current));
      throw error;
    }
  }

  private refusal(socket: Socket, error: UnauthorizedError, stage: AuthStage, durationMs: number | undefined, payload: JwtClaims | undefined): SockjwtEvent {
    const event: SockjwtEvent = { event: 'refused', stage, code: error.code, reason: error.reason, ...this.context(socket, payload) };
    if (durationMs !== undefined) event.durationMs = durationMs;
    if (error.cause !== undefined) event.cause = describeCause(error.cause);
    return event;
  }

  private context(socket: Socket, payload: JwtClaims | undefined): { nsp: string; address: string; sub?: string } {
    const context: { nsp: string; address: string; sub?: string } = { nsp: socket.nsp.name, address: this.address(socket) };
    const sub = payload && subjectOf(payload, this.identity);
    if (sub !== undefined) context.sub = sub;
    return context;
  }

  private address(socket: Socket): string {
    return clientAddress(socket, this.trustedProxies);
  }
}

/** A cause's own words, for the logger; never a stack, never sent to a client. */
function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return typeof cause === 'string' ? cause : Object.prototype.toString.call(cause);
}
