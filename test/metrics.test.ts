import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { authorize, type SockjwtEvent, type SockjwtLogger } from '../src/index.js';
import { sockjwtMetrics } from '../src/metrics/index.js';
import { connected, next, nowSeconds, refusal, SECRET, sign, startServer, type WireError } from './support.js';

type Ack = { ok: boolean; data?: WireError['data'] };

/** The value of one series, by metric name and labels (a subset of them must match). */
async function valueOf(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metrics = await registry.getMetricsAsJSON();
  const metric = metrics.find((each) => each.name === name);
  assert.ok(metric, `metric ${name} is registered`);
  const series = (metric.values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>).filter(
    (value) => (value.metricName === undefined || value.metricName === name || value.metricName === `${name}_count`) && Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted),
  );
  if (series.length === 0) return undefined;
  return series.reduce((sum, value) => sum + value.value, 0);
}

/** A logger with pino's signature that keeps every call. */
function capturingLogger(): SockjwtLogger & { calls: Array<{ level: string; object: SockjwtEvent; message: string }> } {
  const calls: Array<{ level: string; object: SockjwtEvent; message: string }> = [];
  const at = (level: string) => (object: object, message: string) => calls.push({ level, object: object as SockjwtEvent, message });
  return { calls, warn: at('warn'), info: at('info'), debug: at('debug') };
}

