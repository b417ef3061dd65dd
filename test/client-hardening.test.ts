// sockjwt/client when getToken misbehaves, and refresh() across a lost connection (issue 19).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Socket } from 'socket.io';
import { connect, type AuthenticatedSocket, type ConnectOptions, type SessionError } from '../src/client/index.js';
import { authorize, TOKEN_REFRESHED } from '../src/index.js';
import { next, nowSeconds, sign, startServer } from './support.js';

/** A handshake-mode server that records every handshake's `auth` and every in-place refresh. */
async function setup(t: TestContext, mode: 'handshake' | 'message' = 'handshake') {
  const secret = 'a-shared-secret-of-reasonable-length';
  const handshakes: { hasToken: boolean }[] = [];
  const refreshed: string[] = [];
  let connections = 0;
  const h = await startServer(t, (io) => {
    io.use((socket, nextMiddleware) => {
      handshakes.push({ hasToken: typeof (socket.handshake.auth as { token?: unknown }).token === 'string' });
      nextMiddleware();
    });
    if (mode === 'handshake') io.use(authorize({ secret, handshake: true }));
    else io.on('connection', authorize({ secret, timeout: 5000 }));
    io.on('connection', (socket) => {
      connections++;
      socket.on('ping', (ack: (answer: string) => void) => ack('pong'));
    });
    io.on(TOKEN_REFRESHED, (socket: Socket) => refreshed.push(socket.id));
  });
  const sockets: AuthenticatedSocket[] = [];
  t.after(() => sockets.forEach((socket) => socket.disconnect()));
  const open = (options: ConnectOptions) => {
    const socket = connect(h.url, { mode, transports: ['websocket'], forceNew: true, reconnection: false, ...options });
    sockets.push(socket);
    return socket;
  };
  return { ...h, open, handshakes, refreshed, connections: () => connections };
}

/** A getToken that records when it was called and answers as `answer` says for the nth call (0-based). */
function recordedGetToken(answer: (call: number) => string | Promise<string>) {
  const calls: number[] = [];
  const getToken = () => {
    calls.push(performance.now());
    return answer(calls.length - 1);
  };
  return { getToken, calls, gaps: () => calls.slice(1).map((at, i) => at - calls[i]!) };
}

const token = (life = 3600) => sign({ sub: 'ann', exp: nowSeconds() + life }, {}, 'a-shared-secret-of-reasonable-length');
const never = () => new Promise<string>(() => {});

describe('sockjwt/client: getToken failures end bounded, backed off, in `stopped` with a reason', () => {
  it('getToken that throws once during a reconnection: backs off, sends no token-less handshake, comes back', async (t) => {
    const h = await setup(t);
    const source = recordedGetToken((call) => {
      if (call === 1) throw new Error('token endpoint hiccup');
      return token();
    });
    const socket = h.open({ getToken: source.getToken, reconnection: true, reconnectionDelay: 20, retryDelayMs: 250 });
    const stops: SessionError[] = [];
    socket.session.on('stopped', (error) => stops.push(error));
    await next(socket.session, 'authenticated');
    const back = next(socket.session, 'authenticated', 5000);
    socket.io.engine.close(); // the transport is lost: socket.io-client reconnects, getToken throws
    await back;
    assert.equal(source.calls.length, 3);
    assert.ok(source.gaps()[1]! >= 245, `waited ${source.gaps()[1]} ms after the failure`);
    assert.deepEqual(h.handshakes, [{ hasToken: true }, { hasToken: true }], 'no handshake without a token');
    assert.equal(h.connections(), 2);
    assert.deepEqual(stops, []);
    assert.equal(await socket.timeout(2000).emitWithAck('ping'), 'pong');
  });

  it('getToken that always throws: maxRetries + 1 calls, each wait longer, then stopped (token_unavailable)', async (t) => {
    const h = await setup(t);
    const source = recordedGetToken(() => {
      throw new Error('token endpoint down');
    });
    const socket = h.open({ getToken: source.getToken, maxRetries: 3, retryDelayMs: 250 });
    const [error] = await next<[SessionError]>(socket.session, 'stopped', 5000);
    assert.equal(error.reason, 'token_unavailable');
    assert.match(error.message, /token endpoint down/);
    assert.equal(socket.session.stopped, error);
    assert.equal(source.calls.length, 4);
    const gaps = source.gaps();
    // 250, 500, 1000 ms, each stretched by up to 25 %. A timer never fires early, but on a loaded
    // machine it can fire late: the upper bound allows 250 ms of that, still far below the next doubling.
    gaps.forEach((gap, i) => assert.ok(gap >= 250 * 2 ** i - 5 && gap <= 250 * 2 ** i * 1.25 + 250, `wait ${i + 1}: ${gap} ms (${gaps.join(', ')})`));
    assert.deepEqual(h.handshakes, [], 'nothing was sent to the server');
    assert.equal(socket.connected, false);
  });

  it('getToken that never settles: each call times out, then stopped (token_timeout)', async (t) => {
    const h = await setup(t);
    const source = recordedGetToken(never);
    const socket = h.open({ getToken: source.getToken, getTokenTimeoutMs: 100, maxRetries: 2, retryDelayMs: 250 });
    const [error] = await next<[SessionError]>(socket.session, 'stopped', 5000);
    assert.equal(error.reason, 'token_timeout');
    assert.equal(source.calls.length, 3);
    // Each call: 100 ms of waiting, then the back-off (250, 500 ms).
    source.gaps().forEach((gap, i) => assert.ok(gap >= 100 + 250 * 2 ** i - 5, `call ${i + 2} came ${gap} ms after the one before`));
    assert.deepEqual(h.handshakes, []);
    assert.equal(socket.connected, false);
  });

  it('message mode, getToken that never settles: the held socket is given up, reconnected after a back-off, then stopped', async (t) => {
    const h = await setup(t, 'message');
    const source = recordedGetToken(never);
    const socket = h.open({ getToken: source.getToken, getTokenTimeoutMs: 80, maxRetries: 1, retryDelayMs: 250 });
    const [error] = await next<[SessionError]>(socket.session, 'stopped', 5000);
    assert.equal(error.reason, 'token_timeout');
    assert.equal(source.calls.length, 2);
    assert.ok(source.gaps()[0]! >= 80 + 250 - 5, `${source.gaps()[0]} ms between the calls`);
    assert.equal(h.connections(), 2, 'one connection per attempt, none left open');
    assert.equal(socket.connected, false);
  });

  it('refreshing in place while getToken fails: backed off, no storm before expiry, then stopped', async (t) => {
    const h = await setup(t);
    const source = recordedGetToken((call) => {
      if (call === 0) return token(3);
      throw new Error('token endpoint down');
    });
    const socket = h.open({ getToken: source.getToken, refreshLeadMs: 1500, retryDelayMs: 250, maxRetries: 5 });
    let droppedAt = Infinity;
    // The server's notice of the drop comes before the disconnect, so before any reconnection.
    socket.once('unauthorized', () => (droppedAt = performance.now()));
    const [error] = await next<[SessionError]>(socket.session, 'stopped', 10_000);
    assert.equal(error.reason, 'token_unavailable');
    assert.ok(source.calls.length <= 7, `${source.calls.length} getToken calls`);
    assert.ok(droppedAt < Infinity, 'dropped at expiry');
    // The refreshes in place are backed off. The first reconnection after the drop at expiry is
    // immediate by design (docs/protocol.md §8.3), however close to the last refresh it comes:
    // exp has whole seconds, so the drop can follow a failed refresh by a few ms.
    const refreshes = source.calls.filter((at) => at < droppedAt);
    refreshes.slice(1).forEach((at, i) => assert.ok(at - refreshes[i]! >= 150, `getToken called again after only ${at - refreshes[i]!} ms: ${source.gaps().join(', ')}`));
    assert.equal(socket.connected, false);
  });
});

