import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { authorize, type HandshakeOptions, type MessageOptions } from '../src/index.js';
import { connect } from '../src/client/index.js';
import { FailureLimiter } from '../src/session/rate-limit.js';
import { connected, next, nowSeconds, refusal, SECRET, sign, startServer, type WireError } from './support.js';

type RefusalData = WireError['data'] & { retryAfterMs?: number };

/** A handshake-mode server whose secret function counts verifications. */
async function limitedServer(t: TestContext, options: Partial<HandshakeOptions> = {}) {
  const counter = { verifications: 0 };
  const auth = authorize({
    secret: async () => {
      counter.verifications++;
      return SECRET;
    },
    handshake: true,
    ...options,
  });
  const h = await startServer(t, (io) => io.use(auth));
  const attempt = async (token: string, headers: Record<string, string> = {}): Promise<RefusalData | 'admitted'> => {
    const client = h.connect('/', { auth: { token }, extraHeaders: headers });
    const outcome = await Promise.race([
      next(client, 'connect').then(() => 'admitted' as const),
      next<[{ data: RefusalData }]>(client, 'connect_error').then(([error]) => error.data),
    ]);
    client.disconnect();
    return outcome;
  };
  return { ...h, auth, counter, attempt };
}

const good = () => sign({ sub: 'u-1' });
const bad = () => sign({ sub: 'u-1' }, {}, 'not-the-secret');
const reasonOf = (outcome: RefusalData | 'admitted') => (outcome === 'admitted' ? 'admitted' : outcome.reason);

