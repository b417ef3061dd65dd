/** setTimeout's largest delay; later deadlines are reached in hops. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** How many expiries run before yielding to I/O, so a wave of expiries cannot stall the server. */
const EXPIRIES_PER_TURN = 1000;

/** One scheduled expiry; `cancel()` is O(1) and safe to call twice. */
export interface ExpiryHandle {
  readonly deadline: number;
  cancel(): void;
}

interface Entry extends ExpiryHandle {
  bucket: number;
  fire: () => void;
}

export interface ExpirySchedulerOptions {
  /** Deadlines are grouped into slots this many ms wide; an expiry runs at most this late. Default 100. */
  resolutionMs?: number;
  /** Clock, for benchmarks. Default `Date.now`. */
  now?: () => number;
}

/**
 * Expiries for many sockets behind a single timer. Deadlines fall into slots of
 * `resolutionMs`; one timer is armed for the earliest slot, and a min-heap of slot
 * numbers finds the next one. 50,000 sockets cost 50,000 Set entries and one timer,
 * not 50,000 timers, and cancelling on disconnect is a Set delete.
 */
export class ExpiryScheduler {
  private readonly slots = new Map<number, Set<Entry>>();
  private readonly heap = new MinHeap();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private draining = false;
  private readonly resolutionMs: number;
  private readonly now: () => number;

  constructor(options: ExpirySchedulerOptions = {}) {
    this.resolutionMs = options.resolutionMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  /** Number of pending expiries. */
  get size(): number {
    let size = 0;
    for (const slot of this.slots.values()) size += slot.size;
    return size;
  }

  /** Runs `fire` once `deadline` (epoch ms) has passed, unless cancelled first. */
  schedule(deadline: number, fire: () => void): ExpiryHandle {
    const bucket = Math.ceil(deadline / this.resolutionMs);
    const entry: Entry = { deadline, bucket, fire, cancel: () => this.remove(entry) };
    let slot = this.slots.get(bucket);
    if (!slot) {
      this.slots.set(bucket, (slot = new Set()));
      this.heap.push(bucket);
    }
    slot.add(entry);
    if (!this.draining && bucket * this.resolutionMs < this.armedFor) this.arm();
    return entry;
  }

  /** Cancels every pending expiry and the timer. */
  clear(): void {
    this.slots.clear();
    this.heap.clear();
    this.disarm();
  }

  private remove(entry: Entry): void {
    const slot = this.slots.get(entry.bucket);
    if (!slot?.delete(entry)) return;
    // The heap keeps the stale slot number; drain() skips slots that no longer exist.
    if (slot.size === 0) this.slots.delete(entry.bucket);
    if (this.slots.size === 0) this.disarm();
  }

  private arm(): void {
    this.disarm();
    const bucket = this.nextLiveBucket();
    if (bucket === undefined) return;
    this.armedFor = bucket * this.resolutionMs;
    const delay = Math.min(Math.max(this.armedFor - this.now(), 0), MAX_TIMER_DELAY_MS);
    this.timer = setTimeout(() => this.drain(), delay);
    // Pending expiries alone must not keep a process alive.
    this.timer.unref();
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
    let budget = EXPIRIES_PER_TURN;
    try {
      budget = this.fireDue(budget);
    } finally {
      this.draining = false;
    }
    if (budget === 0) {
      // More are due: let I/O run, then continue.
      this.timer = setTimeout(() => this.drain(), 0);
      this.timer.unref();
      this.armedFor = -Infinity;
      return;
    }
    this.arm();
  }

  private fireDue(budget: number): number {
    const now = this.now();
    for (let bucket = this.nextLiveBucket(); bucket !== undefined && bucket * this.resolutionMs <= now; bucket = this.nextLiveBucket()) {
      const slot = this.slots.get(bucket)!;
      for (const entry of slot) {
        if (budget === 0) return 0;
        budget--;
        slot.delete(entry);
        runSafely(entry.fire);
      }
      this.slots.delete(bucket);
    }
    return budget;
  }
}

/** An expiry callback that throws must not stop the others. */
function runSafely(fire: () => void): void {
  try {
    fire();
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
