// The fake clock of the unit tests: node:test's MockTimers for setTimeout and Date, with every
// timer recorded (delay, unref, cleared, fired), so that a test can say which timers the code under
// test armed and that none is left behind. Restored after the test (the mocks first, then MockTimers).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

/** A timer armed through the fake clock. */
export interface TimerRecord {
  delay: number;
  unrefd: boolean;
  cleared: boolean;
  fired: boolean;
}

type TimerGlobals = {
  setTimeout: (callback: () => void, delay: number) => NodeJS.Timeout;
  clearTimeout: (timer: NodeJS.Timeout | undefined) => void;
};

/** More timers than any test arms: past it, a loop of timers (a 0 ms timer re-armed forever) fails the test instead of hanging it. */
const RUNAWAY_TIMERS = 1000;

/**
 * Starts the fake clock at `now` (epoch ms). `performance.now()` follows it when `monotonic` is set:
 * MockTimers (Node 20 and 22) does not fake it.
 */
export function fakeClock(t: TestContext, { now, monotonic = false }: { now: number; monotonic?: boolean }) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now });
  if (monotonic) t.mock.method(performance, 'now', () => Date.now() - now);
  const globals = globalThis as unknown as TimerGlobals;
  /** MockTimers' own setTimeout and clearTimeout: for fakes that stand in for a library's timers, which the code under test does not own. */
  const untracked: TimerGlobals = { setTimeout: globals.setTimeout, clearTimeout: globals.clearTimeout };
  const timers: TimerRecord[] = [];
  const records = new Map<NodeJS.Timeout, TimerRecord>();
  t.mock.method(globals, 'setTimeout', (callback: () => void, delay: number) => {
    if (timers.length >= RUNAWAY_TIMERS) throw new Error(`more than ${RUNAWAY_TIMERS} timers armed in one test: a runaway loop of timers`);
    const record: TimerRecord = { delay, unrefd: false, cleared: false, fired: false };
    const timer = untracked.setTimeout(() => {
      record.fired = true;
      callback();
    }, delay);
    const unref = timer.unref.bind(timer);
    timer.unref = () => {
      record.unrefd = true;
      return unref();
    };
    timers.push(record);
    records.set(timer, record);
    return timer;
  });
  t.mock.method(globals, 'clearTimeout', (timer: NodeJS.Timeout | undefined) => {
    const record = timer && records.get(timer);
    if (record && !record.fired) record.cleared = true;
    untracked.clearTimeout(timer);
  });
  return {
    /** Every timer armed since the clock started, in order. */
    timers,
    /** Timers armed and not yet fired or cleared. */
    live: () => timers.filter((timer) => !timer.fired && !timer.cleared),
    /** Moves the clock by `ms`, running the timers due (MockTimers' tick). */
    tick: (ms: number) => t.mock.timers.tick(ms),
    /** Moves the clock to `now + ms` (forward only). */
    at: (ms: number) => {
      const by = now + ms - Date.now();
      assert.ok(by >= 0, `the clock only moves forward (now +${Date.now() - now}, asked +${ms})`);
      t.mock.timers.tick(by);
    },
    untracked,
  };
}
