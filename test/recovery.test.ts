import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import { authorize, type AuthorizeOptions } from '../src/index.js';
import { connected, next, nowSeconds, refusal, SECRET, sign, startServer, type WireError } from './support.js';

const RECOVERY = { connectionStateRecovery: { maxDisconnectionDuration: 30_000, skipMiddlewares: true } };

/**
 * A server with connection state recovery (middlewares skipped, socket.io's default), and
 * a client that reconnects by itself after `delayMs`, sending whatever `token.current` is then.
 */
async function recoveringSetup(t: TestContext, options: Partial<AuthorizeOptions>, delayMs: number) {
  const auth = authorize({ secret: SECRET, handshake: true, ...options } as AuthorizeOptions);
  const h = await startServer(t, (io) => (options.handshake === false ? io.on('connection', auth as never) : io.use(auth as never)), RECOVERY);
  const token = { current: '' };
  const client = h.connect('/', {
    reconnection: true,
    reconnectionDelay: delayMs,
    reconnectionDelayMax: delayMs,
    randomizationFactor: 0,
    auth: (callback: (data: object) => void) => callback({ token: token.current }),
  });
  return { ...h, auth, token, client };
}

/**
 * Cuts the transport, broadcasts while the client is away, lets `meanwhile` set the token it
 * reconnects with, and checks that the reconnection was a new session: not recovered, and the
 * broadcast never delivered (a barrier round trip proves everything sent before has arrived).
 */
async function reconnectsUnrecovered(h: Awaited<ReturnType<typeof recoveringSetup>>, meanwhile: () => void = () => {}): Promise<void> {
  let missed = 0;
  h.client.on('missed', () => missed++);
  await cutTransport(h.io, h.client);
  h.io.emit('missed');
  meanwhile();
  await connected(h.client, 8000);
  assert.equal(h.client.recovered, false);
  const barrier = next(h.client, 'barrier');
  h.io.emit('barrier');
  await barrier;
  assert.equal(missed, 0);
}

/** Gives the client a recovery offset (a broadcast), then cuts its transport. */
async function cutTransport(io: import('socket.io').Server, client: ClientSocket): Promise<void> {
  const hello = next(client, 'hello');
  io.emit('hello');
  await hello;
  const serverSide = io.of('/').sockets.get(client.id!)!;
  const gone = next(client, 'disconnect');
  const goneOnServer = next(serverSide, 'disconnect');
  client.io.engine.close();
  assert.equal((await gone)[0], 'forced close');
  // Recovery applies only to a transport the server saw close, not to a socket it dropped.
  assert.equal((await goneOnServer)[0], 'transport close');
}

/**
 * What an app does when it sets up its adapter late: `io.adapter()` after the first connection (a
 * fresh one of the same kind here). Then a second client connects, reconnecting by itself after 500 ms.
 */
async function secondClientOnNewAdapter(h: Awaited<ReturnType<typeof recoveringSetup>>, auth?: object): Promise<ClientSocket> {
  const before = h.io.of('/').adapter;
  h.io.adapter(before.constructor as never);
  assert.notEqual(h.io.of('/').adapter, before);
  const second = h.connect('/', { reconnection: true, reconnectionDelay: 500, reconnectionDelayMax: 500, randomizationFactor: 0, ...(auth ? { auth } : {}) });
  await connected(second);
  return second;
}

/** Cuts `client`'s transport, broadcasts while it is away, revokes `sub`; returns how many of those broadcasts it got so far. */
async function revokedWhileAway(h: Awaited<ReturnType<typeof recoveringSetup>>, client: ClientSocket, sub: string): Promise<() => number> {
  let missed = 0;
  client.on('missed', () => missed++);
  await cutTransport(h.io, client);
  h.io.emit('missed');
  assert.equal(await h.auth.revoke({ sub }), 0);
  return () => missed;
}

