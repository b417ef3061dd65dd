/**
 * Fault injection: key sources that throw, reject or never answer; clients that say nothing or
 * say `authenticate` far too often; observers that throw. The server answers every time, in
 * bounded time, and leaves no timer behind. (The JWKS endpoint down, slow or answering garbage is
 * in jwks.test.ts; Redis killed and restarted is in the cluster suite.)
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Manager, type Socket as ClientSocket } from 'socket.io-client';
import { authorize, type AuthorizeOptions, type HandshakeOptions, type JwtClaims, type MessageOptions, type SecretCallback } from '../src/index.js';
import { timed } from './key-support.js';
import { connected, next, refusal, SECRET, sign, startServer, type WireError } from './support.js';

type Ack = { ok: boolean; exp?: number | null; message?: string; data?: WireError['data'] & { retryAfterMs?: number } };

const emitAuthenticate = (client: ClientSocket, token: unknown, ms = 5000) => client.timeout(ms).emitWithAck('authenticate', { token }) as Promise<Ack>;

/** Handshake mode in `/h`, message mode in `/m`, both with the same options. */
async function bothModes(t: TestContext, options: Partial<AuthorizeOptions>) {
  const handshake = authorize({ ...options, handshake: true } as HandshakeOptions);
  const message = authorize({ timeout: 10_000, ...options } as MessageOptions);
  const h = await startServer(t, (io) => {
    io.of('/h').use(handshake);
    io.of('/m').on('connection', message);
  });
  const refusedInHandshake = async (token: string) => (await refusal(h.connect('/h', { auth: { token } }))).data;
  const refusedInMessage = async (token: string) => {
    const client = h.connect('/m');
    await connected(client);
    const ack = await emitAuthenticate(client, token);
    assert.equal(ack.ok, false);
    return ack.data!;
  };
  return { ...h, handshake, message, refusedInHandshake, refusedInMessage };
}

describe('faults: a secret function that fails', () => {
  const failures: Record<string, Partial<AuthorizeOptions>['secret']> = {
    'throws': () => {
      throw new Error('vault exploded');
    },
    'rejects': async () => {
      throw new Error('vault unreachable');
    },
    'rejects with a non-Error': () => Promise.reject('nope'),
    'calls back with an error': (_request: unknown, _payload: JwtClaims, callback: SecretCallback) => callback(new Error('no key')),
    'gives null': async () => null,
    'gives an unusable key (a number)': async () => 42 as unknown as string,
  };
  for (const [name, secret] of Object.entries(failures)) {
    it(`${name}: invalid_secret/key_unavailable in both modes`, async (t) => {
      const s = await bothModes(t, { secret });
      const token = sign({ sub: 'u-1' });
      for (const data of [await s.refusedInHandshake(token), await s.refusedInMessage(token)]) {
        assert.deepEqual([data.code, data.reason], ['invalid_secret', 'key_unavailable']);
      }
    });
  }

  it('never answers: refused with key_unavailable after secretTimeoutMs instead of hanging, in both modes', async (t) => {
    const calls: number[] = [];
    const s = await bothModes(t, { secret: () => new Promise<string>(() => calls.push(1)), secretTimeoutMs: 300 });
    const token = sign({ sub: 'u-1' });
    for (const refuse of [s.refusedInHandshake, s.refusedInMessage]) {
      const { value: data, ms } = await timed(() => refuse(token));
      assert.deepEqual([data.code, data.reason], ['invalid_secret', 'key_unavailable']);
      assert.match(data.message, /did not answer within 300 ms/);
      assert.ok(ms >= 250 && ms < 3000, `refused after ${Math.round(ms)} ms`);
    }
    assert.equal(calls.length, 2);
  });

  it('the default secretTimeoutMs (3 s) holds a handshake no longer than that', async (t) => {
    const s = await bothModes(t, { secret: () => new Promise<string>(() => {}) });
    const client = s.connect('/h', { auth: { token: sign({ sub: 'u-1' }) } });
    const { value: [error], ms } = await timed(() => next<[WireError]>(client, 'connect_error', 8000));
    assert.equal(error.data.reason, 'key_unavailable');
    assert.ok(ms >= 2900 && ms < 6000, `refused after ${Math.round(ms)} ms`);
  });

  it('answers after the timeout, or twice: the late answer changes nothing and nothing throws', async (t) => {
    const late: Array<() => void> = [];
    const s = await bothModes(t, {
      secretTimeoutMs: 200,
      secret: (_request: unknown, _payload: JwtClaims, callback: SecretCallback) => {
        late.push(() => {
          callback(null, SECRET);
          callback(new Error('second answer'));
        });
      },
    });
    const data = await s.refusedInHandshake(sign({ sub: 'u-1' }));
    assert.equal(data.reason, 'key_unavailable');
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    t.after(() => process.off('uncaughtException', record));
    for (const answer of late) answer();
    // The server still answers the next handshake normally, so nothing broke in between.
    assert.equal((await s.refusedInHandshake(sign({ sub: 'u-2' }))).reason, 'key_unavailable');
    assert.deepEqual(uncaught, []);
  });
});

