// Unit tests of src/postgres/notice-listener.ts: one per transition of the listening connection,
// with a fake connection and a fake clock. Nothing waits in real time, nothing touches PostgreSQL.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import { NoticeListener, type ListenConnection, type NoticeListenerOptions } from '../../../src/postgres/notice-listener.js';
import { fakeClock } from '../fake-clock.js';

const START = 1_700_000_000_000;
const OPTIONS = { channel: 'sockjwt_revocations', timeoutMs: 1000, heartbeatMs: 10_000, retryMinMs: 100, retryMaxMs: 5000 };

interface Deferred {
  resolve(value?: unknown): void;
  reject(error: unknown): void;
}

/** A connection whose every call waits for the test to settle it. */
class FakeConnection extends EventEmitter {
  readonly calls: { what: string; settle: Deferred }[] = [];
  ended = false;
  private call(what: string): Promise<unknown> {
    return new Promise((resolve, reject) => this.calls.push({ what, settle: { resolve, reject } }));
  }
  connect = () => this.call('connect');
  query = (text: string) => this.call(text);
  end = () => {
    this.ended = true;
    return Promise.resolve();
  };
  /** Settles the oldest unsettled call, which must be `what`. */
  answer(what: string, error?: Error): void {
    const call = this.calls.shift();
    assert.equal(call?.what, what);
    if (error) call.settle.reject(error);
    else call.settle.resolve();
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup(t: TestContext, options: Partial<NoticeListenerOptions> = {}) {
  const clock = fakeClock(t, { now: START });
  const connections: FakeConnection[] = [];
  const log: string[] = [];
  const heard: string[] = [];
  const listener = new NoticeListener({
    ...OPTIONS,
    open: () => {
      const connection = new FakeConnection();
      connections.push(connection);
      return connection as unknown as ListenConnection;
    },
    hear: (payload) => heard.push(payload),
    onListening: () => log.push('listening'),
    onFailure: (error) => log.push(`failure: ${(error as Error).message}`),
    ...options,
  });
  t.after(async () => {
    await listener.close();
    assert.deepEqual(clock.live(), [], 'close() leaves no timer armed');
  });
  const last = () => connections.at(-1)!;
  /** Drives the current connection through connect and LISTEN. */
  const listen = async () => {
    await flush();
    last().answer('connect');
    await flush();
    last().answer('LISTEN "sockjwt_revocations"');
    await flush();
  };
  return { ...clock, listener, connections, log, heard, last, listen };
}

describe('NoticeListener (unit, fake clock)', () => {
  it('idle → connecting → listening: connects, LISTENs on the quoted channel, says so once, arms the heartbeat', async (t) => {
    const h = setup(t);
    assert.equal(h.listener.state, 'idle');
    const listening = h.listener.whenListening();
    h.listener.start();
    assert.equal(h.listener.state, 'connecting');
    await h.listen();
    await listening;
    assert.equal(h.listener.state, 'listening');
    assert.deepEqual(h.log, ['listening']);
    assert.deepEqual(h.live().map((timer) => [timer.delay, timer.unrefd]), [[OPTIONS.heartbeatMs, true]]);
    h.listener.start();
    assert.equal(h.connections.length, 1, 'start() twice opens one connection');
  });

  it('connecting runs prepare before LISTEN; a failing prepare is a failed attempt', async (t) => {
    const prepared: string[] = [];
    const h = setup(t, { prepare: async (connection) => void prepared.push(String(await connection.query('CREATE …'))) });
    h.listener.start();
    await flush();
    h.last().answer('connect');
    await flush();
    h.last().answer('CREATE …', new Error('permission denied'));
    await flush();
    assert.equal(h.listener.state, 'waiting');
    assert.deepEqual(h.log, ['failure: permission denied']);
    assert.equal(h.last().ended, true);
  });

  it('connecting → waiting on a refused connection; the retry opens a new one after retryMinMs', async (t) => {
    const h = setup(t);
    h.listener.start();
    await flush();
    h.last().answer('connect', new Error('ECONNREFUSED'));
    await flush();
    assert.equal(h.listener.state, 'waiting');
    assert.deepEqual(h.log, ['failure: ECONNREFUSED']);
    h.tick(99);
    assert.equal(h.connections.length, 1);
    h.tick(1);
    assert.equal(h.connections.length, 2);
    assert.equal(h.listener.state, 'connecting');
  });

  it('connecting → waiting when connect does not answer within timeoutMs', async (t) => {
    const h = setup(t);
    h.listener.start();
    await flush();
    h.tick(OPTIONS.timeoutMs);
    await flush();
    assert.equal(h.listener.state, 'waiting');
    assert.match(h.log[0]!, /did not answer within 1000 ms/);
  });

  it('waiting: each failure doubles the delay up to retryMaxMs; listening again starts over', async (t) => {
    const h = setup(t);
    h.listener.start();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      await flush();
      h.last().answer('connect', new Error('down'));
      await flush();
      const retry = h.live().at(-1)!;
      delays.push(retry.delay);
      h.tick(retry.delay);
    }
    assert.deepEqual(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
    await h.listen();
    assert.equal(h.listener.state, 'listening');
    h.last().emit('end');
    await flush();
    assert.equal(h.live().at(-1)!.delay, 100);
  });

  for (const event of ['error', 'end'] as const) {
    it(`listening → waiting on '${event}': the connection is ended, the heartbeat cleared, the failure reported once`, async (t) => {
      const h = setup(t);
      h.listener.start();
      await h.listen();
      const dead = h.last();
      dead.emit(event, new Error('terminating connection'));
      dead.emit('end');
      await flush();
      assert.equal(h.listener.state, 'waiting');
      assert.equal(dead.ended, true);
      assert.equal(h.log.filter((line) => line.startsWith('failure')).length, 1, 'later events of a dropped connection are ignored');
      assert.deepEqual(h.live().map((timer) => timer.delay), [100], 'only the retry is armed');
      h.tick(100);
      await h.listen();
      assert.deepEqual(h.log.filter((line) => line === 'listening').length, 2, 'listening again is said again: notices were missed');
    });
  }

  it('listening: an answered heartbeat re-arms; an unanswered one within timeoutMs means the connection is lost', async (t) => {
    const h = setup(t);
    h.listener.start();
    await h.listen();
    h.tick(OPTIONS.heartbeatMs);
    h.last().answer('SELECT 1');
    await flush();
    assert.equal(h.listener.state, 'listening');
    h.tick(OPTIONS.heartbeatMs);
    assert.equal(h.last().calls[0]?.what, 'SELECT 1');
    h.tick(OPTIONS.timeoutMs);
    await flush();
    assert.equal(h.listener.state, 'waiting');
    assert.match(h.log.at(-1)!, /failure: PostgreSQL did not answer/);
  });

  it('hears notifications on its channel from its current connection only', async (t) => {
    const h = setup(t);
    h.listener.start();
    await h.listen();
    const first = h.last();
    first.emit('notification', { channel: 'sockjwt_revocations', payload: 'a' });
    first.emit('notification', { channel: 'other', payload: 'b' });
    first.emit('notification', { channel: 'sockjwt_revocations' });
    first.emit('end');
    await flush();
    first.emit('notification', { channel: 'sockjwt_revocations', payload: 'stale' });
    assert.deepEqual(h.heard, ['a']);
  });

  it('close: from listening, ends the connection and clears every timer; nothing after it is heard or retried', async (t) => {
    const h = setup(t);
    h.listener.start();
    await h.listen();
    const connection = h.last();
    await h.listener.close();
    assert.equal(h.listener.state, 'closed');
    assert.equal(connection.ended, true);
    assert.deepEqual(h.live(), []);
    connection.emit('error', new Error('late'));
    connection.emit('notification', { channel: 'sockjwt_revocations', payload: 'late' });
    assert.deepEqual(h.heard, []);
    assert.deepEqual(h.log, ['listening']);
  });

  it('close: while waiting, clears the retry', async (t) => {
    const h = setup(t);
    h.listener.start();
    await flush();
    h.last().answer('connect', new Error('down'));
    await flush();
    await h.listener.close();
    assert.deepEqual(h.live(), []);
  });

  it('close: while connecting, clears the deadline, drops the attempt that answers late, and resolves a pending whenListening', async (t) => {
    const h2 = setup(t);
    const waiting = h2.listener.whenListening();
    h2.listener.start();
    await flush();
    await h2.listener.close();
    assert.deepEqual(h2.live(), [], 'the connect deadline is cleared');
    await waiting;
    h2.last().answer('connect');
    await flush();
    assert.equal(h2.last().calls.length, 0, 'no LISTEN after close');
    assert.equal(h2.listener.state, 'closed');
  });
});