describe('abuse limits: failed authentications per address (rateLimit)', () => {
  it('is off by default: 30 failures in a row are each verified and refused for what they are', async (t) => {
    const s = await limitedServer(t);
    for (let i = 0; i < 30; i++) assert.equal(reasonOf(await s.attempt(bad())), 'bad_signature');
    assert.equal(s.counter.verifications, 30);
    assert.equal(reasonOf(await s.attempt(good())), 'admitted');
  });

  it('after maxFailures, every attempt from the address is refused before verification, a valid token too', async (t) => {
    const s = await limitedServer(t, { rateLimit: { maxFailures: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) assert.equal(reasonOf(await s.attempt(bad())), 'bad_signature');
    assert.equal(reasonOf(await s.attempt('not even a jwt')), 'rate_limited', 'a malformed token counted too');
    const limited = await s.attempt(good());
    assert.notEqual(limited, 'admitted');
    const data = limited as RefusalData;
    assert.deepEqual([data.code, data.reason, data.type], ['unknown', 'rate_limited', 'UnauthorizedError']);
    assert.ok(data.retryAfterMs! > 50_000 && data.retryAfterMs! <= 60_000, `retryAfterMs ${data.retryAfterMs}`);
    assert.equal(s.counter.verifications, 3, 'nothing verified once limited');
  });

  it('missing credentials count as failures; successes do not reset the count', async (t) => {
    const s = await limitedServer(t, { rateLimit: { maxFailures: 2 } });
    const anonymous = s.connect('/');
    assert.equal((await refusal(anonymous)).data.reason, 'missing');
    assert.equal(reasonOf(await s.attempt(good())), 'admitted');
    assert.equal(reasonOf(await s.attempt(bad())), 'bad_signature');
    assert.equal(reasonOf(await s.attempt(good())), 'rate_limited');
  });

  it("the server's own failures (key_unavailable) do not count against clients", async (t) => {
    let up = false;
    const auth = authorize({ secret: async () => (up ? SECRET : Promise.reject(new Error('vault down'))), handshake: true, rateLimit: { maxFailures: 2 } });
    const h = await startServer(t, (io) => io.use(auth));
    for (let i = 0; i < 5; i++) assert.equal((await refusal(h.connect('/', { auth: { token: good() } }))).data.reason, 'key_unavailable');
    up = true;
    await connected(h.connect('/', { auth: { token: good() } }));
  });

  it('the window ends: after retryAfterMs the address may try again', async (t) => {
    const s = await limitedServer(t, { rateLimit: { maxFailures: 1, windowMs: 400 } });
    assert.equal(reasonOf(await s.attempt(bad())), 'bad_signature');
    const limited = (await s.attempt(good())) as RefusalData;
    assert.equal(limited.reason, 'rate_limited');
    // What is under test is a window of time: wait it out, as the server told the client to.
    await delay(limited.retryAfterMs! + 50);
    assert.equal(reasonOf(await s.attempt(good())), 'admitted');
  });

  it('message mode: an authenticate from a limited address is refused rate_limited, then the socket is dropped', async (t) => {
    const auth = authorize({ secret: SECRET, rateLimit: { maxFailures: 1 }, callback: false } as MessageOptions);
    const h = await startServer(t, (io) => io.on('connection', auth));
    const first = h.connect('/');
    await connected(first);
    assert.equal(((await first.timeout(3000).emitWithAck('authenticate', { token: bad() })) as { data: RefusalData }).data.reason, 'bad_signature');
    const second = h.connect('/');
    await connected(second);
    const disconnected = next(second, 'disconnect');
    const ack = (await second.timeout(3000).emitWithAck('authenticate', { token: good() })) as { ok: boolean; data: RefusalData };
    assert.deepEqual([ack.ok, ack.data.reason], [false, 'rate_limited']);
    await disconnected;
  });

  it('X-Forwarded-For is ignored unless trustedProxies is set: a client cannot pick a fresh address', async (t) => {
    const s = await limitedServer(t, { rateLimit: { maxFailures: 2 } });
    for (let i = 0; i < 2; i++) await s.attempt(bad(), { 'x-forwarded-for': `10.0.0.${i}` });
    assert.equal(reasonOf(await s.attempt(good(), { 'x-forwarded-for': '10.0.0.99' })), 'rate_limited');
  });

  it('behind one trusted proxy, the address is the last X-Forwarded-For entry; entries the client wrote are not believed', async (t) => {
    const s = await limitedServer(t, { rateLimit: { maxFailures: 2, trustedProxies: 1 } });
    // The client writes "1.1.1.1", the proxy appends the address it saw, 203.0.113.7.
    for (let i = 0; i < 2; i++) assert.equal(reasonOf(await s.attempt(bad(), { 'x-forwarded-for': `1.1.1.${i}, 203.0.113.7` })), 'bad_signature');
    assert.equal(reasonOf(await s.attempt(good(), { 'x-forwarded-for': '9.9.9.9, 203.0.113.7' })), 'rate_limited');
    // Another client behind the same proxy is not affected.
    assert.equal(reasonOf(await s.attempt(good(), { 'x-forwarded-for': '198.51.100.1' })), 'admitted');
  });

  it('rejects bad rateLimit and refreshLimit options at authorize()', () => {
    assert.throws(() => authorize({ secret: SECRET, handshake: true, rateLimit: { maxFailures: 0 } }), RangeError);
    assert.throws(() => authorize({ secret: SECRET, handshake: true, rateLimit: { windowMs: -1 } }), RangeError);
    assert.throws(() => authorize({ secret: SECRET, handshake: true, rateLimit: { trustedProxies: 1.5 } }), RangeError);
    assert.throws(() => authorize({ secret: SECRET, handshake: true, rateLimit: { maxFailure: 3 } as never }), /unknown option "rateLimit.maxFailure"/);
    assert.throws(() => authorize({ secret: SECRET, handshake: true, rateLimit: true as never }), TypeError);
    assert.throws(() => authorize({ secret: SECRET, refreshLimit: { max: 0 } }), RangeError);
    assert.throws(() => authorize({ secret: SECRET, secretTimeoutMs: 0 }), RangeError);
    assert.throws(() => authorize({ secret: SECRET, typ: '' }), TypeError);
  });
});

describe('abuse limits: bounded memory', () => {
  it('tracks at most maxAddresses windows, forgetting the oldest first, and sweeps ended windows as failures arrive', () => {
    const limiter = new FailureLimiter(1, 1000, 100);
    for (let i = 0; i < 10_000; i++) limiter.record(`10.0.${i >> 8}.${i & 255}`, 'bad_signature', 0);
    assert.equal(limiter.size, 100);
    assert.equal(limiter.retryAfter('10.0.0.0', 0), 0, 'the oldest was forgotten');
    assert.equal(limiter.retryAfter('10.0.39.15', 0), 1000, 'the newest is limited');
    limiter.record('192.0.2.1', 'bad_signature', 5000);
    assert.equal(limiter.size, 1, 'ended windows swept on the next failure');
    limiter.record('192.0.2.2', 'key_unavailable', 5000);
    assert.equal(limiter.size, 1, 'server-side failures are not tracked');
  });
});

describe('abuse limits: the client helper waits as long as the server says', () => {
  it('after rate_limited it reconnects no sooner than retryAfterMs, with a fresh token', async (t) => {
    const auth = authorize({ secret: SECRET, handshake: true, rateLimit: { maxFailures: 1, windowMs: 600 } });
    const h = await startServer(t, (io) => io.use(auth));
    const tokens = [sign({ sub: 'u-1', exp: nowSeconds() - 10 }), good(), good()];
    const socket = connect(h.url, { getToken: () => tokens.shift() ?? good(), transports: ['websocket'], reconnection: false, retryDelayMs: 250, forceNew: true });
    t.after(() => socket.disconnect());
    const reasons: string[] = [];
    let limitedAt = 0;
    let retryAfterMs = 0;
    socket.session.on('unauthorized', (error) => {
      reasons.push(error.reason);
      if (error.reason === 'rate_limited') {
        limitedAt = Date.now();
        retryAfterMs = error.data.retryAfterMs ?? 0;
      }
    });
    await next(socket.session, 'authenticated', 5000);
    assert.deepEqual(reasons, ['expired', 'rate_limited']);
    assert.ok(retryAfterMs > 300, `retryAfterMs ${retryAfterMs}`);
    assert.ok(Date.now() - limitedAt >= retryAfterMs - 20, `reconnected after ${Date.now() - limitedAt} ms, told ${retryAfterMs} ms`);
  });
});
