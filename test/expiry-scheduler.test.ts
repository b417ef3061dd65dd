import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Expiring, ExpiryScheduler } from '../src/session/expiry.js';

/** Something that expires by calling `expire`. */
const expiring = (expire: () => void): Expiring => new (class extends Expiring {
  expire = expire;
})();
const activeTimeouts = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('ExpiryScheduler', () => {
  it('runs expiries in deadline order, each once, on a single timer', async () => {
    const scheduler = new ExpiryScheduler({ resolutionMs: 10, keepProcessAlive: true });
    const before = activeTimeouts();
    const fired: number[] = [];
    const start = Date.now();
    const all = new Promise<void>((resolve) => {
      for (const offset of [60, 20, 40, 20, 0]) {
        scheduler.schedule(start + offset, expiring(() => {
          fired.push(offset);
          if (fired.length === 5) resolve();
        }));
      }
    });
    assert.equal(activeTimeouts() - before, 1);
    assert.equal(scheduler.size, 5);
    await all;
    assert.deepEqual(fired, [0, 20, 20, 40, 60]);
    assert.equal(scheduler.size, 0);
    assert.equal(activeTimeouts(), before, 'no timer left once everything ran');
  });

  it('10,000 sessions cost one timer, and cancelling them all leaves none', () => {
    const scheduler = new ExpiryScheduler({ keepProcessAlive: true });
    const before = activeTimeouts();
    const targets = Array.from({ length: 10_000 }, () => expiring(() => assert.fail('cancelled expiry ran')));
    targets.forEach((target, i) => scheduler.schedule(Date.now() + 60_000 + i * 7, target));
    assert.equal(activeTimeouts() - before, 1);
    for (const target of targets) target.cancelExpiry();
    targets[0]!.cancelExpiry();
    assert.equal(scheduler.size, 0);
    assert.equal(activeTimeouts(), before);
  });

  it('never fires early, and a cancelled expiry never fires', async () => {
    const scheduler = new ExpiryScheduler({ resolutionMs: 50, keepProcessAlive: true });
    const deadline = Date.now() + 120;
    const cancelled = expiring(() => assert.fail('cancelled expiry ran'));
    scheduler.schedule(deadline - 10, cancelled);
    cancelled.cancelExpiry();
    const firedAt = await new Promise<number>((resolve) => scheduler.schedule(deadline, expiring(() => resolve(Date.now()))));
    assert.ok(firedAt >= deadline, `fired ${deadline - firedAt} ms early`);
    scheduler.clear();
  });

  it('an expiry handler that throws does not stop the others', async () => {
    const scheduler = new ExpiryScheduler({ resolutionMs: 5, keepProcessAlive: true });
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    const later = new Promise<void>((resolve) => {
      scheduler.schedule(Date.now(), expiring(() => {
        throw new Error('boom');
      }));
      scheduler.schedule(Date.now() + 1, expiring(resolve));
    });
    await later;
    assert.match((await warned).message, /boom/);
  });

  it('a deadline beyond setTimeout range is reached in hops, not fired at once', () => {
    const scheduler = new ExpiryScheduler({ keepProcessAlive: true });
    let fired = false;
    scheduler.schedule(Date.now() + 2 ** 32, expiring(() => (fired = true)));
    assert.equal(fired, false);
    assert.equal(scheduler.size, 1);
    scheduler.clear();
  });
});
