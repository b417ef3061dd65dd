import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { connect, type AuthenticatedInfo, type AuthenticatedSocket, type ConnectOptions } from '../src/client/index.js';
import { authorize, type UnauthorizedError } from '../src/index.js';
import { next, nowSeconds, SECRET, sign, startServer } from './support.js';

/** A sockjwt server and a factory of helper-driven clients, all closed after the test. */
async function setup(t: TestContext, mode: 'handshake' | 'message') {
  const auth = mode === 'handshake' ? authorize({ secret: SECRET, handshake: true }) : authorize({ secret: SECRET });
  let connections = 0;
  const h = await startServer(t, (io) => {
    if (mode === 'handshake') io.use(auth as never);
    else io.on('connection', auth as never);
    io.on('connection', () => connections++);
  });
  const sockets: AuthenticatedSocket[] = [];
  t.after(() => sockets.forEach((socket) => socket.disconnect()));
  const open = (options: Omit<ConnectOptions, 'mode'>) => {
    const socket = connect(h.url, { mode, transports: ['websocket'], forceNew: true, reconnection: false, ...options });
    sockets.push(socket);
    return socket;
  };
  return { ...h, auth, open, connections: () => connections };
}

/** Collects the helper's `authenticated` events. */
function record(socket: AuthenticatedSocket) {
  const accepted: AuthenticatedInfo[] = [];
  const refused: UnauthorizedError[] = [];
  const disconnects: string[] = [];
  socket.session.on('authenticated', (info) => accepted.push(info));
  socket.session.on('unauthorized', (error) => refused.push(error));
  socket.on('disconnect', (reason) => disconnects.push(reason));
  return { accepted, refused, disconnects };
}

/** Resolves when the helper has accepted `count` tokens in total. */
function acceptedCount(socket: AuthenticatedSocket, log: { accepted: AuthenticatedInfo[] }, count: number, ms = 8000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${log.accepted.length} of ${count} tokens accepted`)), ms);
    const check = () => {
      if (log.accepted.length < count) return;
      clearTimeout(timer);
      socket.session.off('authenticated', check);
      resolve();
    };
    socket.session.on('authenticated', check);
    check();
  });
}

for (const mode of ['handshake', 'message'] as const) {
  describe(`sockjwt/client (${mode} mode)`, () => {
    it('refreshes a token of a few seconds in place, past its expiry, with no disconnect', async (t) => {
      const h = await setup(t, mode);
      let issued = 0;
      const getToken = () => {
        issued++;
        return sign({ sub: 'ann', exp: nowSeconds() + 3 });
      };
      const socket = h.open({ getToken, refreshLeadMs: 1500 });
      const log = record(socket);
      await acceptedCount(socket, log, 1);
      const firstExpiry = socket.session.expiresAt!;
      await acceptedCount(socket, log, 4, 10_000);
      assert.ok(Date.now() > firstExpiry, 'outlived the first token');
      assert.deepEqual(log.accepted.map((info) => info.refreshed), [false, true, true, true]);
      assert.deepEqual(log.disconnects, []);
      assert.deepEqual(log.refused, []);
      assert.equal(h.connections(), 1);
      assert.equal(issued, 4);
      assert.equal(socket.connected, true);
    });

    it('a revoked user is dropped on every socket, and the helper stops instead of retrying', async (t) => {
      const h = await setup(t, mode);
      let issued = 0;
      const getToken = (sub: string) => () => {
        issued++;
        return sign({ sub });
      };
      const ann = [h.open({ getToken: getToken('ann') }), h.open({ getToken: getToken('ann') })];
      const bob = h.open({ getToken: getToken('bob') });
      await Promise.all([...ann, bob].map((socket) => next(socket.session, 'authenticated')));
      const stops = ann.map((socket) => next<[UnauthorizedError]>(socket.session, 'stopped'));
      assert.equal(await h.auth.revoke({ sub: 'ann' }), 2);
      for (const [error] of await Promise.all(stops)) assert.equal(error.reason, 'revoked');
      assert.deepEqual(ann.map((socket) => socket.connected), [false, false]);
      const barrier = next(bob, 'barrier');
      h.io.emit('barrier');
      await barrier;
      assert.equal(bob.connected, true);
      assert.equal(issued, 3, 'no new token was fetched for a revoked user');
    });

    it('an expired socket is dropped on time, then comes back with a fresh token', async (t) => {
      const h = await setup(t, mode);
      let tokenServerUp = true;
      const exp = nowSeconds() + 2;
      let issued = 0;
      const socket = h.open({
        // The token server goes down after the first token: the in-place refresh fails.
        getToken: () => {
          if (!tokenServerUp) throw new Error('token server down');
          tokenServerUp = false;
          return sign({ sub: 'ann', exp: issued++ === 0 ? exp : nowSeconds() + 60 });
        },
        refreshLeadMs: 500,
        retryDelayMs: 250,
      });
      const log = record(socket);
      await acceptedCount(socket, log, 1);
      const [error] = await next<[UnauthorizedError]>(socket.session, 'unauthorized', 5000);
      assert.equal(error.reason, 'expired');
      const lateness = Date.now() - exp * 1000;
      assert.ok(lateness > -1000 && lateness < 1000, `dropped ${lateness} ms from exp`);
      tokenServerUp = true;
      await acceptedCount(socket, log, 2);
      assert.deepEqual(log.accepted.map((info) => info.refreshed), [false, false]);
      assert.equal(socket.connected, true);
      assert.equal(h.connections(), 2);
    });
  });
}

describe('sockjwt/client: refusals at connect', () => {
  it('stops at once on an error a new token cannot fix', async (t) => {
    const h = await setup(t, 'handshake');
    let issued = 0;
    const socket = h.open({
      getToken: () => {
        issued++;
        return sign({ sub: 'ann' }, {}, 'not-the-server-secret');
      },
    });
    const [error] = await next<[UnauthorizedError]>(socket.session, 'stopped');
    assert.equal(error.reason, 'bad_signature');
    assert.equal(issued, 1);
    assert.equal(socket.connected, false);
  });

  it('retries with a fresh token after an expired one', async (t) => {
    const h = await setup(t, 'handshake');
    const tokens = [sign({ sub: 'ann', exp: nowSeconds() - 10 }), sign({ sub: 'ann' })];
    const socket = h.open({ getToken: () => tokens.shift()! });
    const [refused] = await next<[UnauthorizedError]>(socket.session, 'unauthorized');
    assert.equal(refused.reason, 'expired');
    await next(socket.session, 'authenticated');
    assert.equal(socket.connected, true);
  });

  it('gives up after maxRetries when every token is expired', async (t) => {
    const h = await setup(t, 'handshake');
    let issued = 0;
    const socket = h.open({
      getToken: () => {
        issued++;
        return sign({ sub: 'ann', exp: nowSeconds() - 10 });
      },
      maxRetries: 2,
      retryDelayMs: 250, // the shortest docs/protocol.md §8.3 allows
    });
    const [error] = await next<[UnauthorizedError]>(socket.session, 'stopped');
    assert.equal(error.reason, 'expired');
    assert.equal(issued, 3);
  });

  it('rejects options without getToken', () => {
    assert.throws(() => connect('http://127.0.0.1:1', {} as ConnectOptions), TypeError);
  });
});
