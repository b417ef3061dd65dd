import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { authorize, type MessageOptions } from '../src/index.js';
import { connected, next, SECRET, sign, startServer, type WireError, socketIoAtLeast } from './support.js';

const PAYLOAD = { sub: 'u-1', name: 'Ann' };

type Unauthorized = [WireError, (() => void) | undefined];

function messageServer(t: Parameters<typeof startServer>[0], options: Partial<MessageOptions> = {}, onConnection?: (socket: Socket) => void) {
  const authenticated: Socket[] = [];
  const harness = startServer(t, (io) => {
    io.on('connection', authorize({ secret: SECRET, ...options }));
    if (onConnection) io.on('connection', onConnection);
    io.on('authenticated', (socket: Socket) => authenticated.push(socket));
  });
  return harness.then((h) => ({ ...h, authenticated }));
}

async function authenticate(client: ClientSocket, token: unknown): Promise<void> {
  if (!client.connected) await connected(client);
  const outcome = Promise.race([next(client, 'authenticated'), next<Unauthorized>(client, 'unauthorized').then(([e]) => Promise.reject(new Error(e.data.code)))]);
  client.emit('authenticate', { token });
  await outcome;
}

describe('message mode: authentication', () => {
  it('authenticates with { token }: claims attached, server-side event once, client told after the app', async (t) => {
    const order: string[] = [];
    const h = await startServer(t, (io) => {
      io.on('connection', authorize({ secret: SECRET }));
      io.on('authenticated', (socket: Socket) => {
        order.push(`server:${(socket as any).decoded_token.name}`);
        socket.emit('welcome', socket.data.decoded_token.sub);
      });
    });
    const client = h.connect();
    const welcome = next<[string]>(client, 'welcome');
    const told = next(client, 'authenticated').then(() => order.push('client'));
    await connected(client);
    client.emit('authenticate', { token: sign(PAYLOAD) });
    const [sub] = await welcome;
    assert.equal(sub, 'u-1');
    await told;
    assert.deepEqual(order, ['server:Ann', 'client']);
  });

  it('the server-side authenticated event is local: other clients never receive it', async (t) => {
    const h = await messageServer(t);
    const first = h.connect();
    await authenticate(first, sign(PAYLOAD));
    let leaked = 0;
    first.on('authenticated', () => leaked++);
    const second = h.connect();
    await authenticate(second, sign({ sub: 'u-2' }));
    // A round trip on the first client orders after anything broadcast before it.
    h.io.emit('barrier');
    await next(first, 'barrier');
    assert.equal(leaked, 0);
    assert.equal(h.authenticated.length, 2);
  });

  it('a second authenticate is an in-band refresh: no second server-side authenticated event, a bad one keeps the socket', async (t) => {
    const h = await messageServer(t);
    const client = await (async () => {
      const c = h.connect();
      await authenticate(c, sign(PAYLOAD));
      return c;
    })();
    let told = 0;
    client.on('authenticated', () => told++);
    const refreshed = (await client.timeout(3000).emitWithAck('authenticate', { token: sign(PAYLOAD) })) as { ok: boolean };
    const garbage = (await client.timeout(3000).emitWithAck('authenticate', { token: 'garbage' })) as { ok: boolean; data: { reason: string } };
    assert.equal(refreshed.ok, true);
    assert.equal(garbage.data.reason, 'malformed');
    assert.equal(h.authenticated.length, 1);
    assert.equal(told, 1);
    assert.equal(client.connected, true);
  });
});

describe('message mode: quarantine until authenticated', () => {
  it('an unauthenticated socket is in no room and receives no namespace broadcast', async (t) => {
    let serverSocket: Socket | undefined;
    const h = await messageServer(t, {}, (socket) => {
      serverSocket = socket;
      void socket.join('lobby');
    });
    const client = h.connect();
    const received: string[] = [];
    client.onAny((event: string) => received.push(event));
    await connected(client);
    assert.ok(serverSocket);
    assert.deepEqual([...serverSocket.rooms], [], 'not even its own id');
    h.io.emit('broadcast-all');
    h.io.to('lobby').emit('broadcast-lobby');
    h.io.to(serverSocket.id).emit('to-own-id');
    assert.equal((await h.io.fetchSockets()).length, 0);

    await authenticate(client, sign(PAYLOAD));
    assert.deepEqual(received, ['authenticated'], 'nothing broadcast before authentication may arrive');
    assert.deepEqual([...serverSocket.rooms].sort(), [serverSocket.id, 'lobby'].sort());
    h.io.to('lobby').emit('after');
    await next(client, 'after');
    assert.equal((await h.io.fetchSockets()).length, 1);
  });

  it('its events reach no handler, not even onAny, until it authenticates', async (t) => {
    const seen: string[] = [];
    const h = await messageServer(t, {}, (socket) => {
      socket.onAny((event: string) => seen.push(`any:${event}`));
      socket.on('chat', (text: string, ack?: () => void) => {
        seen.push(`chat:${text}`);
        ack?.();
      });
    });
    const client = h.connect();
    await connected(client);
    client.emit('chat', 'before');
    client.emit('chat', 'before-with-ack', () => seen.push('acked-before'));
    await authenticate(client, sign(PAYLOAD));
    await client.emitWithAck('chat', 'after');
    assert.deepEqual(seen, ['any:chat', 'chat:after']);
  });

  it('what the app emits to a held socket waits for admission, and is dropped if refused', { skip: !socketIoAtLeast(4) && 'server-side socket.timeout() needs socket.io ≥ 4.4' }, async (t) => {
    const h = await messageServer(t, { callback: false }, (socket) => {
      socket.emit('early', 1);
      void socket.timeout(5000).emit('early-ack', 2, () => undefined);
    });
    const good = h.connect();
    const events: string[] = [];
    good.onAny((event: string) => events.push(event));
    good.on('early-ack', (_n: number, ack: () => void) => ack());
    const earlyAck = next(good, 'early-ack');
    await authenticate(good, sign(PAYLOAD));
    await earlyAck;
    assert.deepEqual(events, ['authenticated', 'early', 'early-ack']);

    const bad = h.connect();
    const badEvents: string[] = [];
    bad.onAny((event: string) => badEvents.push(event));
    await connected(bad);
    const disconnected = next(bad, 'disconnect');
    bad.emit('authenticate', { token: 'garbage' });
    await disconnected;
    assert.deepEqual(badEvents, ['unauthorized']);
  });
});

