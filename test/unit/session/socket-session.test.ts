// Unit tests of src/session/socket-session.ts: one test per transition of SocketSession
// (held / anonymous / verifying / live / refreshing / closed), in both modes, with a fake socket
// (fake-socket.ts), a fake clock (node:test MockTimers), real HS256 tokens and a real context from
// buildContext(). Nothing waits in real time; every test ends with no session counted, no expiry
// scheduled and no timer armed. End to end, against socket.io, is test/message.test.ts,
// test/handshake.test.ts, test/live-session.test.ts and test/recovery.test.ts.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { buildContext } from '../../../src/config/build-context.js';
import { UnauthorizedError } from '../../../src/errors/errors.js';
import type { SessionContext } from '../../../src/session/context.js';
import { DEFAULT_RETENTION_MS, MemoryRevocationStore, storedRule } from '../../../src/revocation/revocation.js';
import { SocketSession, TOKEN_REFRESHED } from '../../../src/session/socket-session.js';
import type { AuthorizeOptions, JwtClaims } from '../../../src/types.js';
import { fakeClock } from '../fake-clock.js';
import { asNamespace, asSocket, FakeNamespace, FakeSocket, PacketType, type FakeSocketInit, type Reply } from './fake-socket.js';

/** The fake clock's epoch ms at the start of every test: a whole second, a multiple of the scheduler's 100 ms slots. */
const START = 1_700_000_000_000;
const START_S = START / 1000;
const SECRET = 'x'.repeat(32);
const OTHER_SECRET = 'y'.repeat(32);

/** A real HS256 JWT of exactly `payload`. */
function sign(payload: JwtClaims, secret = SECRET): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Ann's token: issued a minute before START, valid for an hour from START. */
function claims(extra: JwtClaims = {}): JwtClaims {
  return { sub: 'ann', iat: START_S - 60, exp: START_S + 3600, jti: 'j1', ...extra };
}

/** An `{ ok: false, message, data }` acknowledgement, or an `unauthorized` payload, as `{ code, reason }`. */
function refusalOf(value: unknown): { ok?: unknown; code: unknown; reason: unknown } {
  const { ok, data } = value as { ok?: unknown; data: { code: unknown; reason: unknown } };
  return ok === undefined ? { code: data.code, reason: data.reason } : { ok, code: data.code, reason: data.reason };
}

/** The one `unauthorized` the socket was sent, as `{ code, reason }`. */
function unauthorizedOf(socket: FakeSocket): { code: unknown; reason: unknown } {
  const sent = socket.events('unauthorized');
  assert.equal(sent.length, 1, `one unauthorized sent (sent: ${socket.eventNames().join(', ') || 'nothing'})`);
  return refusalOf(sent[0]!.args[0]);
}

/** Settles pending promise work: one turn of the real event loop, no time on the fake clock. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * A context from `buildContext({ secret, ...options })` on the fake clock, a namespace it serves,
 * and sockets with sessions. `heard` records what the namespace's server-side listeners hear.
 * After the test every socket disconnects as a client would; then nothing may be counted,
 * scheduled or armed.
 */
function setup(t: TestContext, options: Partial<AuthorizeOptions> = {}) {
  const clock = fakeClock(t, { now: START });
  const ctx: SessionContext = buildContext({ secret: SECRET, ...options } as AuthorizeOptions<unknown>);
  const nsp = new FakeNamespace('/');
  ctx.sessions.serves(asNamespace(nsp));
  const heard: { event: string; args: unknown[] }[] = [];
  for (const event of ['authenticated', TOKEN_REFRESHED]) nsp.on(event, (...args: unknown[]) => heard.push({ event, args }));
  const opened: FakeSocket[] = [];
  t.after(() => {
    for (const socket of opened) socket.disconnectFromClient();
    assert.equal(ctx.sessions.sessionCount, 0, 'no session counted once every socket is gone');
    assert.equal(ctx.lifetime.scheduler.size, 0, 'no expiry left scheduled');
    assert.deepEqual(clock.live(), [], 'no timer left armed');
  });

  /** A socket and its session, as a connection listener (message mode) or a middleware (handshake mode) sees it. */
  const open = (init: FakeSocketInit = {}) => {
    const socket = new FakeSocket(nsp, { connected: !ctx.handshake, ...init });
    opened.push(socket);
    return { socket, session: new SocketSession(asSocket(socket), ctx) };
  };
  /** Message mode: a socket held until it authenticates. */
  const held = (init?: FakeSocketInit) => {
    const opened = open(init);
    opened.session.holdUntilAuthenticated();
    return opened;
  };
  /** Forgets what was sent and heard so far. */
  const forget = (socket: FakeSocket) => {
    socket.sent.length = 0;
    socket.delivered.length = 0;
    socket.joins.length = 0;
    socket.leaves.length = 0;
    heard.length = 0;
  };
  /** Message mode: held, then authenticated with `payload`; the records start empty. */
  const live = (payload = claims(), init?: FakeSocketInit) => {
    const opened = held(init);
    const reply = opened.socket.authenticate(sign(payload));
    assert.equal(refusalOrOk(reply), true, 'authenticated');
    assert.equal(opened.session.state, 'live');
    forget(opened.socket);
    return opened;
  };
  /** Handshake mode: verified in the middleware, then connected; the records start empty. */
  const liveHandshake = (payload = claims(), auth: Record<string, unknown> = {}) => {
    const token = sign(payload);
    const opened = open({ connected: false, auth: { token, ...auth } });
    const nexts: unknown[][] = [];
    opened.session.verifyHandshake(token, (...args: unknown[]) => nexts.push(args));
    assert.deepEqual(nexts, [[]], 'next() without an error');
    opened.socket.connectToNamespace();
    opened.session.onConnected();
    assert.equal(opened.session.state, 'live');
    forget(opened.socket);
    return opened;
  };
  return { clock, ctx, nsp, heard, open, held, live, liveHandshake, forget };
}

function refusalOrOk(reply: Reply): boolean | string {
  const value = reply.value as { ok?: boolean; data?: { reason: string } } | undefined;
  return value?.ok === true ? true : String(value?.data?.reason);
}

/** Hooks the test releases: `additional_auth` (or `isRevoked`) answers when the test says. */
function heldHooks() {
  const pending: Deferred<boolean>[] = [];
  const hook = () => {
    const answer = deferred<boolean>();
    pending.push(answer);
    return answer.promise;
  };
  return { pending, hook };
}

/**
 * A message-mode socket made live through an app hook the test answers (`additional_auth` says
 * true, `isRevoked` false): the same hook then holds the next verification open.
 */
