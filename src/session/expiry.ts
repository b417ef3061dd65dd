import type { UnauthorizedError } from '../errors/errors.js';
import * as refuse from '../errors/refusals.js';
import type { JwtClaims } from '../types.js';

// A live socket's end: when it comes (the deadline its token and `maxSessionMs` set, one rule
// at connect, live, and on recovery), and the scheduler that drops it then.

/** When a socket must go, decided once from the options. */
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

// ───────────────────────────── the scheduler ─────────────────────────────

/** setTimeout's largest delay; later deadlines are reached in hops. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** How many expiries run before yielding to I/O, so a wave of expiries cannot stall the server. */
const EXPIRIES_PER_TURN = 1000;

/**
 * What expires (a live session, in sockjwt), linked into its slot's list by fields of its own: no
 * entry object, no Set, no closure per session. Only the scheduler touches the links.
 */
export abstract class Expiring {
  expiryPrev: Expiring | undefined = undefined;
  expiryNext: Expiring | undefined = undefined;
  /** The slot it waits in; undefined while nothing is scheduled. */
  expirySlot: Slot | undefined = undefined;

  abstract expire(): void;

  /** Its pending expiry, if any, will not run. O(1); safe to call when none is pending. */
  cancelExpiry(): void {
    if (this.expirySlot) this.expirySlot.scheduler.remove(this);
  }
}

/** The expiries due in one `resolutionMs` window, as a doubly linked list. */
export class Slot {
  head: Expiring | undefined = undefined;

  constructor(
    readonly bucket: number,
    readonly scheduler: ExpiryScheduler,
  ) {}

  push(target: Expiring): void {
    target.expiryNext = this.head;
    if (this.head) this.head.expiryPrev = target;
    this.head = target;
    target.expirySlot = this;
  }

  unlink(target: Expiring): void {
    if (target.expiryPrev) target.expiryPrev.expiryNext = target.expiryNext;
    else this.head = target.expiryNext;
    if (target.expiryNext) target.expiryNext.expiryPrev = target.expiryPrev;
    target.expiryPrev = target.expiryNext = target.expirySlot = undefined;
  }
}

export interface ExpirySchedulerOptions {
  /** Deadlines are grouped into slots this many ms wide; an expiry runs at most this late. Default 100. */
  resolutionMs?: number;
  /** Clock, for benchmarks. Default `Date.now`. */
  now?: () => number;
  /** Let pending expiries keep the process alive (a standalone scheduler, a test). Default false. */
  keepProcessAlive?: boolean;
}

/**
 * Expiries for many sockets behind a single timer. Deadlines fall into slots of
 * `resolutionMs`; one timer is armed for the earliest slot, and a min-heap of slot
 * numbers finds the next one. 50,000 sockets cost three fields each (their own links) and one
 * timer, not 50,000 timers, and cancelling on disconnect is an unlink.
 */
export class ExpiryScheduler {
  private readonly slots = new Map<number, Slot>();
  private readonly heap = new MinHeap();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private draining = false;
  private pending = 0;
  private readonly resolutionMs: number;
  private readonly now: () => number;
  private readonly keepProcessAlive: boolean;

  constructor(options: ExpirySchedulerOptions = {}) {
    this.resolutionMs = options.resolutionMs ?? 100;
    this.now = options.now ?? Date.now;
    this.keepProcessAlive = options.keepProcessAlive ?? false;
  }

  /** Number of pending expiries. */
  get size(): number {
    return this.pending;
  }

  /**
   * Calls `target.expire()` once `deadline` (epoch ms) has passed, unless `target.cancelExpiry()`
   * comes first. A target already scheduled is moved: one pending expiry per target.
   */
  schedule(deadline: number, target: Expiring): void {
    target.cancelExpiry();
    const bucket = Math.ceil(deadline / this.resolutionMs);
    let slot = this.slots.get(bucket);
    if (!slot) {
      this.slots.set(bucket, (slot = new Slot(bucket, this)));
      this.heap.push(bucket);
    }
    slot.push(target);
    this.pending++;
    if (!this.draining && bucket * this.resolutionMs < this.armedFor) this.arm();
  }

  /** Cancels every pending expiry and the timer. */
  clear(): void {
    for (const slot of this.slots.values()) while (slot.head) slot.unlink(slot.head);
    this.slots.clear();
    this.heap.clear();
    this.pending = 0;
    this.disarm();
  }

  /** @internal Called by `Expiring.cancelExpiry()`. */
  remove(target: Expiring): void {
    const slot = target.expirySlot!;
    slot.unlink(target);
    this.pending--;
    // The heap keeps the stale slot number; nextLiveBucket() skips slots that no longer exist.
    if (slot.head === undefined) this.slots.delete(slot.bucket);
    if (this.slots.size === 0) {
      this.heap.clear();
      this.disarm();
    }
  }

  private arm(): void {
    this.disarm();
    const bucket = this.nextLiveBucket();
    if (bucket === undefined) return;
    this.armedFor = bucket * this.resolutionMs;
    this.startTimer(Math.min(Math.max(this.armedFor - this.now(), 0), MAX_TIMER_DELAY_MS));
  }

  private startTimer(delay: number): void {
    this.timer = setTimeout(() => this.drain(), delay);
    // Sockets keep a server alive; their pending expiries alone must not.
    if (!this.keepProcessAlive) this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private nextLiveBucket(): number | undefined {
    while (this.heap.size > 0 && !this.slots.has(this.heap.peek()!)) this.heap.pop();
    return this.heap.peek();
  }

  private drain(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    this.draining = true;
    let budget: number;
    try {
      budget = this.fireDue(EXPIRIES_PER_TURN);
    } finally {
      this.draining = false;
    }
    if (budget === 0) {
      // More may be due: let I/O run, then continue.
      this.startTimer(0);
      this.armedFor = -Infinity;
      return;
    }
    this.arm();
  }

  private fireDue(budget: number): number {
    const now = this.now();
    for (let bucket = this.nextLiveBucket(); bucket !== undefined && bucket * this.resolutionMs <= now; bucket = this.nextLiveBucket()) {
      const slot = this.slots.get(bucket)!;
      while (slot.head) {
        if (budget === 0) return 0;
        budget--;
        const target = slot.head;
        slot.unlink(target);
        this.pending--;
        runSafely(target);
      }
      this.slots.delete(bucket);
    }
    return budget;
  }
}

/** An expiry callback that throws must not stop the others. */
function runSafely(target: Expiring): void {
  try {
    target.expire();
  } catch (error) {
    process.emitWarning(`sockjwt: an expiry handler threw: ${(error as Error)?.message ?? String(error)}`, { code: 'SOCKJWT_EXPIRY_FAILED' });
  }
}

/** Binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): number | undefined {
    return this.items[0];
  }

  clear(): void {
    this.items.length = 0;
  }

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (items[parent]! <= value) break;
      items[index] = items[parent]!;
      index = parent;
    }
    items[index] = value;
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]! < items[left]! ? right : left;
      if (items[child]! >= last) break;
      items[index] = items[child]!;
      index = child;
    }
    items[index] = last;
    return top;
  }
}