describe('message mode: timeout', () => {
  it('no authenticate in time → unauthorized authentication_timeout, then disconnect', async (t) => {
    const h = await messageServer(t, { timeout: 150 });
    const client = h.connect();
    await connected(client);
    const started = Date.now();
    const disconnected = next<[string]>(client, 'disconnect');
    const [error] = await next<Unauthorized>(client, 'unauthorized');
    assert.deepEqual(error.data, { message: error.message, code: 'authentication_timeout', type: 'UnauthorizedError', reason: 'timeout' });
    const [reason] = await disconnected;
    assert.equal(reason, 'io server disconnect');
    assert.ok(Date.now() - started >= 100);
  });

  it('required: false: no timeout, no quarantine, authenticate still attaches claims', async (t) => {
    let serverSocket: Socket | undefined;
    const h = await messageServer(t, { required: false, timeout: 100 }, (socket) => {
      serverSocket = socket;
      socket.on('ping', (ack: (v: unknown) => void) => ack((socket as any).decoded_token ?? null));
    });
    const client = h.connect();
    await connected(client);
    assert.equal(await client.emitWithAck('ping'), null);
    h.io.emit('open-broadcast');
    await next(client, 'open-broadcast');
    await authenticate(client, sign(PAYLOAD));
    assert.equal(((await client.emitWithAck('ping')) as any).sub, 'u-1');
    assert.ok(serverSocket?.connected);
  });
});

describe('message mode: refusal and the callback option', () => {
  it('callback: false disconnects right after emitting unauthorized', async (t) => {
    const h = await messageServer(t, { callback: false });
    const client = h.connect();
    await connected(client);
    const disconnected = next<[string]>(client, 'disconnect');
    client.emit('authenticate', { token: sign(PAYLOAD, {}, 'wrong') });
    const [error, ack] = await next<Unauthorized>(client, 'unauthorized');
    assert.equal(error.data.code, 'invalid_token');
    assert.equal(error.data.reason, 'bad_signature');
    assert.equal(ack, undefined, 'no acknowledgement is offered');
    assert.equal((await disconnected)[0], 'io server disconnect');
  });

  it('callback: <ms> disconnects at once when acknowledged', async (t) => {
    const h = await messageServer(t, { callback: 60_000 });
    const client = h.connect();
    await connected(client);
    client.emit('authenticate', { token: 'garbage' });
    const [error, ack] = await next<Unauthorized>(client, 'unauthorized');
    assert.equal(error.data.reason, 'malformed');
    assert.equal(typeof ack, 'function');
    const disconnected = next<[string]>(client, 'disconnect', 2000);
    ack!();
    assert.equal((await disconnected)[0], 'io server disconnect');
  });

  it('callback: <ms> disconnects after that delay without an acknowledgement', async (t) => {
    const h = await messageServer(t, { callback: 200, timeout: 60_000 });
    const client = h.connect();
    await connected(client);
    client.emit('authenticate', { token: 'garbage' });
    await next<Unauthorized>(client, 'unauthorized');
    const started = Date.now();
    await next(client, 'disconnect', 2000);
    assert.ok(Date.now() - started >= 150, 'waited for the callback delay');
  });

  it('callback unset: waits for the acknowledgement, never longer than timeout', async (t) => {
    const h = await messageServer(t, { timeout: 250 });
    const client = h.connect();
    await connected(client);
    client.emit('authenticate', { token: sign({ sub: 'x', exp: 1 }) });
    const [error, ack] = await next<Unauthorized>(client, 'unauthorized');
    assert.equal(error.data.reason, 'expired');
    assert.equal(typeof ack, 'function');
    await next(client, 'disconnect', 2000);
  });

  const payloads: Array<[string, unknown[]]> = [
    ['no payload', []],
    ['a number', [42]],
    ['null', [null]],
    ['an array', [[sign(PAYLOAD)]]],
    ['a bare string', [sign(PAYLOAD)]],
    ['a numeric token', [{ token: 7 }]],
    ['an object token', [{ token: { a: 1 } }]],
    ['a 100 KiB string token', [{ token: 'x'.repeat(100 * 1024) }]],
  ];
  for (const [name, args] of payloads) {
    it(`payload ${name} → invalid_token, and the server keeps serving`, async (t) => {
      const h = await messageServer(t, { callback: false });
      const client = h.connect();
      await connected(client);
      client.emit('authenticate', ...args);
      const [error] = await next<Unauthorized>(client, 'unauthorized');
      assert.equal(error.data.code, 'invalid_token');
      assert.ok(['malformed', 'too_large'].includes(error.data.reason), error.data.reason);
      if (name.startsWith('a 100')) assert.equal(error.data.reason, 'too_large');
      else assert.equal(error.message, 'invalid token datatype');
      await authenticate(h.connect(), sign(PAYLOAD));
    });
  }
});

