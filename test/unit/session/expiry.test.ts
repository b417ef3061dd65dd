// Unit tests of src/session/expiry.ts: a socket's deadline (pure functions of the payload and the
// options), then one test per transition of the scheduler, on a fake clock (node:test's
// MockTimers for setTimeout and Date). Nothing waits in real time.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { dropsExpiry, endOfLife, Expiring, ExpiryScheduler, remainingMs, sessionDeadline, tokenDeadline, type ExpirySchedulerOptions, type LifetimeSettings } from '../../../src/session/expiry.js';
import { fakeClock } from '../fake-clock.js';

/** setTimeout's largest delay (the scheduler's MAX_TIMER_DELAY_MS). */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** Expiries run per turn before yielding (the scheduler's EXPIRIES_PER_TURN). */
const EXPIRIES_PER_TURN = 1000;
/** The fake clock's epoch ms at the start of every test: a multiple of every resolution used here. */
const START = 1_700_000_000_000;

/** What the tests schedule: an `Expiring` that runs `onExpire`. */
class Target extends Expiring {
  constructor(private readonly onExpire: () => void) {
    super();
  }

  expire(): void {
    this.onExpire();
  }
}

/** A scheduler on the fake clock, cleared after the test; `fired` lists the names expired, in order. */
function setup(t: TestContext, options: ExpirySchedulerOptions = {}) {
  const clock = fakeClock(t, { now: START });
  const scheduler = new ExpiryScheduler({ resolutionMs: 100, keepProcessAlive: true, ...options });
  t.after(() => {
    scheduler.clear();
    assert.deepEqual(clock.live(), [], 'clear() leaves no timer armed');
  });
  const fired: string[] = [];
  const target = (name: string, then?: () => void): Expiring => new Target(() => {
    fired.push(name);
    then?.();
  });
  /** Schedules `name` at START + ms; returns its handle, `{ cancel }`. */
  const schedule = (ms: number, name: string, then?: () => void) => {
    const scheduled = target(name, then);
    scheduler.schedule(START + ms, scheduled);
    return { cancel: () => scheduled.cancelExpiry() };
  };
  return { ...clock, scheduler, fired, schedule, target };
}

describe('a socket’s deadline (unit)', () => {
  const S = START / 1000;
  /** Settings as `authorize()` builds them: `exp` enforced, nothing else, unless `extra` says. */
  const lifetime = (extra: Partial<LifetimeSettings> = {}): LifetimeSettings => ({
    enforceExp: true, maxAgeMs: undefined, maxSessionMs: undefined, clockToleranceMs: 0, expiredGraceMs: 0,
    scheduler: undefined as unknown as ExpiryScheduler, ...extra,
  });

  it('tokenDeadline: exp in ms, plus clockTolerance and the grace; none without exp', () => {
    assert.equal(tokenDeadline({ exp: S + 60 }, lifetime()), START + 60_000);
    assert.equal(tokenDeadline({ exp: S + 60 }, lifetime({ clockToleranceMs: 5000, expiredGraceMs: 1000 })), START + 66_000);
    assert.equal(tokenDeadline({}, lifetime()), undefined);
  });

  it('tokenDeadline: exp not enforced, or not a finite number: no deadline from it', () => {
    assert.equal(tokenDeadline({ exp: S + 60 }, lifetime({ enforceExp: false })), undefined);
    assert.equal(tokenDeadline({ exp: '1700000060' as unknown as number }, lifetime()), undefined);
    assert.equal(tokenDeadline({ exp: Infinity }, lifetime()), undefined);
  });

  it('tokenDeadline: maxAge counts from iat, the earlier of it and exp wins; without iat, exp alone', () => {
    assert.equal(tokenDeadline({ iat: S, exp: S + 3600 }, lifetime({ maxAgeMs: 60_000 })), START + 60_000);
    assert.equal(tokenDeadline({ iat: S, exp: S + 30 }, lifetime({ maxAgeMs: 60_000 })), START + 30_000);
    assert.equal(tokenDeadline({ exp: S + 3600 }, lifetime({ maxAgeMs: 60_000 })), START + 3_600_000);
  });

  it('sessionDeadline: maxSessionMs from the session’s start, the earlier of it and the token’s', () => {
    assert.equal(sessionDeadline({ exp: S + 3600 }, START, lifetime({ maxSessionMs: 60_000 })), START + 60_000);
    assert.equal(sessionDeadline({ exp: S + 30 }, START, lifetime({ maxSessionMs: 60_000 })), START + 30_000);
    assert.equal(sessionDeadline({}, START, lifetime({ maxSessionMs: 60_000 })), START + 60_000, 'a token without exp still ends with the session');
    assert.equal(sessionDeadline({}, START, lifetime()), undefined);
  });

  it('endOfLife: session_limit before expired; undefined while neither has passed', () => {
    const settings = lifetime({ maxSessionMs: 60_000 });
    assert.equal(endOfLife({ exp: S + 3600 }, START, settings, START + 59_999), undefined);
    assert.equal(endOfLife({ exp: S + 3600 }, START, settings, START + 60_000)?.reason, 'session_limit');
    assert.equal(endOfLife({ exp: S + 30 }, START, settings, START + 60_000)?.reason, 'session_limit', 'both passed: the session limit says it');
    assert.equal(endOfLife({ exp: S + 30 }, START, lifetime(), START + 30_000)?.reason, 'expired');
  });

  it('remainingMs: whole ms left, never negative; null when the socket never has to go', () => {
    assert.equal(remainingMs({ exp: S + 60 }, START, lifetime(), START + 500.7), 59_499);
    assert.equal(remainingMs({ exp: S + 60 }, START, lifetime(), START + 90_000), 0);
    assert.equal(remainingMs({}, START, lifetime()), null);
  });

  it('dropsExpiry: a refresh may not trade a token that expires for one that does not', () => {
    assert.equal(dropsExpiry({ exp: S + 60 }, {}, lifetime()), true);
    assert.equal(dropsExpiry({ exp: S + 60 }, { exp: S + 120 }, lifetime()), false);
    assert.equal(dropsExpiry({}, {}, lifetime()), false);
    assert.equal(dropsExpiry({ exp: S + 60 }, {}, lifetime({ enforceExp: false })), false, 'exp not enforced: nothing to keep');
  });
});

describe('ExpiryScheduler (unit, fake clock)', () => {
  describe('schedule', () => {
    it('on an empty scheduler: arms one timer, for the end of the deadline’s slot', (t) => {
      const h = setup(t);
      h.schedule(1050, 'a');
      assert.equal(h.scheduler.size, 1);
      assert.deepEqual(
        h.timers.map((timer) => timer.delay),
        [1100],
      );
      h.at(1099);
      assert.deepEqual(h.fired, [], 'never before its slot ends');
      h.at(1100);
      assert.deepEqual(h.fired, ['a']);
      assert.equal(h.scheduler.size, 0);
      assert.equal(h.live().length, 0, 'nothing left, no timer left');
    });

    it('a deadline on a slot boundary runs at that boundary, not a slot later', (t) => {
      const h = setup(t);
      h.schedule(1000, 'a');
      assert.equal(h.timers[0]!.delay, 1000);
      h.at(1000);
      assert.deepEqual(h.fired, ['a']);
    });

    it('a deadline already past: armed with delay 0, runs on the next timer turn', (t) => {
      const h = setup(t);
      h.schedule(-5000, 'late');
      assert.deepEqual(
        h.timers.map((timer) => timer.delay),
        [0],
      );
      assert.deepEqual(h.fired, [], 'not synchronously inside schedule()');
      h.tick(0);
      assert.deepEqual(h.fired, ['late']);
    });

    it('earlier than the armed slot: re-arms (old timer cleared, one timer for the earlier slot)', (t) => {
      const h = setup(t);
      h.schedule(5000, 'late');
      h.schedule(1000, 'early');
      assert.deepEqual(
        h.timers.map((timer) => [timer.delay, timer.cleared]),
        [
          [5000, true],
          [1000, false],
        ],
      );
      assert.equal(h.live().length, 1);
      h.at(1000);
      assert.deepEqual(h.fired, ['early']);
      assert.deepEqual(
        h.live().map((timer) => timer.delay),
        [4000],
        'then armed for the later slot',
      );
      h.at(5000);
      assert.deepEqual(h.fired, ['early', 'late']);
    });

    it('later than the armed slot, or into it: does not re-arm', (t) => {
      const h = setup(t);
      h.schedule(1000, 'first');
      h.schedule(5000, 'later');
      h.schedule(950, 'same slot');
      assert.equal(h.timers.length, 1, 'still the one timer');
      assert.equal(h.scheduler.size, 3);
      h.at(1000);
      assert.deepEqual(new Set(h.fired), new Set(['first', 'same slot']));
      h.at(4999);
      assert.equal(h.fired.length, 2);
      h.at(5000);
      assert.equal(h.fired.at(-1), 'later');
    });

    it('deadlines in one resolution window share a slot: one timer, fired together at its end', (t) => {
      const h = setup(t, { resolutionMs: 250 });
      h.schedule(1001, 'a');
      h.schedule(1100, 'b');
      h.schedule(1250, 'c');
      h.schedule(1251, 'next slot');
      assert.equal(h.timers.length, 1);
      assert.equal(h.timers[0]!.delay, 1250);
      h.at(1250);
      assert.deepEqual(new Set(h.fired), new Set(['a', 'b', 'c']));
      assert.equal(h.fired.length, 3);
      h.at(1499);
      assert.equal(h.fired.length, 3);
      h.at(1500);
      assert.deepEqual(h.fired.at(-1), 'next slot');
    });

    it('reads deadlines against the injected now(), not Date.now()', (t) => {
      const h = setup(t, { now: () => Date.now() + 400 });
      h.schedule(1000, 'a');
      assert.equal(h.timers[0]!.delay, 600, 'the injected clock is 400 ms ahead');
      h.at(600);
      assert.deepEqual(h.fired, ['a'], 'due by the injected clock');
    });
  });

  describe('cancel', () => {
    // Entries of a slot are a linked list, newest first: cancelling must relink each position.
    for (const [position, victim] of [
      ['head (scheduled last)', 'c'],
      ['middle', 'b'],
      ['tail (scheduled first)', 'a'],
    ] as const) {
      it(`of the ${position} entry of a slot: only that one is skipped`, (t) => {
        const h = setup(t);
        const handles = { a: h.schedule(1000, 'a'), b: h.schedule(1000, 'b'), c: h.schedule(1000, 'c') };
        handles[victim].cancel();
        assert.equal(h.scheduler.size, 2);
        h.at(1000);
        assert.deepEqual(h.fired.sort(), ['a', 'b', 'c'].filter((name) => name !== victim));
        assert.equal(h.scheduler.size, 0);
      });
    }

    it('of the armed slot’s only entry: the timer still wakes, fires nothing, then arms the next slot', (t) => {
      const h = setup(t);
      h.schedule(3000, 'next');
      h.schedule(1000, 'cancelled').cancel();
      assert.equal(h.scheduler.size, 1);
      assert.deepEqual(
        h.live().map((timer) => timer.delay),
        [1000],
        'cancelling does not re-arm (the heap is not searched on cancel)',
      );
      h.at(1000);
      assert.deepEqual(h.fired, []);
      assert.deepEqual(
        h.live().map((timer) => timer.delay),
        [2000],
      );
      h.at(3000);
      assert.deepEqual(h.fired, ['next']);
    });

    it('of a later slot: the earlier still fires on time, the cancelled never', (t) => {
      const h = setup(t);
      h.schedule(1000, 'first');
      h.schedule(2000, 'middle').cancel();
      h.schedule(3000, 'last');
      h.at(3000);
      assert.deepEqual(h.fired, ['first', 'last']);
    });

    it('of the last pending expiry: disarms the timer', (t) => {
      const h = setup(t);
      const a = h.schedule(1000, 'a');
      const b = h.schedule(2000, 'b');
      a.cancel();
      assert.equal(h.live().length, 1, 'b still pending: the timer stays');
      b.cancel();
      assert.equal(h.live().length, 0);
      assert.equal(h.timers[0]!.cleared, true);
      h.at(10_000);
      assert.deepEqual(h.fired, []);
    });

    it('twice, or after it fired: a no-op, size counts each expiry once', (t) => {
      const h = setup(t);
      const a = h.schedule(1000, 'a');
      const b = h.schedule(1000, 'b');
      h.schedule(2000, 'c');
      a.cancel();
      a.cancel();
      assert.equal(h.scheduler.size, 2);
      h.at(1000);
      assert.deepEqual(h.fired, ['b']);
      assert.equal(h.scheduler.size, 1);
      b.cancel();
      assert.equal(h.scheduler.size, 1, 'cancelling a fired expiry changes nothing');
      h.at(2000);
      assert.deepEqual(h.fired, ['b', 'c']);
      assert.equal(h.scheduler.size, 0);
    });

    it('a slot emptied by cancel and scheduled again fires its new entry once', (t) => {
      const h = setup(t);
      h.schedule(1000, 'old').cancel();
      h.schedule(1000, 'new');
      h.schedule(2000, 'after');
      h.at(2000);
      assert.deepEqual(h.fired, ['new', 'after']);
      h.at(100_000);
      assert.deepEqual(h.fired, ['new', 'after'], 'no second run from the slot number left in the heap');
    });
  });

  describe('firing', () => {
    it('runs slots in deadline order, each at the end of its slot', (t) => {
      const h = setup(t);
      for (const ms of [3000, 1000, 4000, 2000]) h.schedule(ms, String(ms));
      for (const ms of [1000, 2000, 3000, 4000]) {
        h.at(ms - 1);
        assert.equal(h.fired.length, ms / 1000 - 1, `nothing early (at ${ms - 1})`);
        h.at(ms);
        assert.equal(h.fired.at(-1), String(ms));
      }
      assert.deepEqual(h.fired, ['1000', '2000', '3000', '4000']);
      assert.equal(h.live().length, 0);
    });

    it('slots all due at one wake-up run in deadline order, in one drain', (t) => {
      let lateBy = 0;
      const h = setup(t, { now: () => Date.now() + lateBy });
      h.schedule(2000, '2000');
      h.schedule(1500, '1500');
      h.schedule(1000, '1000');
      const armed = h.timers.length;
      lateBy = 1000; // the timer for 1000 wakes up when 1500 and 2000 are due too (a busy event loop)
      h.at(1000);
      assert.deepEqual(h.fired, ['1000', '1500', '2000']);
      assert.equal(h.timers.length, armed, 'no further timer was needed');
    });

    it('an expiry scheduled while firing, already due: runs in the same drain, no timer armed for it', (t) => {
      const h = setup(t);
      h.schedule(1000, 'a', () => h.schedule(900, 'scheduled by a'));
      const armed = h.timers.length;
      h.at(1000);
      assert.deepEqual(h.fired, ['a', 'scheduled by a']);
      assert.equal(h.timers.length, armed, 'no timer armed from inside the drain');
      assert.equal(h.scheduler.size, 0);
    });

    it('an expiry scheduled while firing, for later: armed once the drain ends, fired on time', (t) => {
      const h = setup(t);
      h.schedule(1000, 'a', () => h.schedule(3000, 'scheduled by a'));
      const armed = h.timers.length;
      h.at(1000);
      assert.deepEqual(h.fired, ['a']);
      assert.equal(h.scheduler.size, 1);
      assert.equal(h.timers.length, armed + 1, 'exactly one timer armed, after the drain');
      assert.deepEqual(
        h.live().map((timer) => timer.delay),
        [2000],
      );
      h.at(2999);
      assert.deepEqual(h.fired, ['a']);
      h.at(3000);
      assert.deepEqual(h.fired, ['a', 'scheduled by a']);
    });

    it('an expiry cancelled by another one of the same slot, while firing, does not run', (t) => {
      const h = setup(t);
      // Newest first within a slot: 'canceller' (scheduled last) runs before 'victim'.
      const victim = h.schedule(1000, 'victim');
      h.schedule(1000, 'canceller', () => victim.cancel());
      h.schedule(2000, 'later');
      h.at(1000);
      assert.deepEqual(h.fired, ['canceller']);
      assert.equal(h.scheduler.size, 1);
      h.at(2000);
      assert.deepEqual(h.fired, ['canceller', 'later']);
    });

    it('an expire() that throws: a SOCKJWT_EXPIRY_FAILED warning, and the rest of the slot and later slots still run', (t) => {
      const h = setup(t);
      const warnings = t.mock.method(process, 'emitWarning', () => {});
      h.schedule(1000, 'before');
      h.schedule(1000, 'thrower', () => {
        throw new Error('boom');
      });
      h.schedule(1000, 'after');
      h.schedule(2000, 'next slot');
      h.at(1000);
      assert.deepEqual(new Set(h.fired), new Set(['before', 'thrower', 'after']));
      assert.equal(warnings.mock.callCount(), 1);
      const [message, options] = warnings.mock.calls[0]!.arguments as unknown as [string, { code: string }];
      assert.match(message, /boom/);
      assert.equal(options.code, 'SOCKJWT_EXPIRY_FAILED');
      assert.equal(h.scheduler.size, 1);
      h.at(2000);
      assert.equal(h.fired.at(-1), 'next slot', 'the scheduler keeps going');
    });

    it(`a wave of more than ${EXPIRIES_PER_TURN} due expiries runs ${EXPIRIES_PER_TURN} per turn, continued on 0 ms timers`, (t) => {
      const h = setup(t);
      const total = 2 * EXPIRIES_PER_TURN + 500;
      /** For each expiry, how many timers existed when it ran: which turn it ran in. */
      const turn: number[] = [];
      for (let i = 0; i < total; i++) h.scheduler.schedule(START + 1000, new Target(() => turn.push(h.timers.length)));
      h.at(1000);
      assert.equal(turn.length, total);
      const perTurn = [1, 2, 3].map((timers) => turn.filter((seen) => seen === timers).length);
      assert.deepEqual(perTurn, [EXPIRIES_PER_TURN, EXPIRIES_PER_TURN, 500]);
      assert.deepEqual(
        h.timers.slice(1).map((timer) => timer.delay),
        [0, 0],
        'continued after a 0 ms timer, not synchronously',
      );
      assert.equal(h.scheduler.size, 0);
      assert.equal(h.live().length, 0);
    });

    it('a deadline beyond setTimeout’s limit is reached in hops of at most 2^31-1 ms, and fires on time', (t) => {
      const h = setup(t);
      const far = 2 ** 32 + 100 - (2 ** 32 % 100); // a slot boundary just past 2^32 ms away
      h.schedule(far, 'far');
      assert.equal(h.timers[0]!.delay, MAX_TIMER_DELAY_MS);
      h.at(MAX_TIMER_DELAY_MS);
      assert.deepEqual(h.fired, [], 'not fired after the first hop');
      assert.equal(h.scheduler.size, 1);
      h.at(2 * MAX_TIMER_DELAY_MS);
      assert.deepEqual(h.fired, []);
      h.at(far - 1);
      assert.deepEqual(h.fired, []);
      h.at(far);
      assert.deepEqual(h.fired, ['far']);
      for (const timer of h.timers) assert.ok(timer.delay <= MAX_TIMER_DELAY_MS, `a timer of ${timer.delay} ms`);
      assert.deepEqual(
        h.timers.map((timer) => timer.delay),
        [MAX_TIMER_DELAY_MS, MAX_TIMER_DELAY_MS, far - 2 * MAX_TIMER_DELAY_MS],
      );
    });
  });

  describe('keepProcessAlive', () => {
    it('false (the default): every timer is unref’d, the armed one and the wave’s continuations', (t) => {
      const h = setup(t, { keepProcessAlive: false });
      h.schedule(5000, 'late');
      h.schedule(1000, 'early'); // re-arms
      for (let i = 0; i < EXPIRIES_PER_TURN; i++) h.schedule(1000, `wave ${i}`); // one more than a turn: a continuation
      h.at(1000);
      h.at(5000);
      assert.equal(h.timers.length, 4, 'armed, re-armed, continuation, armed for the later slot');
      assert.deepEqual(
        h.timers.map((timer) => timer.unrefd),
        [true, true, true, true],
      );
    });

    it('true: no timer is unref’d', (t) => {
      const h = setup(t, { keepProcessAlive: true });
      h.schedule(5000, 'late');
      h.schedule(1000, 'early');
      for (let i = 0; i < EXPIRIES_PER_TURN; i++) h.schedule(1000, `wave ${i}`);
      h.at(1000);
      h.at(5000);
      assert.equal(h.timers.length, 4);
      assert.deepEqual(
        h.timers.map((timer) => timer.unrefd),
        [false, false, false, false],
      );
    });
  });

  describe('size and clear', () => {
    it('size counts scheduled expiries, less those cancelled or fired', (t) => {
      const h = setup(t);
      assert.equal(h.scheduler.size, 0);
      const handles = [1000, 1000, 2000, 3000].map((ms, i) => h.schedule(ms, String(i)));
      assert.equal(h.scheduler.size, 4);
      handles[2]!.cancel();
      assert.equal(h.scheduler.size, 3);
      h.at(1000);
      assert.equal(h.scheduler.size, 1);
      h.at(3000);
      assert.equal(h.scheduler.size, 0);
    });

    it('clear(): cancels every pending expiry and disarms; old handles are no-ops; the scheduler works after', (t) => {
      const h = setup(t);
      const old = [h.schedule(1000, 'a'), h.schedule(2000, 'b')];
      h.scheduler.clear();
      assert.equal(h.scheduler.size, 0);
      assert.equal(h.live().length, 0);
      for (const handle of old) handle.cancel();
      assert.equal(h.scheduler.size, 0, 'not below zero');
      h.schedule(3000, 'after clear');
      assert.equal(h.live().length, 1);
      h.at(10_000);
      assert.deepEqual(h.fired, ['after clear']);
    });
  });
});