describe('connection state recovery', () => {
  it('a session recovered while its token is valid keeps its expiry and is dropped at exp', async (t) => {
    const h = await recoveringSetup(t, {}, 50);
    const exp = nowSeconds() + 2;
    h.token.current = sign({ sub: 'u-1', exp });
    await connected(h.client);
    await cutTransport(h.io, h.client);
    await connected(h.client);
    assert.equal(h.client.recovered, true);
    const [error] = await next<[WireError]>(h.client, 'unauthorized', 4000);
    assert.equal(error.data.reason, 'expired');
    assert.ok(Date.now() - exp * 1000 < 1000);
  });

  it('a session whose token expired while disconnected is not recovered: no missed packets, a normal handshake', async (t) => {
    // 1–2 s to live at connect (not + 1: signed at x.999 s, that left 1 ms, refused at connect); the
    // client comes back 2.5 s after the cut, so after exp whatever the fraction of the second.
    const h = await recoveringSetup(t, {}, 2500);
    const exp = nowSeconds() + 2;
    h.token.current = sign({ sub: 'u-1', exp });
    await connected(h.client);
    await reconnectsUnrecovered(h, () => (h.token.current = sign({ sub: 'u-1' })));
    assert.ok(Date.now() > exp * 1000, 'reconnected after exp');
  });

  it('maxAge: a session recovered while iat + maxAge holds is dropped then, long before exp', async (t) => {
    const h = await recoveringSetup(t, { maxAge: 2 }, 50);
    const iat = nowSeconds();
    h.token.current = sign({ sub: 'u-1', iat }); // exp in an hour
    await connected(h.client);
    await cutTransport(h.io, h.client);
    await connected(h.client);
    assert.equal(h.client.recovered, true);
    const [error] = await next<[WireError]>(h.client, 'unauthorized', 4000);
    assert.equal(error.data.reason, 'expired');
    assert.ok(Date.now() < (iat + 3) * 1000, 'at iat + maxAge');
  });

  it('maxAge: a session whose iat + maxAge passed while disconnected is not recovered', async (t) => {
    const h = await recoveringSetup(t, { maxAge: 1 }, 1500);
    const iat = nowSeconds();
    h.token.current = sign({ sub: 'u-1', iat });
    await connected(h.client);
    // The same token would be refused as too old: it reconnects with one signed as it reconnects.
    await reconnectsUnrecovered(h, () => Object.defineProperty(h.token, 'current', { get: () => sign({ sub: 'u-1' }) }));
    assert.ok(Date.now() >= (iat + 1) * 1000, 'reconnected after iat + maxAge');
  });

  it('maxSessionMs: a recovered session keeps its first authentication as the start of the cap', async (t) => {
    const h = await recoveringSetup(t, { maxSessionMs: 1500 }, 700);
    h.token.current = sign({ sub: 'u-1' });
    const started = Date.now();
    await connected(h.client);
    await cutTransport(h.io, h.client);
    await connected(h.client);
    assert.equal(h.client.recovered, true);
    const [error] = await next<[WireError]>(h.client, 'unauthorized', 4000);
    assert.equal(error.data.reason, 'session_limit');
    // Counted from the recovery (~0.75 s later) it would end after 2.2 s.
    assert.ok(Date.now() - started < 2000, `dropped ${Date.now() - started} ms after the first authentication`);
  });

  it('maxSessionMs: a session whose cap passed while disconnected is not recovered', async (t) => {
    const h = await recoveringSetup(t, { maxSessionMs: 800 }, 1200);
    h.token.current = sign({ sub: 'u-1' });
    await connected(h.client);
    await reconnectsUnrecovered(h);
  });

  it('a session revoked while disconnected is not recovered, and its token is refused', async (t) => {
    const h = await recoveringSetup(t, {}, 500);
    h.token.current = sign({ sub: 'u-1' });
    await connected(h.client);
    await cutTransport(h.io, h.client);
    await h.auth.revoke({ sub: 'u-1' });
    const error = await refusal(h.client);
    assert.equal(error.data.reason, 'revoked');
  });

  it('an adapter installed after the first connection is guarded too: a session revoked while disconnected is not recovered', async (t) => {
    const h = await recoveringSetup(t, {}, 500);
    h.token.current = sign({ sub: 'u-1' });
    await connected(h.client);
    const second = await secondClientOnNewAdapter(h, { token: sign({ sub: 'u-2' }) });
    const missed = await revokedWhileAway(h, second, 'u-2');
    const error = await refusal(second);
    assert.equal(error.data.reason, 'revoked');
    assert.equal(missed(), 0);
  });

  it('message mode: an adapter installed after the first connection is guarded too: a session revoked while disconnected is not recovered', async (t) => {
    const h = await recoveringSetup(t, { handshake: false } as never, 500);
    await connected(h.client);
    const second = await secondClientOnNewAdapter(h);
    await second.timeout(3000).emitWithAck('authenticate', { token: sign({ sub: 'u-2' }) });
    const missed = await revokedWhileAway(h, second, 'u-2');
    await connected(second, 8000);
    assert.equal(second.recovered, false);
    // Held again until it authenticates: then a barrier broadcast proves nothing missed came first.
    await second.timeout(3000).emitWithAck('authenticate', { token: sign({ sub: 'u-3' }) });
    const barrier = next(second, 'barrier');
    h.io.emit('barrier');
    await barrier;
    assert.equal(missed(), 0);
  });

  it('message mode: a socket recovered with valid claims comes back live, rooms and claims kept, and may refresh', async (t) => {
    const h = await recoveringSetup(t, { handshake: false } as never, 50);
    h.io.on('authenticated', (socket: import('socket.io').Socket) => void socket.join('members'));
    await connected(h.client);
    await h.client.timeout(3000).emitWithAck('authenticate', { token: sign({ sub: 'u-1' }) });
    await cutTransport(h.io, h.client);
    const told = next<[{ exp: number; expiresInMs: number }]>(h.client, 'authenticated');
    await connected(h.client);
    assert.equal(h.client.recovered, true);
    assert.equal(typeof (await told)[0].expiresInMs, 'number');
    const members = next(h.client, 'members-only');
    h.io.to('members').emit('members-only');
    await members;
    const ack = (await h.client.timeout(3000).emitWithAck('authenticate', { token: sign({ sub: 'u-1' }) })) as { ok: boolean };
    assert.equal(ack.ok, true);
  });
});