describe('metrics (sockjwt/metrics, prom-client)', () => {
  it('counts authentications by stage, result, code and reason; times verification; gauges live sockets; counts drops', async (t) => {
    const register = new Registry();
    const metrics = sockjwtMetrics({ register });
    const handshake = authorize({ secret: SECRET, handshake: true, metrics });
    const message = authorize({ secret: SECRET, metrics, timeout: 5000 });
    const h = await startServer(t, (io) => {
      io.of('/h').use(handshake);
      io.of('/m').on('connection', message);
    });

    const alice = h.connect('/h', { auth: { token: sign({ sub: 'alice' }) } });
    await connected(alice);
    assert.equal((await refusal(h.connect('/h', { auth: { token: sign({ sub: 'x' }, {}, 'wrong') } }))).data.reason, 'bad_signature');
    assert.equal((await refusal(h.connect('/h'))).data.reason, 'missing');
    const bob = h.connect('/m');
    await connected(bob);
    assert.equal(((await bob.timeout(3000).emitWithAck('authenticate', { token: sign({ sub: 'bob' }) })) as Ack).ok, true);
    assert.equal(((await bob.timeout(3000).emitWithAck('authenticate', { token: sign({ sub: 'bob' }) })) as Ack).ok, true);
    assert.equal(((await bob.timeout(3000).emitWithAck('authenticate', { token: sign({ sub: 'eve' }) })) as Ack).data?.reason, 'subject_mismatch');
    assert.equal(await valueOf(register, 'sockjwt_authenticated_sockets'), 2);

    const dropped = next(alice, 'disconnect');
    assert.equal(await handshake.revoke({ sub: 'alice' }), 1);
    await dropped;
    const carol = h.connect('/h', { auth: { token: sign({ sub: 'carol', exp: nowSeconds() + 2 }) } });
    await connected(carol);
    const carolGone = next(carol, 'disconnect', 5000);
    const [expired] = await next<[WireError]>(carol, 'unauthorized', 4000);
    assert.equal(expired.data.reason, 'expired');
    await carolGone;

    const total = 'sockjwt_authentications_total';
    assert.equal(await valueOf(register, total, { stage: 'connect', result: 'accepted' }), 3);
    assert.equal(await valueOf(register, total, { stage: 'connect', result: 'refused', code: 'invalid_token', reason: 'bad_signature' }), 1);
    assert.equal(await valueOf(register, total, { stage: 'connect', result: 'refused', code: 'credentials_required', reason: 'missing' }), 1);
    assert.equal(await valueOf(register, total, { stage: 'refresh', result: 'accepted' }), 1);
    assert.equal(await valueOf(register, total, { stage: 'refresh', result: 'refused', reason: 'subject_mismatch' }), 1);
    // Timed: every verification (4 accepted, 2 refused after verifying); not the missing token.
    const histogram = (await register.getMetricsAsJSON()).find((metric) => metric.name === 'sockjwt_verification_seconds')!;
    const counts = (histogram.values as Array<{ metricName?: string; value: number; labels: Record<string, string> }>).filter((value) => value.metricName === 'sockjwt_verification_seconds_count');
    assert.equal(counts.reduce((sum, value) => sum + value.value, 0), 6);
    assert.equal(await valueOf(register, 'sockjwt_session_drops_total', { reason: 'revoked' }), 1);
    assert.equal(await valueOf(register, 'sockjwt_session_drops_total', { reason: 'expired' }), 1);
    assert.equal(await valueOf(register, 'sockjwt_authenticated_sockets'), 1, 'bob is still in');
    const text = await register.metrics();
    assert.match(text, /# TYPE sockjwt_verification_seconds histogram/);
    assert.match(text, /# TYPE sockjwt_authentications_total counter/);
  });

  it('a second sockjwtMetrics() on the same registry reuses its series instead of throwing', async () => {
    const register = new Registry();
    const first = sockjwtMetrics({ register });
    const second = sockjwtMetrics({ register });
    const event: SockjwtEvent = { event: 'session_opened', nsp: '/', address: '127.0.0.1' };
    first.observe(event);
    second.observe(event);
    assert.equal(await valueOf(register, 'sockjwt_authenticated_sockets'), 2);
  });

  it('takes a prefix and buckets', async () => {
    const register = new Registry();
    sockjwtMetrics({ register, prefix: 'chat_auth_', buckets: [0.001, 1] }).observe({ event: 'authenticated', stage: 'connect', durationMs: 2, nsp: '/', address: 'a' });
    const text = await register.metrics();
    assert.match(text, /chat_auth_verification_seconds_bucket\{le="0.001",stage="connect",result="accepted"\} 0/);
    assert.match(text, /chat_auth_verification_seconds_bucket\{le="1",stage="connect",result="accepted"\} 1/);
  });

  it('is its own entry point: importable as ESM and CJS, and the core never loads prom-client', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
    assert.equal(run(['--input-type=module', '-e', "import { sockjwtMetrics } from 'sockjwt/metrics'; console.log(typeof sockjwtMetrics({}).observe)"]), 'function');
    assert.equal(run(['-e', "const { sockjwtMetrics } = require('sockjwt/metrics'); console.log(typeof sockjwtMetrics)"]), 'function');
    for (const file of ['dist/index.js', 'dist/index.cjs']) {
      assert.doesNotMatch(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'), /prom-client/, `${file} loads prom-client`);
    }
  });
});

describe('logger (pino-compatible)', () => {
  it('refusals at warn, drops at info, successes at debug, with code, reason, nsp, address and the verified sub; never the token', async (t) => {
    const logger = capturingLogger();
    const auth = authorize({ secret: SECRET, handshake: true, logger });
    const h = await startServer(t, (io) => io.use(auth));
    const token = sign({ sub: 'alice' });
    const alice = h.connect('/', { auth: { token } });
    await connected(alice);
    const forged = sign({ sub: 'mallory' }, {}, 'wrong');
    await refusal(h.connect('/', { auth: { token: forged } }));
    const fresh = sign({ sub: 'alice', n: 2 });
    assert.equal(((await alice.timeout(3000).emitWithAck('authenticate', { token: sign({ sub: 'alice' }, {}, 'wrong') })) as Ack).ok, false);
    assert.equal(((await alice.timeout(3000).emitWithAck('authenticate', { token: fresh })) as Ack).ok, true);
    const dropped = next(alice, 'disconnect');
    await auth.revoke({ sub: 'alice' });
    await dropped;

    const summary = logger.calls.map(({ level, object }) => [level, object.event, 'stage' in object ? object.stage : '-', 'reason' in object ? object.reason : '-', object.sub ?? '-']);
    assert.deepEqual(summary, [
      ['debug', 'authenticated', 'connect', '-', 'alice'],
      ['warn', 'refused', 'connect', 'bad_signature', '-'],
      ['warn', 'refused', 'refresh', 'bad_signature', 'alice'],
      ['debug', 'authenticated', 'refresh', '-', 'alice'],
      ['info', 'dropped', '-', 'revoked', 'alice'],
    ]);
    for (const { object, message } of logger.calls) {
      assert.equal(object.nsp, '/');
      assert.equal(object.address, '127.0.0.1');
      assert.match(message, /^sockjwt: /);
      const logged = JSON.stringify(object) + message;
      for (const secret of [token, forged, fresh]) {
        for (const segment of secret.split('.')) assert.ok(!logged.includes(segment), 'no part of a token is logged');
      }
      assert.ok(!logged.includes('mallory'), 'nothing read from an unverified token is logged');
    }
    const refused = logger.calls[1]!.object as Extract<SockjwtEvent, { event: 'refused' }>;
    assert.equal(refused.code, 'invalid_token');
    assert.equal(typeof refused.durationMs, 'number');
  });

  it('logs the subject named by subjectClaim, numbers normalised', async (t) => {
    const logger = capturingLogger();
    const auth = authorize({ secret: SECRET, handshake: true, logger, subjectClaim: 'id' });
    const h = await startServer(t, (io) => io.use(auth));
    const client = h.connect('/', { auth: { token: sign({ id: 1, email: 'alice@example.com' }) } });
    await connected(client);
    const dropped = next(client, 'disconnect');
    assert.equal(await auth.revoke({ sub: 1 }), 1);
    await dropped;
    assert.deepEqual(logger.calls.map(({ object }) => [object.event, object.sub]), [
      ['authenticated', '1'],
      ['dropped', '1'],
    ]);
  });

  it('rejects what is not a logger or an observer at authorize()', () => {
    assert.throws(() => authorize({ secret: SECRET, logger: {} as never }), /warn\(\), info\(\) and debug\(\)/);
    assert.throws(() => authorize({ secret: SECRET, logger: { warn() {}, info() {} } as never }), TypeError);
    assert.throws(() => authorize({ secret: SECRET, metrics: {} as never }), TypeError);
  });
});