async function liveBehindHeldHook(t: TestContext, hookName: 'additional_auth' | 'isRevoked') {
  const hooks = heldHooks();
  const h = setup(t, { [hookName]: hooks.hook });
  const { socket, session } = h.held();
  socket.authenticate(sign(claims()));
  hooks.pending[0]!.resolve(hookName === 'additional_auth');
  await flush();
  return { h, hooks, socket, session };
}

/** Handshake mode: a socket whose token the middleware verified (`next()` called without error), not yet connected. */
function verifiedInMiddleware(t: TestContext) {
  const h = setup(t, { handshake: true });
  const token = sign(claims());
  const { socket, session } = h.open({ connected: false, auth: { token } });
  const nexts: unknown[][] = [];
  session.verifyHandshake(token, (...args: unknown[]) => nexts.push(args));
  assert.deepEqual(nexts, [[]]);
  return { h, socket, session };
}

const LIFETIME = { exp: START_S + 3600, expiresInMs: 3_600_000 };

/** A socket socket.io recovered with the previous owner's claims in `data`, with the recovery record, and its rooms. */
function recoveredWithClaims(h: ReturnType<typeof setup>, rooms: string[] = []) {
  return h.open({ recovered: true, rooms, data: { decoded_token: claims(), sockjwt: { startedAt: START, presentedAt: START }, app: 1 } });
}

/** Only the app's own `data` is left, and no claims or token on the socket. */
function assertClaimsForgotten(socket: FakeSocket): void {
  assert.deepEqual(socket.data, { app: 1 });
  const target = socket as unknown as Record<string, unknown>;
  assert.equal(target['decoded_token'], undefined);
  assert.equal(target['encoded_token'], undefined);
}

