// Unit tests of src/client/client-session.ts: one per transition of sockjwt/client's state machine
// (docs/protocol.md §8.1), with a fake socket and a fake clock. Nothing waits in real time; the
// end-to-end behaviour against a real server is test/client*.test.ts and test/protocol.test.ts.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it, type Mock, type TestContext } from 'node:test';
import type { Socket } from 'socket.io-client';
import { ClientSessionError, type SessionError } from '../../../src/client/client-error.js';
import { ClientSession, type AuthenticatedInfo, type ClientSessionSettings, type GetToken } from '../../../src/client/client-session.js';
import { UnauthorizedError } from '../../../src/errors/errors.js';
import type { ErrorReason } from '../../../src/types.js';
import { fakeClock } from '../fake-clock.js';

/** The fake clock's epoch ms at the start of every test (a whole second). */
const START = 1_700_000_000_000;
const START_S = START / 1000;
/** The settings every test starts from; a test overrides what it is about. */
const SETTINGS = { refreshLeadMs: 30_000, ackTimeoutMs: 10_000, getTokenTimeoutMs: 10_000, maxRetries: 3, retryDelayMs: 1000 } as const;
/** docs/protocol.md §8.3: each back-off may be lengthened by up to 25 %, never shortened. */
const JITTER = 0.25;
/** Handshake mode: how long the helper waits for the server's lifetime notice after CONNECT. */
const LIFETIME_NOTICE_WAIT_MS = 1000;

/** A JWT-shaped string whose payload carries `exp` (seconds): the helper reads it, never verifies it. */
function fakeToken(expSeconds: number | undefined, sub = 'ann'): string {
  const payload = Buffer.from(JSON.stringify({ sub, exp: expSeconds })).toString('base64url');
  return `eyJhbGciOiJIUzI1NiJ9.${payload}.not-a-signature`;
}

/** A refusal's wire form: `{ message, data }`, as sockjwt sends it with `unauthorized` and in a refused ack. */
function wire(reason: ErrorReason | (string & {}), retryAfterMs?: number) {
  return new UnauthorizedError('invalid_token', reason as ErrorReason, `refused: ${reason}`, retryAfterMs === undefined ? undefined : { retryAfterMs }).toJSON();
}

/** One `authenticate` the helper emitted, awaiting its acknowledgement. */
interface Sent {
  event: string;
  data: { token: string };
  timeoutMs: number;
  answer(ack: unknown): void;
}

/**
 * socket.io-client's Socket, as far as ClientSession touches it: `on` (connect, connect_error,
 * unauthorized, authenticated, disconnect), `io.on('reconnect_failed')`, `connected`, `active`,
 * `connect()`, and `timeout(ms).emit(event, data, ack)` (the ack timer is socket.io-client's: here
 * a setTimeout on the fake clock). The server and the transport are played by the test.
 */
class FakeSocket extends EventEmitter {
  /** The ack timers are socket.io-client's, not the helper's: armed on the fake clock, but not counted as the helper's. */
  constructor(private readonly timers: { setTimeout: (callback: () => void, ms: number) => NodeJS.Timeout; clearTimeout: (timer: NodeJS.Timeout) => void }) {
    super();
  }

  connected = false;
  /** socket.io-client's `active`: true from connect() until destroyed; stays true while it reconnects by itself. */
  active = false;
  readonly io = new EventEmitter();
  /** socket.io-client's connect() calls: the helper's (re)connections. */
  connects = 0;
  /** The helper's disconnectSocket() calls (socket.io-client's own disconnect). */
  disconnects = 0;
  readonly sent: Sent[] = [];

  connect(): this {
    this.connects++;
    this.active = true;
    return this;
  }

  timeout(timeoutMs: number) {
    return {
      emit: (event: string, data: { token: string }, ack: (error: Error | null, answer?: unknown) => void) => {
        let settled = false;
        const timer = this.timers.setTimeout(() => {
          settled = true;
          ack(new Error('operation has timed out'));
        }, timeoutMs);
        this.sent.push({
          event,
          data,
          timeoutMs,
          answer: (answer) => {
            assert.ok(!settled, 'answered once, before its timeout');
            settled = true;
            this.timers.clearTimeout(timer);
            ack(null, answer);
          },
        });
      },
    };
  }

  /** socket.io-client's disconnect(): 'io client disconnect' if it was connected, then inactive. */
  readonly disconnectSocket = (): void => {
    this.disconnects++;
    const wasConnected = this.connected;
    this.connected = false;
    this.active = false;
    if (wasConnected) this.emit('disconnect', 'io client disconnect');
  };

  // What the server and the transport do.

  /** The server accepts the namespace CONNECT. */
  accept(): void {
    this.connected = true;
    this.active = true;
    this.emit('connect');
  }

  /** The server refuses the CONNECT (socket.io-client destroys the socket, then emits connect_error with err.data). */
  refuse(data: unknown, message = 'refused'): void {
    this.active = false;
    this.emit('connect_error', Object.assign(new Error(message), { data }));
  }

  /** The server disconnects the socket (socket.io-client does not reconnect by itself). */
  serverDisconnect(): void {
    this.connected = false;
    this.active = false;
    this.emit('disconnect', 'io server disconnect');
  }

  /** The transport is lost; socket.io-client reconnects by itself unless its reconnection is off. */
  lose(reason: string, { reconnecting }: { reconnecting: boolean }): void {
    this.connected = false;
    this.active = reconnecting;
    this.emit('disconnect', reason);
  }
}