describe('faults: an app hook that never answers', () => {
  const never = () => new Promise<never>(() => {});
  const hooks: Record<string, [Partial<AuthorizeOptions>, string, string]> = {
    'isRevoked': [{ isRevoked: never }, 'invalid_token', 'revocation_unavailable'],
    'a revocation store': [{ revocationStore: { add: () => {}, isRevoked: never, subscribe: () => () => {} } }, 'invalid_token', 'revocation_unavailable'],
    'additional_auth': [{ additional_auth: never }, 'unknown', 'timeout'],
    'customDecoded': [{ customDecoded: never }, 'unknown', 'timeout'],
  };
  for (const [name, [options, code, reason]] of Object.entries(hooks)) {
    it(`${name}: refused with ${reason} after hookTimeoutMs, in both modes`, async (t) => {
      const s = await bothModes(t, { secret: SECRET, hookTimeoutMs: 300, ...options });
      for (const refuse of [s.refusedInHandshake, s.refusedInMessage]) {
        const { value: data, ms } = await timed(() => refuse(sign({ sub: 'u-1' })));
        assert.deepEqual([data.code, data.reason], [code, reason]);
        assert.ok(ms >= 250 && ms < 3000, `refused after ${Math.round(ms)} ms`);
      }
    });
  }

  it("isRevoked that never answers, under revocationFailMode 'open': admitted after hookTimeoutMs", async (t) => {
    const s = await bothModes(t, { secret: SECRET, hookTimeoutMs: 300, isRevoked: never, revocationFailMode: 'open' });
    await connected(s.connect('/h', { auth: { token: sign({ sub: 'u-1' }) } }));
  });
});

describe('faults: a client that connects and says nothing', () => {
  it('message mode: authentication_timeout after `timeout`, disconnected, nothing left', async (t) => {
    const auth = authorize({ secret: SECRET, timeout: 300, callback: false });
    const h = await startServer(t, (io) => io.on('connection', auth));
    const client = h.connect('/');
    await connected(client);
    const disconnect = next<[string]>(client, 'disconnect');
    const [error] = await next<[WireError]>(client, 'unauthorized');
    assert.deepEqual([error.data.code, error.data.reason], ['authentication_timeout', 'timeout']);
    assert.equal((await disconnect)[0], 'io server disconnect');
    assert.equal(h.io.of('/').sockets.size, 0);
    assert.equal(auth.sessionCount, 0);
  });

  it('handshake mode: a connection that never sends CONNECT is closed by socket.io (connectTimeout), sockjwt is never called', async (t) => {
    const calls: unknown[] = [];
    const h = await startServer(t, (io) => io.use(authorize({ secret: async () => (calls.push(1), SECRET), handshake: true })), { connectTimeout: 300 });
    // A Manager opens the engine.io connection only; no namespace, so no CONNECT packet is sent.
    const manager = new Manager(h.url, { reconnection: false, transports: ['websocket'], autoConnect: false });
    t.after(() => manager.engine?.close());
    const opened = next(manager, 'open');
    manager.open();
    await opened;
    const { ms } = await timed(() => next(manager, 'close', 3000));
    assert.ok(ms >= 200, `closed after ${Math.round(ms)} ms`);
    assert.equal(h.io.engine.clientsCount, 0);
    assert.deepEqual(calls, []);
  });
});