describe('SocketSession (unit, fake socket, fake clock)', () => {
  describe('message mode: held', () => {
    it('holdUntilAuthenticated: out of every room and of broadcasts, one timer for `timeout`', (t) => {
      const h = setup(t, { timeout: 1500 });
      const { socket, session } = h.open({ rooms: ['early'] });
      session.holdUntilAuthenticated();
      assert.equal(session.state, 'held');
      assert.equal(session.isHeld, true);
      assert.deepEqual(h.nsp.adapter.delAllCalls, [socket.id], 'taken out through the adapter');
      assert.deepEqual([...socket.rooms], [], 'not even in its own room');
      assert.deepEqual(
        h.clock.live().map((timer) => timer.delay),
        [1500],
      );
      assert.equal(h.ctx.sessions.sessionCount, 0, 'not counted before it is live');
    });

    it('held, recovered: the claims and rooms socket.io restored are forgotten; the rooms are not joined at its admission', (t) => {
      const { socket, session } = recoveredWithClaims(setup(t), ['user:eve']);
      session.holdUntilAuthenticated();
      assertClaimsForgotten(socket);
      assert.equal(refusalOrOk(socket.authenticate(sign(claims({ sub: 'mallory' })))), true);
      assert.equal(session.state, 'live');
      assert.deepEqual([...socket.rooms], [socket.id]);
    });

    it('held: the client’s events and the app’s emits, joins and leaves wait; nothing reaches either side', (t) => {
      const h = setup(t);
      const { socket } = h.held();
      socket.clientEmit('chat', 'hello');
      const reply = socket.clientRequest('chat', 'with ack');
      socket.emit('welcome', 'hi');
      socket.join('lobby');
      socket.join(['tmp']);
      socket.leave('tmp');
      assert.deepEqual(socket.delivered, [], 'no client event reached the app');
      assert.equal(reply.answered, false);
      assert.deepEqual(socket.sent, [], 'nothing sent to the client');
      assert.deepEqual(socket.joins, [], 'no join reached socket.io');
      assert.deepEqual(socket.leaves, []);
      assert.deepEqual([...socket.rooms], []);
    });

    it('held → verifying → live: ack { ok: true }, `authenticated` sent, the namespace hears first, held emits replayed, rooms restored', (t) => {
      const h = setup(t);
      const { socket, session } = h.open({ rooms: ['early'] });
      session.holdUntilAuthenticated();
      const ackErrors: unknown[] = [];
      socket.emit('welcome', 'hi');
      socket.timeout(500).emit('asks', (error: unknown) => ackErrors.push(error));
      socket.join('lobby');
      socket.join('tmp');
      socket.leave('tmp');
      let sentWhenHeard = -1;
      h.nsp.on('authenticated', () => (sentWhenHeard = socket.sent.length));
      const token = sign(claims());

      const reply = socket.authenticate(token);

      assert.equal(session.state, 'live');
      assert.equal(session.isHeld, false);
      assert.deepEqual(reply.value, { ok: true, ...LIFETIME });
      assert.deepEqual(
        socket.sent.map((packet) => [packet.type, packet.data?.[0]]),
        [
          [PacketType.EVENT, 'authenticated'],
          [PacketType.ACK, reply.value],
          [PacketType.EVENT, 'welcome'],
          [PacketType.EVENT, 'asks'],
        ],
        'authenticated, the ack, then the held emits in order',
      );
      assert.deepEqual(socket.events('authenticated')[0]!.args, [LIFETIME]);
      assert.deepEqual(socket.events('welcome')[0]!.args, ['hi']);
      const asks = socket.events('asks')[0]!;
      assert.deepEqual(asks.opts, { timeout: 500 }, 'replayed with its own flags');
      assert.notEqual(asks.id, undefined, 'its ack callback registered');
      assert.deepEqual(ackErrors, []);
      assert.deepEqual(h.heard.map((entry) => [entry.event, entry.args[0]]), [['authenticated', socket]]);
      assert.equal(sentWhenHeard, 0, 'the namespace heard before anything went to the client');
      assert.deepEqual([...socket.rooms].sort(), [socket.id, 'early', 'lobby'].sort(), 'own room, the room it was in, the room joined meanwhile');
      const target = socket as unknown as Record<string, unknown>;
      assert.deepEqual(target['decoded_token'], claims());
      assert.equal(target['encoded_token'], token);
      assert.deepEqual(socket.data['decoded_token'], claims());
      assert.equal(h.ctx.sessions.sessionCount, 1);
      assert.equal(h.ctx.lifetime.scheduler.size, 1, 'its expiry scheduled');
      assert.deepEqual(
        h.clock.timers.map((timer) => [timer.delay, timer.cleared]),
        [[5000, true], [3_600_000, false]],
        'the authentication timer cleared; the expiry armed',
      );
      socket.clientEmit('chat', 'now');
      assert.deepEqual(socket.delivered, [{ event: 'chat', args: ['now'], withAck: false }], 'events reach the app once live');
    });

    it('held → refused (bad signature), callback: false: ack { ok: false }, `unauthorized`, disconnected at once, held emits settled', (t) => {
      const h = setup(t, { callback: false });
      const { socket, session } = h.held();
      const ackErrors: unknown[] = [];
      socket.timeout(500).emit('asks', (error: unknown) => ackErrors.push(error));
      socket.emit('no-timeout', () => ackErrors.push('never'));

      const reply = socket.authenticate(sign(claims(), OTHER_SECRET));

      assert.deepEqual(refusalOf(reply.value), { ok: false, code: 'invalid_token', reason: 'bad_signature' });
      assert.deepEqual(unauthorizedOf(socket), { code: 'invalid_token', reason: 'bad_signature' });
      assert.equal(socket.events('unauthorized')[0]!.id, undefined, 'no acknowledgement asked for');
      assert.deepEqual(
        socket.sent.map((packet) => packet.type),
        [PacketType.ACK, PacketType.EVENT, PacketType.DISCONNECT],
      );
      assert.equal(socket.connected, false);
      assert.equal(socket.disconnectReason, 'server namespace disconnect');
      assert.equal(session.state, 'closed');
      assert.equal(ackErrors.length, 1, 'the emit waiting with a timeout is settled; the other never is');
      assert.ok(ackErrors[0] instanceof Error);
      assert.equal(socket.events('asks').length, 0, 'held emits never sent');
      assert.deepEqual(h.clock.live(), []);
      assert.equal(h.ctx.sessions.sessionCount, 0);
    });

    it('held → refused, default callback: `unauthorized` asks for an ack; disconnected when the client acknowledges it', (t) => {
      const h = setup(t, { timeout: 2000 });
      const { socket, session } = h.held();
      const reply = socket.authenticate(sign(claims(), OTHER_SECRET));
      assert.deepEqual(refusalOf(reply.value), { ok: false, code: 'invalid_token', reason: 'bad_signature' });
      const [unauthorized] = socket.events('unauthorized');
      assert.equal(typeof unauthorized!.id, 'number', 'sent with an ack id');
      assert.equal(session.state, 'closed');
      assert.equal(socket.connected, true, 'still connected: the client reads the refusal first');
      assert.deepEqual(
        h.clock.live().map((timer) => timer.delay),
        [2000],
        'only the wait for the ack (callback defaults to timeout)',
      );
      socket.clientAcks(unauthorized!.id!);
      assert.equal(socket.connected, false);
      assert.equal(socket.serverDisconnects, 1);
      assert.deepEqual(h.clock.live(), [], 'the wait cleared');
    });

    it('held → refused, default callback: disconnected `callback` ms later when the client never acknowledges', (t) => {
      const h = setup(t, { timeout: 2000, callback: 700 });
      const { socket } = h.held();
      socket.authenticate('not-a-jwt');
      assert.deepEqual(unauthorizedOf(socket), { code: 'invalid_token', reason: 'malformed' });
      h.clock.at(699);
      assert.equal(socket.connected, true);
      h.clock.at(700);
      assert.equal(socket.connected, false);
      assert.equal(socket.serverDisconnects, 1);
    });

    it('held → timeout: `authentication_timeout` after `timeout` ms, disconnected at once', (t) => {
      const h = setup(t, { timeout: 1000 });
      const { socket, session } = h.held();
      h.clock.at(999);
      assert.equal(session.state, 'held');
      assert.deepEqual(socket.sent, []);
      h.clock.at(1000);
      assert.deepEqual(unauthorizedOf(socket), { code: 'authentication_timeout', reason: 'timeout' });
      assert.equal(socket.events('unauthorized')[0]!.id, undefined, 'no further wait for an acknowledgement');
      assert.equal(socket.connected, false);
      assert.equal(session.state, 'closed');
    });

    it('verifying → timeout: a verification still running at `timeout` loses; its late answer is ignored', async (t) => {
      const hooks = heldHooks();
      const h = setup(t, { timeout: 1000, additional_auth: hooks.hook });
      const { socket, session } = h.held();
      const reply = socket.authenticate(sign(claims()));
      assert.equal(session.state, 'verifying');
      h.clock.at(1000);
      assert.deepEqual(unauthorizedOf(socket), { code: 'authentication_timeout', reason: 'timeout' });
      assert.equal(socket.connected, false);
      hooks.pending[0]!.resolve(true);
      await flush();
      assert.equal(session.state, 'closed');
      assert.equal(reply.answered, false, 'the late verification answers nothing');
      assert.equal(h.ctx.sessions.sessionCount, 0);
    });

    it('held → verifying → refused by additional_auth (asynchronous): its code and message reach the client', async (t) => {
      const h = setup(t, { callback: false, additional_auth: (_claims, _ok, fail) => void Promise.resolve().then(() => fail({ code: 'banned', message: 'go away' })) });
      const { socket, session } = h.held();
      const reply = socket.authenticate(sign(claims()));
      assert.equal(session.state, 'verifying');
      await flush();
      assert.deepEqual(refusalOf(reply.value), { ok: false, code: 'banned', reason: 'rejected' });
      assert.equal((reply.value as { message: string }).message, 'go away');
      assert.equal(socket.connected, false);
    });

    it('held: `authenticate` without a token reads the handshake cookie (`cookie` option)', (t) => {
      const h = setup(t, { cookie: 'jwt' });
      const token = sign(claims());
      const { socket, session } = h.held({ headers: { cookie: `theme=dark; jwt=${token}` } });
      const reply = socket.clientRequest('authenticate', {});
      assert.deepEqual(reply.value, { ok: true, ...LIFETIME });
      assert.equal(session.state, 'live');
    });

    it('held → refused internal: a claims property that is a member of the running socket', (t) => {
      const warnings = t.mock.method(process, 'emitWarning', () => {});
      const h = setup(t, { callback: false, decodedPropertyName: 'claims' });
      const { socket, session } = h.open();
      Object.defineProperty(socket, 'claims', { value: 'a newer socket.io member', enumerable: true });
      session.holdUntilAuthenticated();
      const reply = socket.authenticate(sign(claims()));
      assert.deepEqual(refusalOf(reply.value), { ok: false, code: 'unknown', reason: 'internal' });
      assert.equal((socket as unknown as { claims: string }).claims, 'a newer socket.io member', 'not overwritten');
      assert.equal(socket.connected, false);
      assert.ok(warnings.mock.callCount() <= 1, 'warned once per process at most');
    });
  });

  describe('message mode: anonymous (required: false)', () => {
    it('admitAnonymously: in the namespace, events reach the app, no timer, not counted', (t) => {
      const h = setup(t, { required: false });
      const { socket, session } = h.open();
      session.admitAnonymously();
      assert.equal(session.state, 'anonymous');
      assert.equal(session.isHeld, false);
      assert.deepEqual([...socket.rooms], [socket.id]);
      socket.clientEmit('chat', 'hi');
      socket.emit('welcome');
      assert.deepEqual(socket.delivered.map((event) => event.event), ['chat']);
      assert.deepEqual(socket.eventNames(), ['welcome']);
      assert.deepEqual(h.clock.live(), []);
      assert.equal(h.ctx.sessions.sessionCount, 0);
    });

    it('anonymous → verifying → live: ack { ok: true }, `authenticated`, the namespace hears it; rooms untouched', (t) => {
      const h = setup(t, { required: false });
      const { socket, session } = h.open();
      session.admitAnonymously();
      socket.join('lobby');
      const reply = socket.authenticate(sign(claims()));
      assert.deepEqual(reply.value, { ok: true, ...LIFETIME });
      assert.equal(session.state, 'live');
      assert.deepEqual(socket.eventNames(), ['authenticated']);
      assert.deepEqual(h.heard.map((entry) => entry.event), ['authenticated']);
      assert.deepEqual([...socket.rooms].sort(), [socket.id, 'lobby'].sort());
      assert.deepEqual(h.nsp.adapter.delAllCalls, [], 'never taken out of its rooms');
      assert.equal(h.ctx.sessions.sessionCount, 1);
    });

    it('anonymous → refused: a bad token disconnects it', (t) => {
      const h = setup(t, { required: false, callback: false });
      const { socket, session } = h.open();
      session.admitAnonymously();
      const reply = socket.authenticate(sign(claims({ exp: START_S - 1 })));
      assert.deepEqual(refusalOf(reply.value), { ok: false, code: 'invalid_token', reason: 'expired' });
      assert.equal(socket.connected, false);
      assert.equal(session.state, 'closed');
    });

    it('anonymous, recovered: the claims and rooms socket.io restored from the previous owner are forgotten', (t) => {
      const { socket, session } = recoveredWithClaims(setup(t, { required: false }), ['user:eve']);
      Object.assign(socket, { decoded_token: claims(), encoded_token: 'old' });
      session.admitAnonymously();
      assertClaimsForgotten(socket);
      assert.deepEqual([...socket.rooms], [socket.id]);
    });

    it('resumeAnonymously: a recovered anonymous session keeps the rooms it had', (t) => {
      const h = setup(t, { required: false });
      const { socket, session } = h.open({ recovered: true, rooms: ['lobby'], data: { app: 1 } });
      session.resumeAnonymously();
      assert.equal(session.state, 'anonymous');
      assert.deepEqual([...socket.rooms].sort(), [socket.id, 'lobby'].sort());
      assert.deepEqual(socket.data, { app: 1 });
    });
  });

  describe('live → refreshing → live', () => {
    it('accepted: new lifetime in `authenticated` and the ack, token_refreshed heard, the old deadline cancelled', (t) => {
      const h = setup(t);
      const first = claims({ exp: START_S + 60 });
      const { socket, session } = h.live(first);
      h.clock.at(10_000);
      const next = claims({ iat: START_S + 10, exp: START_S + 3600, jti: 'j2' });
      const token = sign(next);
      const reply = socket.authenticate(token);
      assert.equal(session.state, 'live');
      const notice = { exp: START_S + 3600, expiresInMs: 3_590_000 };
      assert.deepEqual(reply.value, { ok: true, ...notice });
      assert.deepEqual(socket.events('authenticated').map((event) => event.args), [[notice]]);
      assert.deepEqual(h.heard.map((entry) => [entry.event, entry.args[0], entry.args[1]]), [[TOKEN_REFRESHED, socket, first]]);
      const target = socket as unknown as Record<string, unknown>;
      assert.deepEqual(target['decoded_token'], next);
      assert.equal(target['encoded_token'], token);
      assert.equal(h.ctx.sessions.sessionCount, 1, 'still one session');
      assert.equal(h.ctx.lifetime.scheduler.size, 1, 'one expiry: the old one cancelled');
      h.clock.at(60_000);
      assert.equal(socket.connected, true, 'past the first token’s exp, still live');
    });

    it('refused (subject mismatch): ack and `unauthorized` say why; the socket stays live on its current token', (t) => {
      const h = setup(t);
      const first = claims({ exp: START_S + 60 });
      const { socket, session } = h.live(first);
      const reply = socket.authenticate(sign(claims({ sub: 'bob' })));
      assert.deepEqual(refusalOf(reply.value), { ok: false, code: 'invalid_token', reason: 'subject_mismatch' });
      assert.deepEqual(unauthorizedOf(socket), { code: 'invalid_token', reason: 'subject_mismatch' });
      assert.equal(session.state, 'live');
      assert.equal(socket.connected, true);
      assert.deepEqual((socket as unknown as Record<string, unknown>)['decoded_token'], first);
      assert.deepEqual(h.heard, []);
      socket.clientEmit('chat');
      assert.equal(socket.delivered.length, 1, 'still serving events');
      h.clock.at(60_000);
      assert.equal(socket.connected, false, 'the current token still expires when it did');
      assert.deepEqual(
        socket.events('unauthorized').map((event) => refusalOf(event.args[0]).reason),
        ['subject_mismatch', 'expired'],
      );
    });

    it('refused (bad signature): stays live, nothing changes', (t) => {
      const h = setup(t);
      const { socket, session } = h.live();
      const reply = socket.authenticate(sign(claims({ jti: 'j2' }), OTHER_SECRET));
      assert.equal(refusalOrOk(reply), 'bad_signature');
      assert.equal(session.state, 'live');
      assert.equal(socket.connected, true);
      assert.equal(h.ctx.sessions.sessionCount, 1);
    });

    it('refresh budget spent: rate_limited with retryAfterMs, without verifying; allowed again once the window has passed', (t) => {
      const h = setup(t, { refreshLimit: { max: 2, windowMs: 60_000 } });
      const { socket, session } = h.live();
      assert.equal(refusalOrOk(socket.authenticate(sign(claims({ jti: 'r1' })))), true);
      assert.equal(refusalOrOk(socket.authenticate(sign(claims({ jti: 'r2' })))), true);
      h.clock.at(1000);
      // A token that would fail verification: refused for the budget, so it was never verified.
      const reply = socket.authenticate(sign(claims({ jti: 'r3' }), OTHER_SECRET));
      assert.deepEqual(refusalOf(reply.value), { ok: false, code: 'unknown', reason: 'rate_limited' });
      assert.equal((reply.value as { data: { retryAfterMs: number } }).data.retryAfterMs, 59_000);
      assert.equal(refusalOf(socket.events('unauthorized')[0]!.args[0]).reason, 'rate_limited');
      assert.equal(session.state, 'live');
      assert.equal(socket.connected, true);
      h.clock.at(60_000);
      assert.equal(refusalOrOk(socket.authenticate(sign(claims({ jti: 'r4' })))), true, 'a new window');
    });

    it('with room guards: rooms the new claims no longer allow are left', (t) => {
      const h = setup(t, { guards: { rooms: { admins: (c: JwtClaims) => c['role'] === 'admin' } } });
      const { socket } = h.live(claims({ role: 'admin' }));
      socket.join(['admins', 'lobby']);
      assert.deepEqual([...socket.rooms].sort(), [socket.id, 'admins', 'lobby'].sort());
      assert.equal(refusalOrOk(socket.authenticate(sign(claims({ role: 'user', jti: 'j2' })))), true);
      assert.deepEqual(socket.leaves, ['admins']);
      assert.deepEqual([...socket.rooms].sort(), [socket.id, 'lobby'].sort());
    });
  });

  describe('busy: a second authenticate while one is being verified', () => {
    it('verifying + authenticate → busy (rate_limited); the first still goes live', async (t) => {
      const hooks = heldHooks();
      const h = setup(t, { additional_auth: hooks.hook });
      const { socket, session } = h.held();
      const first = socket.authenticate(sign(claims()));
      assert.equal(session.state, 'verifying');
      const second = socket.authenticate(sign(claims({ jti: 'other' })));
      assert.deepEqual(refusalOf(second.value), { ok: false, code: 'unknown', reason: 'rate_limited' });
      assert.equal((second.value as { message: string }).message, 'the previous authenticate is still being verified');
      assert.equal(hooks.pending.length, 1, 'the second was not verified');
      assert.deepEqual(socket.events('unauthorized'), [], 'busy is answered in the ack only');
      assert.equal(first.answered, false);
      hooks.pending[0]!.resolve(true);
      await flush();
      assert.deepEqual(first.value, { ok: true, ...LIFETIME });
      assert.equal(session.state, 'live');
      assert.equal(h.ctx.sessions.sessionCount, 1);
    });

    it('refreshing + authenticate → busy; the refresh in flight still commits', async (t) => {
      const { hooks, socket, session } = await liveBehindHeldHook(t, 'additional_auth');
      assert.equal(session.state, 'live');
      const refresh = socket.authenticate(sign(claims({ jti: 'j2' })));
      assert.equal(session.state, 'refreshing');
      const second = socket.authenticate(sign(claims({ jti: 'j3' })));
      assert.deepEqual(refusalOf(second.value), { ok: false, code: 'unknown', reason: 'rate_limited' });
      assert.equal(hooks.pending.length, 2, 'the second was not verified');
      socket.clientEmit('chat');
      assert.equal(socket.delivered.length, 1, 'a refreshing socket still serves events');
      hooks.pending[1]!.resolve(true);
      await flush();
      assert.equal(refusalOrOk(refresh), true);
      assert.equal(session.state, 'live');
      assert.equal(session.payload?.jti, 'j2');
    });
  });

  describe('live → closed: expiry and revocation', () => {
    it('expiry: at exp, `unauthorized` (expired) then disconnect; uncounted', (t) => {
      const h = setup(t);
      const { socket, session } = h.live(claims({ exp: START_S + 60 }));
      h.clock.at(59_999);
      assert.equal(socket.connected, true);
      h.clock.at(60_000);
      assert.deepEqual(unauthorizedOf(socket), { code: 'invalid_token', reason: 'expired' });
      assert.deepEqual(
        socket.sent.map((packet) => packet.type),
        [PacketType.EVENT, PacketType.DISCONNECT],
        'told, then disconnected',
      );
      assert.equal(socket.connected, false);
      assert.equal(session.state, 'closed');
      assert.equal(h.ctx.sessions.sessionCount, 0);
      assert.equal(h.ctx.lifetime.scheduler.size, 0);
    });

    it('maxSessionMs: a refresh does not extend it; session_limit when it is reached', (t) => {
      const h = setup(t, { maxSessionMs: 30_000 });
      const { socket } = h.live();
      h.clock.at(20_000);
      assert.equal(refusalOrOk(socket.authenticate(sign(claims({ jti: 'j2', iat: START_S + 20 })))), true);
      assert.equal((socket.events('authenticated')[0]!.args[0] as { expiresInMs: number }).expiresInMs, 10_000, 'counted from the first authentication');
      h.clock.at(29_999);
      assert.equal(socket.connected, true);
      h.clock.at(30_000);
      assert.deepEqual(unauthorizedOf(socket), { code: 'invalid_token', reason: 'session_limit' });
      assert.equal(socket.connected, false);
    });

    it('revoked: ctx.sessions.revoke({ sub }) drops the subject’s live sockets, and only those', async (t) => {
      const h = setup(t);
      const ann = h.live();
      const bob = h.live(claims({ sub: 'bob', jti: 'j2' }));
      assert.equal(h.ctx.sessions.sessionCount, 2);
      assert.equal(await h.ctx.sessions.revoke({ sub: 'ann' }), 1);
      assert.deepEqual(unauthorizedOf(ann.socket), { code: 'invalid_token', reason: 'revoked' });
      assert.equal(ann.socket.connected, false);
      assert.equal(ann.session.state, 'closed');
      assert.equal(bob.socket.connected, true);
      assert.deepEqual(bob.socket.sent, []);
      assert.equal(h.ctx.sessions.sessionCount, 1);
    });

    it('revoked: a rule the store hears (dropMatching by jti) drops the socket holding that token', (t) => {
      const h = setup(t);
      const { socket } = h.live();
      assert.equal(h.ctx.sessions.dropMatching({ jti: 'j1', expiresAt: START + 60_000 }), 1);
      assert.deepEqual(unauthorizedOf(socket), { code: 'invalid_token', reason: 'revoked' });
      assert.equal(socket.connected, false);
    });

    it('revoked while refreshing: dropped at once; the refresh’s late answer is ignored', async (t) => {
      const { h, hooks, socket, session } = await liveBehindHeldHook(t, 'additional_auth');
      const refresh = socket.authenticate(sign(claims({ jti: 'j2' })));
      assert.equal(session.state, 'refreshing');
      assert.equal(await h.ctx.sessions.revoke({ sub: 'ann' }), 1, 'a refreshing socket is live: dropped');
      assert.equal(socket.connected, false);
      hooks.pending[1]!.resolve(true);
      await flush();
      assert.equal(refresh.answered, false);
      assert.equal(session.state, 'closed');
      assert.equal(h.ctx.sessions.sessionCount, 0);
    });
  });

  describe('begin … commit: a revocation heard meanwhile wins', () => {
    it('message mode: revoked while isRevoked is still answering → refused `revoked` at the commit', async (t) => {
      const hooks = heldHooks();
      const h = setup(t, { callback: false, isRevoked: hooks.hook });
      const { socket, session } = h.held();
      const reply = socket.authenticate(sign(claims()));
      assert.equal(session.state, 'verifying');
      assert.equal(await h.ctx.sessions.revoke({ sub: 'ann' }), 0, 'not live yet: nothing to drop');
      hooks.pending[0]!.resolve(false);
      await flush();
      assert.deepEqual(refusalOf(reply.value), { ok: false, code: 'invalid_token', reason: 'revoked' });
      assert.deepEqual(unauthorizedOf(socket), { code: 'invalid_token', reason: 'revoked' });
      assert.equal(socket.connected, false);
      assert.equal(h.ctx.sessions.sessionCount, 0);
    });

    it('message mode: a rule heard meanwhile that does not cover the token → admitted', async (t) => {
      const hooks = heldHooks();
      const h = setup(t, { isRevoked: hooks.hook });
      const { socket, session } = h.held();
      const reply = socket.authenticate(sign(claims()));
      await h.ctx.sessions.revoke({ sub: 'bob' });
      await h.ctx.sessions.revoke({ sub: 'ann', issuedBefore: (START_S - 120) * 1000 });
      hooks.pending[0]!.resolve(false);
      await flush();
      assert.equal(refusalOrOk(reply), true);
      assert.equal(session.state, 'live');
    });

    it('refresh: a rule naming the new token heard meanwhile refuses the refresh; the socket stays live on its current one', async (t) => {
      const { h, hooks, socket, session } = await liveBehindHeldHook(t, 'isRevoked');
      const refresh = socket.authenticate(sign(claims({ jti: 'j2' })));
      assert.equal(await h.ctx.sessions.revoke({ jti: 'j2' }), 0);
      hooks.pending[1]!.resolve(false);
      await flush();
      assert.deepEqual(refusalOf(refresh.value), { ok: false, code: 'invalid_token', reason: 'revoked' });
      assert.equal(session.state, 'live');
      assert.equal(session.payload?.jti, 'j1');
      assert.equal(socket.connected, true);
    });

    it('handshake mode: revoked while isRevoked is answering → next(error revoked)', async (t) => {
      const hooks = heldHooks();
      const h = setup(t, { handshake: true, isRevoked: hooks.hook });
      const { socket, session } = h.open({ connected: false });
      const nexts: unknown[][] = [];
      session.verifyHandshake(sign(claims()), (...args: unknown[]) => nexts.push(args));
      await h.ctx.sessions.revoke({ sub: 'ann' });
      hooks.pending[0]!.resolve(false);
      await flush();
      assert.equal(nexts.length, 1);
      const [error] = nexts[0]!;
      assert.ok(error instanceof UnauthorizedError);
      assert.equal(error.reason, 'revoked');
      assert.equal((socket as unknown as Record<string, unknown>)['decoded_token'], undefined, 'no claims attached');
      assert.deepEqual(socket.sent, []);
    });

    it('handshake mode: a rule heard between the middleware and the connection wins at onConnected', async (t) => {
      const { h, socket, session } = verifiedInMiddleware(t);
      assert.equal(await h.ctx.sessions.revoke({ sub: 'ann' }), 0, 'not live yet');
      socket.connectToNamespace();
      session.onConnected();
      assert.deepEqual(unauthorizedOf(socket), { code: 'invalid_token', reason: 'revoked' });
      assert.equal(socket.connected, false, 'at once: handshake mode waits for no ack');
      assert.equal(h.ctx.sessions.sessionCount, 0);
    });
  });

  describe('handshake mode', () => {
    it('verifyHandshake → next() without error; claims attached; not live, not counted until onConnected', (t) => {
      const { h, socket, session } = verifiedInMiddleware(t);
      assert.equal(session.state, 'verifying');
      assert.deepEqual((socket as unknown as Record<string, unknown>)['decoded_token'], claims(), 'for the app’s later middlewares');
      assert.equal(h.ctx.sessions.sessionCount, 0);
      assert.equal(h.ctx.lifetime.scheduler.size, 0);
      socket.connectToNamespace();
      session.onConnected();
      assert.equal(session.state, 'live');
      assert.equal(h.ctx.sessions.sessionCount, 1);
      assert.equal(h.ctx.lifetime.scheduler.size, 1);
      assert.deepEqual(socket.sent, [], 'a plain client is sent nothing');
    });

    it('onConnected with auth.lifetime: true: `authenticated` tells the client its lifetime', (t) => {
      const h = setup(t, { handshake: true });
      const token = sign(claims());
      const { socket, session } = h.open({ connected: false, auth: { token, lifetime: true } });
      session.verifyHandshake(token, () => {});
      socket.connectToNamespace();
      session.onConnected();
      assert.deepEqual(socket.events(), [{ event: 'authenticated', args: [LIFETIME], id: undefined, opts: {} }]);
    });

    it('verifyHandshake refused → next(error) carrying the refusal’s data; nothing sent, nothing attached', (t) => {
      const h = setup(t, { handshake: true });
      const { socket, session } = h.open({ connected: false });
      const nexts: unknown[][] = [];
      session.verifyHandshake(sign(claims(), OTHER_SECRET), (...args: unknown[]) => nexts.push(args));
      assert.equal(nexts.length, 1);
      const [error] = nexts[0]!;
      assert.ok(error instanceof UnauthorizedError);
      assert.deepEqual(error.data, { message: 'invalid signature', code: 'invalid_token', type: 'UnauthorizedError', reason: 'bad_signature' });
      assert.equal((socket as unknown as Record<string, unknown>)['decoded_token'], undefined);
      assert.deepEqual(socket.sent, []);
      assert.equal(socket.serverDisconnects, 0, 'socket.io answers connect_error itself');
      assert.equal(h.ctx.sessions.sessionCount, 0);
    });

    it('onConnected without a verification → refused credentials_required, disconnected at once', (t) => {
      const h = setup(t, { handshake: true });
      const { socket, session } = h.open({ connected: false });
      socket.connectToNamespace();
      session.onConnected();
      assert.deepEqual(unauthorizedOf(socket), { code: 'credentials_required', reason: 'missing' });
      assert.equal(socket.connected, false);
      assert.equal(session.state, 'closed');
    });

    it('anonymous (required: false): onConnected leaves it anonymous', (t) => {
      const h = setup(t, { handshake: true, required: false });
      const { socket, session } = h.open({ connected: false });
      session.admitAnonymously();
      socket.connectToNamespace();
      session.onConnected();
      assert.equal(session.state, 'anonymous');
      assert.equal(socket.connected, true);
      assert.deepEqual(socket.sent, []);
    });

    it('live → refresh in band (authenticate) → live, as in message mode', (t) => {
      const h = setup(t, { handshake: true });
      const { socket, session } = h.liveHandshake();
      const reply = socket.authenticate(sign(claims({ jti: 'j2', exp: START_S + 7200 })));
      assert.deepEqual(reply.value, { ok: true, exp: START_S + 7200, expiresInMs: 7_200_000 });
      assert.equal(session.payload?.jti, 'j2');
      assert.deepEqual(h.heard.map((entry) => entry.event), [TOKEN_REFRESHED]);
    });

    it('live → expiry, as in message mode', (t) => {
      const h = setup(t, { handshake: true });
      const { socket } = h.liveHandshake(claims({ exp: START_S + 5 }));
      h.clock.at(5000);
      assert.deepEqual(unauthorizedOf(socket), { code: 'invalid_token', reason: 'expired' });
      assert.equal(socket.connected, false);
    });
  });

  describe('authenticate: the revocation check', () => {
    /** Counts the store's checks: the in-memory store of this context, its own method wrapped. */
    function countChecks(ctx: SessionContext): { count: number } {
      const store = ctx.revocation.store as MemoryRevocationStore;
      const calls = { count: 0 };
      const isRevoked = store.isRevoked.bind(store);
      store.isRevoked = (query) => (calls.count++, isRevoked(query));
      return calls;
    }
    /** Handshake mode, the middleware's verification: the refusal's reason, or 'ok'. */
    function verdictOf(session: SocketSession, payload: JwtClaims): unknown {
      let verdict: unknown;
      session.verifyHandshake(sign(payload), (error?: Error) => (verdict = error ? (error as UnauthorizedError).reason : 'ok'));
      return verdict;
    }

    it('an empty in-memory store is not asked; once it holds a rule it is, and the rule refuses', async (t) => {
      const h = setup(t, { handshake: true });
      const checks = countChecks(h.ctx);
      h.liveHandshake();
      assert.equal(checks.count, 0, 'no rule anywhere: nothing asked');
      await h.ctx.sessions.revoke({ jti: 'gone' });
      assert.equal(verdictOf(h.open({ connected: false }).session, claims({ jti: 'j2' })), 'ok');
      assert.equal(checks.count, 1, 'a rule held: asked');
      assert.equal(verdictOf(h.open({ connected: false }).session, claims({ jti: 'gone' })), 'revoked');
    });

    it('a rule put into the store before authorize() refuses the token it names', async (t) => {
      // Before the fake clock: the rule is made, and kept, at the real time, which is later than START.
      const store = new MemoryRevocationStore();
      await store.add(storedRule({ sub: 'ann' }, DEFAULT_RETENTION_MS, Date.now()));
      const h = setup(t, { handshake: true, revocationStore: store });
      assert.equal(verdictOf(h.open({ connected: false }).session, claims()), 'revoked');
    });

    it('the store empty again once its only rule has expired: not asked any more', async (t) => {
      const h = setup(t, { handshake: true });
      const checks = countChecks(h.ctx);
      await h.ctx.sessions.revoke({ jti: 'gone', exp: START_S + 1 });
      h.clock.at(2000);
      assert.equal(verdictOf(h.open({ connected: false }).session, claims({ jti: 'gone' })), 'ok', 'the rule lapsed with its token');
      assert.equal(checks.count, 1);
      assert.equal(verdictOf(h.open({ connected: false }).session, claims({ jti: 'j3' })), 'ok');
      assert.equal(checks.count, 1, 'forgotten on that check: the store is empty again');
    });

    it('an isRevoked hook is asked even while the store is empty', (t) => {
      const asked: unknown[] = [];
      const h = setup(t, { handshake: true, isRevoked: (payload: JwtClaims) => (asked.push(payload.jti), payload.jti === 'bad') });
      assert.equal(verdictOf(h.open({ connected: false }).session, claims({ jti: 'bad' })), 'revoked');
      assert.deepEqual(asked, ['bad']);
    });
  });

  describe('resume (a socket socket.io recovered)', () => {
    it('message mode: resume → live, counted, told `authenticated`, deadline from the stored payload', (t) => {
      const h = setup(t);
      const payload = claims({ exp: START_S + 30 });
      const { socket, session } = h.open({ recovered: true, data: { decoded_token: payload } });
      session.resume(payload, START - 5000, START - 5000, h.ctx.sessions.generation);
      assert.equal(session.state, 'live');
      assert.equal(session.presentedAt, START - 5000);
      assert.equal(h.ctx.sessions.sessionCount, 1);
      assert.deepEqual(socket.events('authenticated')[0]!.args, [{ exp: START_S + 30, expiresInMs: 30_000 }]);
      h.clock.at(30_000);
      assert.equal(unauthorizedOf(socket).reason, 'expired');
    });

    it('handshake mode: resume → live, nothing sent to a plain client; maxSessionMs counts from the stored start', (t) => {
      const h = setup(t, { handshake: true, maxSessionMs: 60_000 });
      const payload = claims();
      const { socket, session } = h.open({ connected: true, recovered: true });
      session.resume(payload, START - 50_000, START - 1000, h.ctx.sessions.generation);
      assert.equal(session.state, 'live');
      assert.deepEqual(socket.sent, []);
      h.clock.at(9_999);
      assert.equal(socket.connected, true);
      h.clock.at(10_000);
      assert.deepEqual(unauthorizedOf(socket), { code: 'invalid_token', reason: 'session_limit' });
    });

    it('refused when a rule heard since its check covers it: `revoked`, disconnected', async (t) => {
      const h = setup(t, { handshake: true });
      const generation = h.ctx.sessions.generation;
      await h.ctx.sessions.revoke({ sub: 'ann' });
      const { socket, session } = h.open({ connected: true, recovered: true });
      session.resume(claims(), START - 5000, START - 5000, generation);
      assert.deepEqual(unauthorizedOf(socket), { code: 'invalid_token', reason: 'revoked' });
      assert.equal(socket.connected, false);
      assert.equal(session.state, 'closed');
      assert.equal(h.ctx.sessions.sessionCount, 0);
    });

    it('a rule heard before its check began (generation already counted) does not refuse it', async (t) => {
      const h = setup(t, { handshake: true });
      await h.ctx.sessions.revoke({ sub: 'ann' });
      const { session } = h.open({ connected: true, recovered: true });
      session.resume(claims(), START - 5000, START - 5000, h.ctx.sessions.generation);
      assert.equal(session.state, 'live');
    });

    it('with room guards: restored rooms the claims do not allow are left at the commit', (t) => {
      const h = setup(t, { handshake: true, guards: { rooms: { admins: (c: JwtClaims) => c['role'] === 'admin' } } });
      const { socket, session } = h.open({ connected: true, recovered: true, rooms: ['admins', 'lobby'] });
      session.resume(claims({ role: 'user' }), START, START, h.ctx.sessions.generation);
      assert.equal(session.state, 'live');
      assert.deepEqual(socket.leaves, ['admins']);
      assert.deepEqual([...socket.rooms].sort(), [socket.id, 'lobby'].sort());
    });
  });

  describe('closed', () => {
    it('events after the disconnect are ignored: no ack, nothing sent, nothing delivered', (t) => {
      const h = setup(t);
      const { socket, session } = h.live();
      socket.disconnectFromClient('transport close');
      assert.equal(session.state, 'closed');
      assert.equal(h.ctx.sessions.sessionCount, 0);
      assert.equal(h.ctx.lifetime.scheduler.size, 0, 'its expiry cancelled');
      assert.deepEqual(h.clock.live(), [], 'no timer left');
      const reply = socket.authenticate(sign(claims({ jti: 'j2' })));
      socket.clientEmit('chat');
      assert.equal(reply.answered, false);
      assert.deepEqual(socket.sent, []);
      assert.deepEqual(socket.delivered, []);
    });

    it('end() twice is safe: a second disconnect or a drop after it changes nothing, the count never goes below zero', (t) => {
      const h = setup(t);
      const { socket, session } = h.live();
      const other = h.live(claims({ sub: 'bob', jti: 'j2' }));
      socket.disconnectFromClient();
      session.onDisconnect();
      session.drop(new UnauthorizedError('invalid_token', 'revoked', 'again'));
      assert.equal(h.ctx.sessions.sessionCount, 1, 'only the other socket');
      assert.deepEqual(socket.sent, [], 'nothing sent after closing');
      assert.equal(socket.serverDisconnects, 0);
      other.session.drop(new UnauthorizedError('invalid_token', 'revoked', 'once'));
      other.session.drop(new UnauthorizedError('invalid_token', 'revoked', 'twice'));
      assert.equal(other.socket.events('unauthorized').length, 1, 'told once');
      assert.equal(other.socket.serverDisconnects, 1);
      assert.equal(h.ctx.sessions.sessionCount, 0);
    });

    it('held → closed by the client: the authentication timer is cleared, held emits settled', (t) => {
      const h = setup(t);
      const { socket, session } = h.held();
      const ackErrors: unknown[] = [];
      socket.timeout(100).emit('asks', (error: unknown) => ackErrors.push(error));
      assert.equal(h.clock.live().length, 1);
      socket.disconnectFromClient();
      assert.equal(session.state, 'closed');
      assert.deepEqual(h.clock.live(), []);
      assert.equal(ackErrors.length, 1);
      socket.emit('late', () => {});
      assert.deepEqual(socket.sent, [], 'an emit after closing goes nowhere');
    });

    it('refused and waiting for the client’s ack → closed by the client: the wait is cleared', (t) => {
      const h = setup(t);
      const { socket } = h.held();
      socket.authenticate('garbage');
      assert.equal(h.clock.live().length, 1, 'waiting for the ack of unauthorized');
      socket.disconnectFromClient();
      assert.deepEqual(h.clock.live(), []);
      assert.equal(socket.serverDisconnects, 0);
    });
  });

  describe('guards', () => {
    const guards = { events: { admin: (c: JwtClaims) => c['role'] === 'admin' } };

    it('a live socket without the claim: ack refusal forbidden/claim_required; the event does not reach the app', (t) => {
      const h = setup(t, { guards });
      const { socket, session } = h.live(claims({ role: 'user' }));
      const reply = socket.clientRequest('admin', { drop: 'everything' });
      assert.deepEqual(refusalOf(reply.value), { ok: false, code: 'forbidden', reason: 'claim_required' });
      assert.equal((reply.value as { message: string }).message, 'event "admin" requires claims this token does not have');
      socket.clientEmit('admin');
      assert.deepEqual(socket.delivered, [], 'neither reached the prototype onevent');
      socket.clientEmit('chat', 'allowed');
      assert.deepEqual(socket.delivered, [{ event: 'chat', args: ['allowed'], withAck: false }]);
      assert.equal(session.state, 'live', 'refused, not dropped');
      assert.equal(socket.connected, true);
    });

    it('a live socket with the claim: the event reaches the app with its ack', (t) => {
      const h = setup(t, { guards });
      const { socket } = h.live(claims({ role: 'admin' }));
      const reply = socket.clientRequest('admin', 1);
      assert.deepEqual(socket.delivered, [{ event: 'admin', args: [1], withAck: true }]);
      assert.equal(reply.answered, false, 'the app answers, not sockjwt');
    });

    it('an anonymous socket passes no guard', (t) => {
      const h = setup(t, { guards, required: false });
      const { socket, session } = h.open();
      session.admitAnonymously();
      assert.equal(refusalOf(socket.clientRequest('admin').value).reason, 'claim_required');
      assert.deepEqual(socket.delivered, []);
    });

    it('room guards: a join of a forbidden room is filtered, the others go through', (t) => {
      const h = setup(t, { guards: { rooms: { 'admin:*': (c: JwtClaims) => c['role'] === 'admin' } } });
      const { socket } = h.live(claims({ role: 'user' }));
      socket.join(['admin:ops', 'lobby']);
      assert.deepEqual(socket.joins, [['lobby']]);
      assert.deepEqual([...socket.rooms].sort(), [socket.id, 'lobby'].sort());
    });
  });
});
