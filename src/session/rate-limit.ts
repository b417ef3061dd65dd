import type { Socket } from 'socket.io';
import type { ErrorReason, RefreshLimitOptions } from '../types.js';

/** Refusals that say something about the client, not about this server's keys or stores. */
const SERVER_SIDE: ReadonlySet<ErrorReason> = new Set(['key_unavailable', 'revocation_unavailable', 'internal', 'rate_limited']);

interface Window {
  start: number;
  count: number;
}

/**
 * Fixed windows of failed authentications, one per address, in a Map kept in window order:
 * a new window is re-inserted at the end, so expired windows are always at the front and are
 * swept there, a few at each write. No timer; memory is capped at `maxAddresses` windows.
 */
export class FailureLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly maxAddresses: number,
  ) {}

  /** Milliseconds until `address` may try again, or 0 when it may now. */
  retryAfter(address: string, now = Date.now()): number {
    const window = this.windows.get(address);
    return window ? waitToSpend(window, this.maxFailures, this.windowMs, now) : 0;
  }

  /** Counts a refusal against the address, unless the server, not the client, was at fault. */
  record(address: string, reason: ErrorReason, now = Date.now()): void {
    if (SERVER_SIDE.has(reason)) return;
    this.sweep(now);
    const window = this.windows.get(address);
    if (window && now - window.start < this.windowMs) {
      window.count++;
      return;
    }
    this.windows.delete(address);
    this.windows.set(address, { start: now, count: 1 });
    if (this.windows.size > this.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
  }

  /** Addresses currently tracked (for tests and the soak report). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    for (const [address, window] of this.windows) {
      if (now - window.start < this.windowMs) return;
      this.windows.delete(address);
    }
  }
}

/** Milliseconds until a window that has spent `max` reopens; 0 while it has room or is over. */
function waitToSpend(window: Window, max: number, windowMs: number, now: number): number {
  if (window.count < max) return 0;
  const remaining = window.start + windowMs - now;
  return remaining > 0 ? remaining : 0;
}

/**
 * A fixed window of refreshes for one live socket. Each refresh costs a verification (an
 * RSA or EC signature check, maybe a key fetch), so a socket cannot make the server do
 * unbounded work by sending `authenticate` in a loop; over budget it is refused at no cost.
 */
export class RefreshBudget implements Window {
  start = 0;
  count = 0;

  constructor(private readonly limit: Required<RefreshLimitOptions>) {}

  /** Milliseconds until another refresh is allowed, or 0 after spending one now. */
  spend(now = Date.now()): number {
    if (now - this.start >= this.limit.windowMs) {
      this.start = now;
      this.count = 0;
    }
    const wait = waitToSpend(this, this.limit.max, this.limit.windowMs, now);
    if (wait === 0) this.count++;
    return wait;
  }
}

/**
 * The client's address: the socket's remote address, or behind `trustedProxies` proxies the
 * `X-Forwarded-For` entry the nearest trusted one recorded. Entries further left were written
 * by the client itself and are never believed.
 */
export function clientAddress(socket: Socket, trustedProxies: number): string {
  const remote = socket.handshake.address;
  if (trustedProxies === 0) return remote;
  const header = socket.handshake.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  const chain = [...forwarded, remote];
  return chain[Math.max(0, chain.length - 1 - trustedProxies)]!;
}