describe('message mode: namespaces', () => {
  it('public "/", message-mode "/admin", handshake-mode "/admin_hs" side by side', async (t) => {
    const rootAuthenticated: Socket[] = [];
    const adminAuthenticated: Socket[] = [];
    const h = await startServer(t, (io) => {
      io.on('authenticated', (s: Socket) => rootAuthenticated.push(s));
      io.of('/admin').on('connection', authorize({ secret: SECRET }));
      io.of('/admin').on('authenticated', (s: Socket) => adminAuthenticated.push(s));
      io.of('/admin_hs').use(authorize({ secret: SECRET, handshake: true }));
    });
    const open = h.connect('/');
    await connected(open);
    h.io.emit('root-news');
    await next(open, 'root-news');
    const admin = h.connect('/admin');
    await authenticate(admin, sign(PAYLOAD));
    assert.equal(adminAuthenticated.length, 1);
    assert.equal(adminAuthenticated[0]?.nsp.name, '/admin');
    assert.equal(rootAuthenticated.length, 0);
    await connected(h.connect('/admin_hs', { auth: { token: sign(PAYLOAD) } }));
  });

  it('dynamic namespaces hear authenticated on the parent', async (t) => {
    const heard: string[] = [];
    const h = await startServer(t, (io) => {
      const rooms = io.of(/^\/room-\d+$/);
      rooms.on('connection', authorize({ secret: SECRET }));
      rooms.on('authenticated', (s: Socket) => heard.push(s.nsp.name));
    });
    await authenticate(h.connect('/room-7'), sign(PAYLOAD));
    await authenticate(h.connect('/room-8'), sign(PAYLOAD));
    assert.deepEqual(heard.sort(), ['/room-7', '/room-8']);
  });
});

describe('message mode: resources', () => {
  it('a client that leaves while its token is being verified leaves no timer behind', async (t) => {
    let release: (() => void) | undefined;
    const asked = new Promise<void>((resolve) => {
      release = resolve;
    });
    let answer: ((key: string) => void) | undefined;
    const h = await messageServer(t, {
      timeout: 60_000,
      secret: (_r: unknown, _d: unknown, cb: (e: unknown, k?: string) => void) => {
        answer = (key) => cb(null, key);
        release!();
      },
    } as Partial<MessageOptions>);
    const baseline = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const client = h.connect();
    await connected(client);
    client.emit('authenticate', { token: sign(PAYLOAD) });
    await asked;
    const [serverSocket] = await h.io.of('/').fetchSockets().then(() => [...h.io.of('/').sockets.values()]);
    const gone = next(serverSocket!, 'disconnect');
    client.disconnect();
    await gone;
    answer!(SECRET);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(h.authenticated.length, 0, 'a socket that left is not admitted');
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    assert.ok(after <= baseline, `timers: ${baseline} before, ${after} after`);
  });
});

describe('message mode: transports and misuse', () => {
  it('holds and admits a socket on HTTP long-polling as on websocket', async (t) => {
    const h = await messageServer(t);
    const client = h.connect('/', { transports: ['polling'] });
    const received: string[] = [];
    client.onAny((event: string) => received.push(event));
    await connected(client);
    h.io.emit('before');
    await authenticate(client, sign(PAYLOAD));
    h.io.emit('after');
    await next(client, 'after');
    assert.deepEqual(received, ['authenticated', 'after']);
  });

  it('registered with io.use() by mistake, it refuses the handshake with an explanation', async (t) => {
    const h = await startServer(t, (io) => {
      io.use(authorize({ secret: SECRET }) as never);
    });
    const [error] = await next<[Error]>(h.connect(), 'connect_error');
    assert.match(error.message, /connection listener/);
  });
});