/** Settles all pending promise work (a turn of the real event loop; no time passes on the fake clock). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A ClientSession bound to a FakeSocket, on the fake clock: MockTimers for setTimeout and Date, and
 * performance.now (the helper's monotonic clock, which MockTimers does not cover) following it.
 * After the test, close() must leave none of the helper's timers armed.
 */
function setup(t: TestContext, settings: Partial<ClientSessionSettings> & { mode: 'handshake' | 'message' }) {
  const clock = fakeClock(t, { now: START, monotonic: true });
  const socket = new FakeSocket(clock.untracked);
  /** By default a token valid for an hour from the fake clock's now. */
  const getToken: Mock<GetToken> = t.mock.fn<GetToken>(() => fakeToken(Math.floor(Date.now() / 1000) + 3600));
  const session = new ClientSession({ ...SETTINGS, getToken, ...settings });
  session.bind(socket as unknown as Socket, socket.disconnectSocket);
  const authenticated: AuthenticatedInfo[] = [];
  const unauthorized: UnauthorizedError[] = [];
  const stopped: SessionError[] = [];
  session.on('authenticated', (info) => authenticated.push(info));
  session.on('unauthorized', (error) => unauthorized.push(error));
  session.on('stopped', (error) => stopped.push(error));
  t.after(() => {
    session.close();
    assert.deepEqual(clock.live(), [], 'close() leaves no timer of the helper armed');
  });

  /** Advances the fake clock by `ms`, then lets the promise work the timers started settle. */
  const tick = async (ms: number) => {
    t.mock.timers.tick(ms);
    await flush();
  };
  /** The time on the fake clock, in ms since START. */
  const elapsed = () => Date.now() - START;

  /** Handshake mode: socket.io-client calls the `auth` function; resolves with what it was given, or undefined. */
  const handshake = async (): Promise<object | undefined> => {
    let payload: object | undefined;
    session.handshakeAuth((data) => (payload = data));
    await flush();
    return payload;
  };

  /** Handshake mode, from scratch to live: auth, CONNECT, the server's lifetime notice. */
  const liveHandshake = async (notice: { exp?: number | null; expiresInMs?: number | null } = { expiresInMs: 3_600_000 }) => {
    assert.ok(await handshake(), 'a token went out');
    socket.accept();
    socket.emit('authenticated', notice);
    await flush();
  };

  /** Message mode, from CONNECT to live: the helper sends authenticate, the server acknowledges ok. */
  const liveMessage = async (ack: object = { ok: true, expiresInMs: 3_600_000 }) => {
    socket.accept();
    await flush();
    const sent = socket.sent.at(-1);
    assert.ok(sent, 'an authenticate went out');
    sent.answer(ack);
    await flush();
  };

  /** Whether the nth `authenticate` (0-based) was sent by now. */
  const authenticates = () => socket.sent.length;

  /**
   * The helper's next socket.connect() comes no sooner than `minMs` from now and no later than
   * `maxMs` (jitter only lengthens a wait): checked at minMs - 1 and at maxMs.
   */
  const expectConnectBetween = async (minMs: number, maxMs: number) => {
    const before = socket.connects;
    if (minMs > 0) {
      await tick(minMs - 1);
      assert.equal(socket.connects, before, `no reconnection before ${minMs} ms`);
      await tick(maxMs - minMs + 1);
    } else {
      await tick(maxMs);
    }
    assert.equal(socket.connects, before + 1, `a reconnection by ${maxMs} ms`);
  };
  /** A back-off of `baseMs`: between baseMs and baseMs + 25 %. */
  const expectConnectAfterBackOff = (baseMs: number) => expectConnectBetween(baseMs, Math.ceil(baseMs * (1 + JITTER)));

  /** The next authenticate (a refresh) goes out no sooner than `minMs` from now and no later than `maxMs`. */
  const expectRefreshBetween = async (minMs: number, maxMs: number) => {
    const before = authenticates();
    await tick(minMs - 1);
    assert.equal(authenticates(), before, `no refresh before ${minMs} ms`);
    await tick(maxMs - minMs + 1);
    assert.equal(authenticates(), before + 1, `a refresh by ${maxMs} ms`);
  };

  return {
    clock,
    session,
    socket,
    getToken,
    authenticated,
    unauthorized,
    stopped,
    tick,
    elapsed,
    handshake,
    liveHandshake,
    liveMessage,
    authenticates,
    expectConnectBetween,
    expectConnectAfterBackOff,
    expectRefreshBetween,
  };
}

type Harness = ReturnType<typeof setup>;

/** The in-place refresh the helper sent last, answered ok with a new lifetime. */
async function acceptRefresh(h: Harness, expiresInMs: number) {
  h.socket.emit('authenticated', { expiresInMs });
  h.socket.sent.at(-1)!.answer({ ok: true, expiresInMs });
  await flush();
}

/** The in-place refresh the helper sent last, refused as the server does it: `unauthorized` (no ack request), then the ack. */
async function refuseRefresh(h: Harness, reason: ErrorReason, retryAfterMs?: number) {
  h.socket.emit('unauthorized', wire(reason, retryAfterMs));
  h.socket.sent.at(-1)!.answer({ ok: false, ...wire(reason, retryAfterMs) });
  await flush();
}