describe('sockjwt/client: refresh() and a lost connection', () => {
  it('a handshake whose getToken outlives its transport sends nothing when the token comes: only the current attempt connects', async (t) => {
    const h = await setup(t);
    let release: (value: string) => void = () => {};
    let slowCallStarted: () => void = () => {};
    const slowCall = new Promise<void>((resolve) => (slowCallStarted = resolve));
    const source = recordedGetToken((call) => {
      if (call !== 1) return token();
      slowCallStarted();
      return new Promise<string>((resolve) => (release = resolve));
    });
    const socket = h.open({ getToken: source.getToken, reconnection: true, reconnectionDelay: 10, reconnectionDelayMax: 10 });
    await next(socket.session, 'authenticated');
    socket.io.engine.close(); // reconnection 1: its getToken hangs
    await slowCall;
    const back = next(socket.session, 'authenticated', 5000);
    socket.io.engine.close(); // that transport is lost too: reconnection 2 gets its token at once
    await back;
    assert.equal(h.handshakes.length, 2);
    release(token()); // reconnection 1's token arrives, late
    await new Promise((resolve) => setImmediate(resolve)); // every promise job it starts has run
    assert.equal(await socket.timeout(2000).emitWithAck('ping'), 'pong', 'a round trip: anything sent before it has reached the server');
    assert.deepEqual(h.handshakes, [{ hasToken: true }, { hasToken: true }], 'no handshake from the superseded attempt');
    assert.equal(h.connections(), 2);
  });

  it('a refresh whose socket is lost while getToken runs is dropped, not sent on the next connection', async (t) => {
    const h = await setup(t);
    let release: (value: string) => void = () => {};
    const source = recordedGetToken((call) => (call === 1 ? new Promise<string>((resolve) => (release = resolve)) : token()));
    const socket = h.open({ getToken: source.getToken, reconnection: true, reconnectionDelay: 50 });
    await next(socket.session, 'authenticated');
    const refreshing = socket.session.refresh();
    assert.equal(source.calls.length, 2, 'the refresh asked for a token');
    const lost = next(socket, 'disconnect');
    socket.io.engine.close();
    await lost;
    release(token()); // the token arrives while the socket is disconnected
    const back = next(socket.session, 'authenticated', 5000);
    assert.equal(await refreshing, false);
    await back;
    assert.equal(await socket.timeout(2000).emitWithAck('ping'), 'pong', 'a round trip after the reconnection');
    assert.deepEqual(h.refreshed, [], 'no stale authenticate reached the server');
    assert.equal(await socket.session.refresh(), true, 'a refresh on the new connection works');
  });

  it('refresh() on a disconnected socket resolves false at once', async (t) => {
    const h = await setup(t);
    const source = recordedGetToken(() => token());
    const socket = h.open({ getToken: source.getToken, autoConnect: false });
    assert.equal(await socket.session.refresh(), false);
    assert.equal(source.calls.length, 0);
    assert.deepEqual(h.handshakes, []);
  });
});