describe('faults: a client that spams authenticate', () => {
  it('while its first authenticate is being verified, every other one is refused (rate_limited), unverified', async (t) => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let verifications = 0;
    const secret = async () => {
      verifications++;
      await gate;
      return SECRET;
    };
    const h = await startServer(t, (io) => io.on('connection', authorize({ secret, timeout: 10_000 })));
    const client = h.connect('/');
    await connected(client);
    const first = emitAuthenticate(client, sign({ sub: 'u-1' }));
    const spam = await Promise.all(Array.from({ length: 50 }, () => emitAuthenticate(client, sign({ sub: 'u-1' }))));
    for (const ack of spam) assert.deepEqual([ack.ok, ack.data?.reason], [false, 'rate_limited']);
    release();
    assert.equal((await first).ok, true);
    assert.equal(verifications, 1);
  });

  it('on a live socket: refreshLimit refreshes per window are verified, the rest refused with retryAfterMs, and the socket stays', async (t) => {
    let verifications = 0;
    const secret = async () => {
      verifications++;
      return SECRET;
    };
    const auth = authorize({ secret, handshake: true, refreshLimit: { max: 5, windowMs: 60_000 } });
    const h = await startServer(t, (io) => {
      io.use(auth);
      io.on('connection', (socket) => socket.on('ping', (ack: (value: string) => void) => ack('pong')));
    });
    const client = h.connect('/', { auth: { token: sign({ sub: 'u-1' }) } });
    await connected(client);
    verifications = 0;
    const answers: Ack[] = [];
    for (let i = 0; i < 40; i++) answers.push(await emitAuthenticate(client, sign({ sub: 'u-1', n: i })));
    assert.deepEqual(answers.slice(0, 5).map((ack) => ack.ok), [true, true, true, true, true]);
    for (const ack of answers.slice(5)) {
      assert.deepEqual([ack.ok, ack.data?.code, ack.data?.reason], [false, 'unknown', 'rate_limited']);
      assert.ok(ack.data!.retryAfterMs! > 0 && ack.data!.retryAfterMs! <= 60_000, `retryAfterMs ${ack.data!.retryAfterMs}`);
    }
    assert.equal(verifications, 5, 'refused refreshes cost no verification');
    assert.equal(await client.timeout(3000).emitWithAck('ping'), 'pong');
    assert.equal(auth.sessionCount, 1);
  });

  it('a flood without waiting for answers: each gets an answer, at most one is verified at a time, the socket stays', async (t) => {
    let inFlight = 0;
    let maxInFlight = 0;
    const secret = async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return SECRET;
    };
    const auth = authorize({ secret, refreshLimit: { max: 1000, windowMs: 60_000 } });
    const h = await startServer(t, (io) => io.on('connection', auth));
    const client = h.connect('/');
    await connected(client);
    assert.equal((await emitAuthenticate(client, sign({ sub: 'u-1' }))).ok, true);
    const acks = await Promise.all(Array.from({ length: 300 }, (_, i) => emitAuthenticate(client, i % 3 ? sign({ sub: 'u-1' }) : 'garbage', 10_000)));
    assert.equal(acks.length, 300);
    for (const ack of acks) assert.ok(ack.ok || ['rate_limited', 'malformed'].includes(ack.data!.reason), JSON.stringify(ack));
    assert.equal(maxInFlight, 1);
    assert.equal(client.connected, true);
    assert.equal(auth.sessionCount, 1);
  });
});

describe('faults: an observer that throws', () => {
  it('a throwing logger and metrics do not change a decision; the operator is warned', async (t) => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    const explode = () => {
      throw new Error('log sink down');
    };
    const s = await bothModes(t, { secret: SECRET, logger: { warn: explode, info: explode, debug: explode }, metrics: { observe: explode } });
    await connected(s.connect('/h', { auth: { token: sign({ sub: 'u-1' }) } }));
    assert.equal((await s.refusedInHandshake('garbage')).reason, 'malformed');
    assert.equal((await s.refusedInMessage(sign({ sub: 'u-1' }, {}, 'wrong'))).reason, 'bad_signature');
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(warnings.some((warning) => (warning as Error & { code?: string }).code === 'SOCKJWT_OBSERVER_FAILED'));
  });
});