/** A drop: `unauthorized` with its reason, then the server's disconnect. */
async function drop(h: Harness, reason: ErrorReason) {
  h.socket.emit('unauthorized', wire(reason));
  h.socket.serverDisconnect();
  await flush();
}

const rejecting = (error: unknown): GetToken => () => Promise.reject(error);
const pending = () => {
  let resolve!: (token: string) => void;
  const promise = new Promise<string>((settle) => (resolve = settle));
  return { promise, resolve };
};

describe('ClientSession (unit, fake socket and clock)', () => {
  describe('handshake mode: connecting', () => {
    it('connecting: the auth callback gets a fresh token, with lifetime: true', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      const payload = await h.handshake();
      assert.equal(h.getToken.mock.callCount(), 1);
      assert.deepEqual(payload, { token: h.getToken.mock.calls[0]!.result, lifetime: true });
      assert.deepEqual(h.authenticated, [], 'nothing accepted before the server says so');
    });

    it('connecting → back-off: getToken rejects: no handshake is sent, the attempt is dropped, a new connection after retryDelayMs', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      h.getToken.mock.mockImplementationOnce(rejecting(new Error('token endpoint down')));
      h.socket.connect();
      assert.equal(await h.handshake(), undefined, 'no token-less handshake');
      assert.equal(h.socket.disconnects, 1, 'the attempt is abandoned');
      assert.deepEqual(h.unauthorized, [], 'not a refusal');
      assert.deepEqual(h.stopped, []);
      await h.expectConnectAfterBackOff(1000);
      assert.ok(await h.handshake(), 'the next attempt gets a token');
    });

    it('connecting → back-off: getToken not settled within getTokenTimeoutMs: token_timeout, and its late token is never sent', async (t) => {
      const h = setup(t, { mode: 'handshake', getTokenTimeoutMs: 5000 });
      const late = pending();
      h.getToken.mock.mockImplementationOnce(() => late.promise);
      let payload: object | undefined;
      h.session.handshakeAuth((data) => (payload = data));
      await h.tick(4999);
      assert.equal(h.socket.disconnects, 0, 'still waiting');
      await h.tick(1);
      assert.equal(h.socket.disconnects, 1, 'given up at getTokenTimeoutMs');
      late.resolve(fakeToken(START_S + 3600));
      await h.tick(0);
      assert.equal(payload, undefined, 'the late token is not sent');
      await h.expectConnectAfterBackOff(1000);
    });

    it('connecting → stopped: a getToken error with retryable: false stops at once (token_unavailable)', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      h.getToken.mock.mockImplementation(rejecting(Object.assign(new Error('signed out'), { retryable: false })));
      h.socket.connect();
      assert.equal(await h.handshake(), undefined);
      assert.equal(h.stopped.length, 1);
      assert.equal(h.stopped[0]!.reason, 'token_unavailable');
      assert.equal(h.session.stopped, h.stopped[0]);
      await h.tick(60_000);
      assert.equal(h.socket.connects, 1, 'no reconnection');
    });

    it('connecting → back-off: a getToken error with retryAfterMs waits at least that long', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      h.getToken.mock.mockImplementationOnce(rejecting(Object.assign(new Error('busy'), { retryAfterMs: 7000 })));
      await h.handshake();
      await h.expectConnectBetween(7000, 7000);
    });

    it('connecting → stopped: getToken failing maxRetries + 1 times in a row, each back-off doubled, stops with token_unavailable', async (t) => {
      const h = setup(t, { mode: 'handshake', maxRetries: 3 });
      h.getToken.mock.mockImplementation(rejecting(new Error('down')));
      for (const backOff of [1000, 2000, 4000]) {
        await h.handshake();
        assert.deepEqual(h.stopped, []);
        await h.expectConnectAfterBackOff(backOff);
      }
      await h.handshake();
      assert.deepEqual(
        h.stopped.map((error) => error.reason),
        ['token_unavailable'],
      );
      assert.equal(h.getToken.mock.callCount(), 4);
    });

    it('a superseded attempt: a token that comes after a newer attempt started is not sent; the newer one is', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      const slow = pending();
      h.getToken.mock.mockImplementationOnce(() => slow.promise);
      const payloads: string[] = [];
      h.session.handshakeAuth(() => payloads.push('first'));
      h.session.handshakeAuth(() => payloads.push('second'));
      await h.tick(0);
      slow.resolve(fakeToken(START_S + 3600));
      await h.tick(0);
      assert.deepEqual(payloads, ['second']);
    });

    it('close() while getToken runs: the token is not sent', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      const slow = pending();
      h.getToken.mock.mockImplementationOnce(() => slow.promise);
      let payload: object | undefined;
      h.session.handshakeAuth((data) => (payload = data));
      h.session.close();
      slow.resolve(fakeToken(START_S + 3600));
      await h.tick(0);
      assert.equal(payload, undefined);
    });
  });

  describe('handshake mode: authenticating (CONNECT, then the lifetime notice)', () => {
    it('→ live: authenticated once the server’s notice comes, with its expiresInMs', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.handshake();
      h.socket.accept();
      await h.tick(500);
      assert.deepEqual(h.authenticated, [], 'held until the notice');
      h.socket.emit('authenticated', { exp: START_S + 60, expiresInMs: 50_000 });
      assert.deepEqual(h.authenticated, [{ exp: START_S + 60, expiresInMs: 50_000, refreshed: false }]);
      assert.equal(h.session.expiresAt, START + 500 + 50_000, 'the server’s lifetime, not the token’s exp');
      await h.tick(LIFETIME_NOTICE_WAIT_MS);
      assert.equal(h.authenticated.length, 1, 'announced once');
    });

    it('→ live without a notice (an older server): authenticated 1 s after CONNECT, lifetime from the token’s exp', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      h.getToken.mock.mockImplementation(() => fakeToken(START_S + 60));
      await h.handshake();
      h.socket.accept();
      await h.tick(LIFETIME_NOTICE_WAIT_MS - 1);
      assert.deepEqual(h.authenticated, []);
      await h.tick(1);
      assert.deepEqual(h.authenticated, [{ exp: START_S + 60, expiresInMs: 60_000 - LIFETIME_NOTICE_WAIT_MS, refreshed: false }]);
    });

    it('a notice without expiresInMs (an older server’s shape) changes nothing: the 1 s wait still decides', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      h.getToken.mock.mockImplementation(() => fakeToken(START_S + 60));
      await h.handshake();
      h.socket.accept();
      h.socket.emit('authenticated', { exp: START_S + 9999 });
      assert.deepEqual(h.authenticated, []);
      await h.tick(LIFETIME_NOTICE_WAIT_MS);
      assert.deepEqual(h.authenticated, [{ exp: START_S + 60, expiresInMs: 59_000, refreshed: false }]);
    });

    it('a notice with expiresInMs: null: authenticated with null, and no refresh is ever scheduled', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      h.getToken.mock.mockImplementation(() => fakeToken(START_S + 60));
      await h.liveHandshake({ exp: START_S + 60, expiresInMs: null });
      assert.deepEqual(h.authenticated, [{ exp: START_S + 60, expiresInMs: null, refreshed: false }]);
      assert.equal(h.session.expiresAt, null);
      await h.tick(3_600_000);
      assert.equal(h.authenticates(), 0, 'no refresh, whatever exp says');
      assert.equal(h.getToken.mock.callCount(), 1);
    });
  });

  describe('handshake mode: refused at connect (connect_error)', () => {
    it('expired → reconnect at once the first time; a second expired in a row backs off', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.handshake();
      h.socket.refuse(wire('expired').data);
      assert.deepEqual(
        h.unauthorized.map((error) => error.reason),
        ['expired'],
      );
      await h.expectConnectBetween(0, 0);
      await h.handshake();
      h.socket.refuse(wire('expired').data);
      await h.expectConnectAfterBackOff(2000);
    });

    it('not_yet_valid (a retry reason) → unauthorized, then a reconnection after the back-off', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.handshake();
      h.socket.refuse(wire('not_yet_valid').data);
      assert.deepEqual(
        h.unauthorized.map((error) => error.reason),
        ['not_yet_valid'],
      );
      assert.deepEqual(h.stopped, []);
      await h.expectConnectAfterBackOff(1000);
    });

    it('rate_limited with retryAfterMs → a reconnection no sooner than retryAfterMs', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.handshake();
      h.socket.refuse(wire('rate_limited', 7000).data);
      assert.equal(h.unauthorized[0]!.data.retryAfterMs, 7000);
      await h.expectConnectBetween(7000, 7000);
    });

    for (const reason of ['bad_signature', 'revoked'] as const) {
      it(`${reason} (a stop reason) → stopped with it: no reconnection, no new token`, async (t) => {
        const h = setup(t, { mode: 'handshake' });
        h.socket.connect();
        await h.handshake();
        h.socket.refuse(wire(reason).data);
        assert.deepEqual(
          h.unauthorized.map((error) => error.reason),
          [reason],
        );
        assert.deepEqual(
          h.stopped.map((error) => error.reason),
          [reason],
        );
        assert.ok(h.stopped[0] instanceof UnauthorizedError);
        await h.tick(60_000);
        assert.equal(h.socket.connects, 1);
        assert.equal(h.getToken.mock.callCount(), 1);
      });
    }

    it('a reason this version does not know is acted on like internal (back-off) and reported as sent', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.handshake();
      h.socket.refuse(wire('from_the_future').data);
      assert.deepEqual(
        h.unauthorized.map((error) => error.reason),
        ['from_the_future'],
      );
      await h.expectConnectAfterBackOff(1000);
      assert.deepEqual(h.stopped, []);
    });

    it('a connect_error that is not sockjwt’s → stopped (connect_refused)', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.handshake();
      h.socket.refuse(undefined, 'not allowed by the app');
      assert.deepEqual(h.unauthorized, []);
      assert.equal(h.stopped.length, 1);
      assert.equal(h.stopped[0]!.reason, 'connect_refused');
      assert.match(h.stopped[0]!.message, /not allowed by the app/);
    });

    it('a connect_error while socket.io-client retries by itself (socket.active) is left to it', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      h.socket.connect();
      h.socket.emit('connect_error', new Error('xhr poll error'));
      assert.deepEqual(h.stopped, []);
      assert.deepEqual(h.unauthorized, []);
      await h.tick(60_000);
      assert.equal(h.socket.connects, 1, 'the helper does not reconnect on top of it');
    });

    it('maxRetries + 1 retryable refusals in a row → stopped with the last refusal', async (t) => {
      const h = setup(t, { mode: 'handshake', maxRetries: 2 });
      for (const backOff of [1000, 2000]) {
        await h.handshake();
        h.socket.refuse(wire('internal').data);
        await h.expectConnectAfterBackOff(backOff);
      }
      await h.handshake();
      h.socket.refuse(wire('key_unavailable').data);
      assert.deepEqual(
        h.stopped.map((error) => error.reason),
        ['key_unavailable'],
      );
    });

    it('an accepted token resets the failure count: the next refusal backs off from retryDelayMs again', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      for (const backOff of [1000, 2000]) {
        await h.handshake();
        h.socket.refuse(wire('internal').data);
        await h.expectConnectAfterBackOff(backOff);
      }
      await h.liveHandshake();
      h.socket.lose('transport close', { reconnecting: true });
      await h.handshake();
      h.socket.refuse(wire('internal').data);
      await h.expectConnectAfterBackOff(1000);
    });
  });

  describe('live → refreshing (the refresh timer)', () => {
    it('at half the remaining life when that is sooner than refreshLeadMs before the end', async (t) => {
      const h = setup(t, { mode: 'handshake', refreshLeadMs: 30_000 });
      await h.liveHandshake({ expiresInMs: 40_000 });
      await h.expectRefreshBetween(20_000, 20_000);
      assert.equal(h.getToken.mock.callCount(), 2, 'a fresh token for the refresh');
      assert.equal(h.socket.sent[0]!.data.token, h.getToken.mock.calls[1]!.result);
      assert.equal(h.socket.sent[0]!.event, 'authenticate');
      assert.equal(h.socket.sent[0]!.timeoutMs, SETTINGS.ackTimeoutMs);
    });

    it('refreshLeadMs before the end of a long token', async (t) => {
      const h = setup(t, { mode: 'handshake', refreshLeadMs: 30_000 });
      await h.liveHandshake({ expiresInMs: 120_000 });
      await h.expectRefreshBetween(90_000, 90_000);
    });

    it('never sooner than 1 s: a token with 1.5 s left is refreshed after 1 s, not 750 ms', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 1500 });
      await h.expectRefreshBetween(1000, 1000);
    });

    it('never sooner than 1 s: a server stating expiresInMs: 0 gets a refresh after 1 s, not a loop', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 0 });
      await h.expectRefreshBetween(1000, 1000);
    });

    it('from the token’s exp on this clock when the server states no lifetime', async (t) => {
      const h = setup(t, { mode: 'handshake', refreshLeadMs: 30_000 });
      h.getToken.mock.mockImplementation(() => fakeToken(START_S + 100));
      await h.handshake();
      h.socket.accept();
      await h.expectRefreshBetween(70_000, 70_000);
    });
  });

  describe('refreshing → live / keep / stopped', () => {
    it('→ live: ok: authenticated (refreshed: true), the next refresh from the new lifetime', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 60_000 });
      await h.tick(30_000);
      assert.equal(h.authenticates(), 1);
      await acceptRefresh(h, 100_000);
      // exp: the refresh's token, fetched at +30 s, valid for an hour.
      assert.deepEqual(h.authenticated.at(-1), { exp: START_S + 30 + 3600, expiresInMs: 100_000, refreshed: true });
      assert.equal(h.session.expiresAt, START + 30_000 + 100_000);
      await h.expectRefreshBetween(70_000, 70_000);
      assert.deepEqual(h.unauthorized, []);
      assert.equal(h.socket.disconnects, 0);
    });

    it('→ live, capped: a refresh that did not move the end by 1 s (maxSessionMs) ends refreshing until the drop; the next connection refreshes again', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 4000 });
      await h.expectRefreshBetween(2000, 2000);
      await acceptRefresh(h, 2000); // the same end: the server's cap, not the token, decides it
      assert.deepEqual(h.authenticated.at(-1), { exp: START_S + 2 + 3600, expiresInMs: 2000, refreshed: true });
      await h.tick(60_000);
      assert.equal(h.authenticates(), 1, 'no refresh after one that did not extend the life');
      await drop(h, 'session_limit');
      await h.expectConnectBetween(0, 0);
      await h.liveHandshake({ expiresInMs: 4000 });
      await h.expectRefreshBetween(2000, 2000);
    });

    it('→ live: a refresh that moved the end by 1 s (3 s tokens with whole-second exp, 1.5 s apart) is an extension: refreshing goes on', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 3000 });
      await h.expectRefreshBetween(1500, 1500);
      await acceptRefresh(h, 2500); // the end moved from +3 s to +4 s
      await h.expectRefreshBetween(1250, 1250);
    });

    it('→ retry: a refusal with a retry-refresh reason (internal) is tried again after the back-off, on the same socket', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 60_000 });
      await h.tick(30_000);
      await refuseRefresh(h, 'internal');
      assert.deepEqual(
        h.unauthorized.map((error) => error.reason),
        ['internal'],
      );
      await h.expectRefreshBetween(1000, 1250);
      await acceptRefresh(h, 60_000);
      assert.equal(h.authenticated.at(-1)!.refreshed, true);
      assert.equal(h.socket.disconnects, 0);
      assert.deepEqual(h.stopped, []);
    });

    it('→ retry: rate_limited with retryAfterMs is tried again no sooner than retryAfterMs', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 60_000 });
      await h.tick(30_000);
      await refuseRefresh(h, 'rate_limited', 8000);
      await h.expectRefreshBetween(8000, 8000);
    });

    it('→ retry, uncounted: rate_limited without retryAfterMs (an earlier authenticate still pending) is tried again even with maxRetries 0', async (t) => {
      const h = setup(t, { mode: 'handshake', maxRetries: 0 });
      await h.liveHandshake({ expiresInMs: 60_000 });
      await h.tick(30_000);
      await refuseRefresh(h, 'rate_limited');
      await h.expectRefreshBetween(1000, 1250);
      await acceptRefresh(h, 60_000);
      assert.deepEqual(h.stopped, []);
    });

    it('→ keep: subject_mismatch ends refreshing in place; the socket stays and nothing stops', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 60_000 });
      await h.tick(30_000);
      await refuseRefresh(h, 'subject_mismatch');
      await h.tick(29_999);
      assert.equal(h.authenticates(), 1, 'no further refresh');
      assert.equal(h.socket.disconnects, 0, 'the helper keeps the socket');
      assert.deepEqual(h.stopped, []);
    });

    it('→ keep: session_limit refusing a refresh is not retried in place', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 60_000 });
      await h.tick(30_000);
      await refuseRefresh(h, 'session_limit');
      await h.tick(29_999);
      assert.equal(h.authenticates(), 1);
      assert.deepEqual(h.stopped, []);
    });

    it('a retry the back-off would put past the token’s end is not scheduled: the drop at expiry decides', async (t) => {
      const h = setup(t, { mode: 'handshake', retryDelayMs: 2000 });
      await h.liveHandshake({ expiresInMs: 3000 });
      await h.tick(1500);
      assert.equal(h.authenticates(), 1);
      await refuseRefresh(h, 'internal'); // 1.5 s left, a back-off of at least 2 s
      await h.tick(10_000);
      assert.equal(h.authenticates(), 1);
      assert.equal(h.socket.disconnects, 0);
    });

    it('getToken failing during a refresh: tried again after the back-off while the token holds', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 60_000 });
      h.getToken.mock.mockImplementationOnce(rejecting(new Error('down')), 1);
      await h.tick(30_000);
      assert.equal(h.authenticates(), 0, 'no token, no authenticate');
      assert.equal(h.getToken.mock.callCount(), 2);
      assert.deepEqual(h.stopped, []);
      await h.expectRefreshBetween(1000, 1250);
    });

    it('→ stopped: getToken failing with retryable: false during a refresh stops and disconnects', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 60_000 });
      h.getToken.mock.mockImplementation(rejecting(Object.assign(new Error('signed out'), { retryable: false })));
      await h.tick(30_000);
      assert.deepEqual(
        h.stopped.map((error) => error.reason),
        ['token_unavailable'],
      );
      assert.equal(h.socket.disconnects, 1);
      assert.equal(h.socket.connected, false);
    });

    it('no answer within ackTimeoutMs: ack_timeout, tried again after the back-off', async (t) => {
      const h = setup(t, { mode: 'handshake', ackTimeoutMs: 5000 });
      await h.liveHandshake({ expiresInMs: 60_000 });
      await h.tick(30_000);
      assert.equal(h.authenticates(), 1);
      await h.tick(5000); // the ack times out
      assert.deepEqual(h.stopped, []);
      await h.expectRefreshBetween(1000, 1250);
    });

    it('refreshes that keep failing stop being retried after maxRetries; the drop at expiry then stops the helper', async (t) => {
      const h = setup(t, { mode: 'handshake', maxRetries: 2 });
      await h.liveHandshake({ expiresInMs: 600_000 });
      await h.tick(570_000);
      await refuseRefresh(h, 'internal');
      await h.expectRefreshBetween(1000, 1250);
      await refuseRefresh(h, 'internal');
      await h.expectRefreshBetween(2000, 2500);
      await refuseRefresh(h, 'internal');
      await h.tick(20_000);
      assert.equal(h.authenticates(), 3, 'no fourth refresh');
      assert.equal(h.stopped.length, 0);
      await drop(h, 'expired');
      assert.deepEqual(
        h.stopped.map((error) => error.reason),
        ['expired'],
        'retries are spent',
      );
    });

    it('refresh() shares one in-flight refresh: one token, one authenticate, both resolve true', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake();
      const first = h.session.refresh();
      const second = h.session.refresh();
      await h.tick(0);
      assert.equal(h.authenticates(), 1);
      assert.equal(h.getToken.mock.callCount(), 2);
      await acceptRefresh(h, 3_600_000);
      assert.deepEqual(await Promise.all([first, second]), [true, true]);
    });

    it('refresh() when not connected resolves false at once and asks for no token', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      assert.equal(await h.session.refresh(), false);
      assert.equal(h.getToken.mock.callCount(), 0);
      assert.equal(h.authenticates(), 0);
    });

    it('a socket lost while the refresh’s getToken runs: nothing is sent, false', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake();
      const slow = pending();
      h.getToken.mock.mockImplementationOnce(() => slow.promise);
      const result = h.session.refresh();
      h.socket.lose('transport close', { reconnecting: true });
      slow.resolve(fakeToken(START_S + 3600));
      assert.equal(await result, false);
      assert.equal(h.authenticates(), 0);
    });
  });

  describe('live → a drop or a disconnect', () => {
    it('expired drop → a reconnection at once, with a fresh token', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake();
      await drop(h, 'expired');
      assert.deepEqual(
        h.unauthorized.map((error) => error.reason),
        ['expired'],
      );
      await h.expectConnectBetween(0, 0);
      assert.ok(await h.handshake());
      assert.equal(h.getToken.mock.callCount(), 2);
    });

    it('session_limit drop → a reconnection at once', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake();
      await drop(h, 'session_limit');
      await h.expectConnectBetween(0, 0);
      assert.deepEqual(h.stopped, []);
    });

    it('revoked drop → stopped (revoked), no reconnection', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake();
      await drop(h, 'revoked');
      assert.deepEqual(
        h.stopped.map((error) => error.reason),
        ['revoked'],
      );
      await h.tick(60_000);
      assert.equal(h.socket.connects, 0);
    });

    it('a drop at expiry after failed refreshes reconnects at once (the drop is the new connection’s first failure)', async (t) => {
      const h = setup(t, { mode: 'handshake', maxRetries: 5 });
      await h.liveHandshake({ expiresInMs: 600_000 });
      await h.tick(570_000);
      await refuseRefresh(h, 'internal');
      await h.tick(1250);
      await refuseRefresh(h, 'internal');
      await drop(h, 'expired');
      await h.expectConnectBetween(0, 0);
    });

    it('a server disconnect without unauthorized (the app’s) → stopped (server_disconnect), no reconnection', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake();
      h.socket.serverDisconnect();
      assert.equal(h.stopped.length, 1);
      assert.equal(h.stopped[0]!.reason, 'server_disconnect');
      assert.ok(h.stopped[0] instanceof ClientSessionError);
      assert.match(h.stopped[0].message, /disconnected by the server/);
      await h.tick(60_000);
      assert.equal(h.socket.connects, 0);
    });

    it('transport lost, socket.io-client reconnecting: no stop, no refresh while disconnected, a fresh token on the next attempt', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 60_000 });
      h.socket.lose('transport close', { reconnecting: true });
      assert.equal(h.session.expiresAt, null, 'no lifetime while disconnected');
      assert.deepEqual(h.clock.live(), [], 'no timer of the helper while socket.io-client reconnects');
      await h.tick(120_000);
      assert.equal(h.authenticates(), 0, 'the refresh timer went with the connection');
      assert.deepEqual(h.stopped, []);
      assert.equal(h.socket.connects, 0, 'socket.io-client reconnects, not the helper');
      await h.liveHandshake({ expiresInMs: 60_000 });
      assert.equal(h.getToken.mock.callCount(), 2);
      assert.equal(h.authenticated.length, 2);
    });

    for (const reason of ['transport close', 'ping timeout', 'transport error']) {
      it(`transport lost (${reason}) with reconnection off → stopped (connection_lost), the reason reported`, async (t) => {
        const h = setup(t, { mode: 'handshake' });
        await h.liveHandshake();
        h.socket.lose(reason, { reconnecting: false });
        assert.equal(h.stopped.length, 1);
        assert.equal(h.stopped[0]!.reason, 'connection_lost');
        assert.equal(h.stopped[0]!.message, `connection lost (${reason})`);
      });
    }

    it('io client disconnect: nothing reported, nothing retried', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake({ expiresInMs: 60_000 });
      h.socket.disconnectSocket();
      await h.tick(120_000);
      assert.deepEqual(h.stopped, []);
      assert.equal(h.socket.connects, 0);
      assert.equal(h.authenticates(), 0);
    });

    it('socket.io-client gives up reconnecting (reconnect_failed) → stopped (connection_lost)', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.liveHandshake();
      h.socket.lose('transport close', { reconnecting: true });
      h.socket.io.emit('reconnect_failed');
      assert.deepEqual(
        h.stopped.map((error) => error.reason),
        ['connection_lost'],
      );
      assert.equal(h.socket.disconnects, 1, 'the socket.io-client socket is shut');
    });
  });

  describe('stopped and closed', () => {
    it('close(): no refresh, retry or announcement follows', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.handshake();
      h.socket.accept(); // the announcement is held for the notice
      h.session.close();
      await h.tick(3_600_000);
      assert.deepEqual(h.authenticated, []);
      assert.equal(h.authenticates(), 0, 'no refresh');
      h.socket.refuse(wire('expired').data);
      h.socket.serverDisconnect();
      await h.tick(60_000);
      assert.equal(h.socket.connects, 0, 'no retry');
      assert.deepEqual(h.stopped, []);
    });

    it('close() with a retry pending: the reconnection never happens', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.handshake();
      h.socket.refuse(wire('internal').data);
      assert.equal(h.clock.live().length, 1, 'the retry timer');
      h.session.close();
      assert.deepEqual(h.clock.live(), [], 'close() clears it');
      await h.tick(60_000);
      assert.equal(h.socket.connects, 0);
    });

    it('stopped is final: later refusals, drops and notices change nothing', async (t) => {
      const h = setup(t, { mode: 'handshake' });
      await h.handshake();
      h.socket.refuse(wire('bad_signature').data);
      assert.equal(h.stopped.length, 1);
      assert.deepEqual(h.clock.live(), [], 'no timer left once stopped');
      h.socket.refuse(wire('expired').data);
      h.socket.serverDisconnect();
      h.socket.io.emit('reconnect_failed');
      await h.tick(60_000);
      assert.equal(h.stopped.length, 1, 'one stopped');
      assert.equal(h.socket.connects, 0);
      assert.equal(await h.handshake(), undefined, 'no token sent after stopping');
    });
  });

  describe('message mode', () => {
    it('connect → authenticating: a fresh token, then authenticate { token } with ackTimeoutMs', async (t) => {
      const h = setup(t, { mode: 'message' });
      h.socket.accept();
      await h.tick(0);
      assert.equal(h.getToken.mock.callCount(), 1);
      assert.deepEqual(
        h.socket.sent.map(({ event, data, timeoutMs }) => ({ event, data, timeoutMs })),
        [{ event: 'authenticate', data: { token: h.getToken.mock.calls[0]!.result }, timeoutMs: SETTINGS.ackTimeoutMs }],
      );
      assert.deepEqual(h.authenticated, []);
    });

    it('authenticating → live: ack ok: authenticated (refreshed: false) with the ack’s lifetime, refresh scheduled from it', async (t) => {
      const h = setup(t, { mode: 'message' });
      await h.liveMessage({ ok: true, exp: START_S + 3600, expiresInMs: 40_000 });
      assert.deepEqual(h.authenticated, [{ exp: START_S + 3600, expiresInMs: 40_000, refreshed: false }]);
      await h.expectRefreshBetween(20_000, 20_000);
    });

    it('authenticating → live with an older server’s ack (no expiresInMs): lifetime from the ack’s exp', async (t) => {
      const h = setup(t, { mode: 'message' });
      await h.liveMessage({ ok: true, exp: START_S + 100 });
      assert.deepEqual(h.authenticated, [{ exp: START_S + 100, expiresInMs: 100_000, refreshed: false }]);
    });

    it('authenticating → refused: unauthorized acknowledged at once, then the server’s disconnect decides (expired: at once)', async (t) => {
      const h = setup(t, { mode: 'message' });
      h.socket.accept();
      await h.tick(0);
      h.socket.sent[0]!.answer({ ok: false, ...wire('expired') });
      await h.tick(0);
      assert.equal(h.socket.disconnects, 0, 'the refusal’s disconnect is the server’s');
      const ack = t.mock.fn();
      h.socket.emit('unauthorized', wire('expired'), ack);
      assert.equal(ack.mock.callCount(), 1, 'acknowledged at once: the server holds the socket until then');
      h.socket.serverDisconnect();
      await h.expectConnectBetween(0, 0);
      assert.deepEqual(h.authenticated, []);
    });

    it('authenticating → stopped: a refusal with a stop reason, then the disconnect', async (t) => {
      const h = setup(t, { mode: 'message' });
      h.socket.accept();
      await h.tick(0);
      h.socket.sent[0]!.answer({ ok: false, ...wire('malformed') });
      h.socket.emit('unauthorized', wire('malformed'), () => {});
      h.socket.serverDisconnect();
      await h.tick(0);
      assert.deepEqual(
        h.stopped.map((error) => error.reason),
        ['malformed'],
      );
    });

    it('authenticating → back-off: no ack within ackTimeoutMs: the socket is given up and reconnected after the back-off', async (t) => {
      const h = setup(t, { mode: 'message', ackTimeoutMs: 5000 });
      h.socket.accept();
      await h.tick(0); // the authenticate goes out
      assert.equal(h.authenticates(), 1);
      await h.tick(4999);
      assert.equal(h.socket.disconnects, 0);
      await h.tick(1);
      assert.equal(h.socket.disconnects, 1);
      assert.deepEqual(h.stopped, []);
      await h.expectConnectAfterBackOff(1000);
    });

    it('connect → back-off: getToken failing at connect gives the socket up; reconnected after the back-off', async (t) => {
      const h = setup(t, { mode: 'message' });
      h.getToken.mock.mockImplementationOnce(rejecting(new Error('down')));
      h.socket.accept();
      await h.tick(0);
      assert.equal(h.authenticates(), 0, 'nothing sent without a token');
      assert.equal(h.socket.disconnects, 1);
      await h.expectConnectAfterBackOff(1000);
    });

    it('a token that comes after its connection dropped is not sent', async (t) => {
      const h = setup(t, { mode: 'message' });
      const slow = pending();
      h.getToken.mock.mockImplementationOnce(() => slow.promise);
      h.socket.accept();
      h.socket.lose('transport close', { reconnecting: true });
      slow.resolve(fakeToken(START_S + 3600));
      await h.tick(0);
      assert.equal(h.authenticates(), 0);
    });

    it('an unauthorized handled before the acceptance is applied keeps its reason for the disconnect that follows', async (t) => {
      const h = setup(t, { mode: 'message' });
      h.socket.accept();
      await h.tick(0);
      // The ack settles the helper's promise; the drop's unauthorized comes before the helper resumes.
      h.socket.sent[0]!.answer({ ok: true, expiresInMs: 3_600_000 });
      h.socket.emit('unauthorized', wire('revoked'));
      await h.tick(0);
      h.socket.serverDisconnect();
      assert.deepEqual(
        h.stopped.map((error) => error.reason),
        ['revoked'],
        'not “disconnected”',
      );
    });

    it('live → refreshing → live: the refresh is an authenticate on the same socket', async (t) => {
      const h = setup(t, { mode: 'message' });
      await h.liveMessage({ ok: true, expiresInMs: 60_000 });
      await h.expectRefreshBetween(30_000, 30_000);
      await acceptRefresh(h, 60_000);
      assert.deepEqual(
        h.authenticated.map((info) => info.refreshed),
        [false, true],
      );
      assert.equal(h.socket.connects, 0);
    });
  });
});
