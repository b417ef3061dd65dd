// Six defects an outside check found on the lean paths: connection state recovery in handshake
// mode, dynamic namespaces, a subject rule against a token without `iat`, and a garbage token.
// Each describe names its defect by number; each test failed on main at 9b89e23.
// One real node (socket.io on port 0, socket.io-client), no mocks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import jwt from 'jsonwebtoken';
import type { Server, Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { authorize, type AuthorizeOptions } from '../src/index.js';
import { signingKey } from './key-support.js';
import { authenticateWithAck, connected, MODES, needsRecovery, next, refusal, SECRET, serve, sign, startServer, type Harness, type Mode, type WireError } from './support.js';

const recovery = (skipMiddlewares: boolean) => ({ connectionStateRecovery: { maxDisconnectionDuration: 30_000, skipMiddlewares } });

/** The first refusal a client gets: `connect_error` in handshake mode, `unauthorized` after `authenticate` in message mode. */
async function refusedLogin(h: Harness, mode: Mode, token: unknown): Promise<WireError['data']> {
  if (mode === 'handshake') return (await refusal(h.connect('/', { auth: { token } }))).data;
  const client = h.connect();
  await connected(client);
  const [error] = await Promise.all([next<[WireError]>(client, 'unauthorized').then(([e]) => e), authenticateWithAck(client, token)]);
  return error.data;
}

async function droppedWith(client: ClientSocket, reason: string, ms = 4000): Promise<void> {
  const disconnect = next<[string]>(client, 'disconnect', ms);
  const [error] = await next<[WireError]>(client, 'unauthorized', ms);
  assert.equal(error.data.reason, reason);
  assert.equal((await disconnect)[0], 'io server disconnect');
}

function serverSocket(io: Server, client: ClientSocket, nsp = '/'): Socket {
  const socket = io.of(nsp).sockets.get(client.id!);
  assert.ok(socket, `no server-side socket for ${client.id} on ${nsp}`);
  return socket;
}

/** A round trip to one client: everything sent to it before has arrived. */
async function barrier(io: Server, client: ClientSocket, nsp = '/'): Promise<void> {
  const reached = next(client, 'barrier');
  serverSocket(io, client, nsp).emit('barrier');
  await reached;
}

/**
 * A client that reconnects only when the test calls `client.connect()`, sending whatever
 * `auth.current` holds then (socket.io-client adds its pid and offset to it).
 */
function recoveringClient(h: Harness, auth: { current: Record<string, unknown> }, options = {}): ClientSocket {
  return h.connect('/', { auth: (callback: (data: object) => void) => callback({ ...auth.current }), ...options });
}

/**
 * Gives the client a recovery offset (a broadcast it receives), then cuts its transport and waits
 * until the server saw the transport close (recovery applies to that, not to a socket it dropped).
 * The client stays disconnected until the test calls `client.connect()`.
 */
async function cutTransport(io: Server, client: ClientSocket): Promise<void> {
  const hello = next(client, 'hello');
  io.emit('hello');
  await hello;
  const goneOnServer = next<[string]>(serverSocket(io, client), 'disconnect');
  const gone = next<[string]>(client, 'disconnect');
  client.io.engine.close();
  assert.equal((await gone)[0], 'forced close');
  assert.equal((await goneOnServer)[0], 'transport close');
}

/** Where in `JSON.stringify(value)` the token shows: the paths of the strings containing it. */
function pathsCarrying(value: unknown, token: string): string[] {
  const found: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (typeof node === 'string') {
      if (node.includes(token)) found.push(path || '(root)');
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) walk(child, path ? `${path}.${key}` : key);
    }
  };
  walk(JSON.parse(JSON.stringify(value)), '');
  return found;
}

describe('defect 1: a recovered socket leaks its token', () => {
  it('#1 handshake mode, middlewares skipped: the recovered socket\'s handshake serialises without the token (auth, Bearer header, query, cookie)', needsRecovery, async (t) => {
    const h = await serve(t, 'handshake', { cookie: 'jwt' }, {}, recovery(true));
    const token = sign({ sub: 'u-1' });
    // Every source sockjwt reads, at once: each is concealed, whichever of them is used.
    const client = h.connect('/', { auth: { token }, query: { token }, extraHeaders: { authorization: `Bearer ${token}`, cookie: `jwt=${token}` } });
    await connected(client);
    assert.deepEqual(pathsCarrying(serverSocket(h.io, client).handshake, token), [], 'concealed at the first connection');
    await cutTransport(h.io, client);
    client.connect();
    await connected(client);
    const recovered = serverSocket(h.io, client);
    assert.equal(recovered.recovered, true, 'the session was not recovered: the test proves nothing');
    assert.deepEqual(pathsCarrying(recovered.handshake, token), [], 'the recovered socket\'s handshake carries the raw token');
    // fetchSockets() hands out the same handshake (and ships it to other nodes).
    const [fetched] = await h.io.fetchSockets();
    assert.deepEqual(pathsCarrying(fetched!.handshake, token), []);
  });
});

describe('defect 2: anonymous recovery keeps the old user\'s claims', () => {
  it('#2 handshake mode, skipMiddlewares: false, required: false: a client recovering without a token carries none of the previous user\'s claims', needsRecovery, async (t) => {
    const h = await serve(t, 'handshake', { required: false }, { after: (io) => {
      // An app that gives each user a private room.
      io.on('connection', (socket: Socket) => {
        const sub = (socket.data as { decoded_token?: { sub?: string } }).decoded_token?.sub;
        if (sub) void socket.join(`user:${sub}`);
      });
    } }, recovery(false));
    const auth = { current: { token: sign({ sub: 'alice' }) } as Record<string, unknown> };
    const client = recoveringClient(h, auth);
    await connected(client);
    assert.equal((serverSocket(h.io, client).data as { decoded_token: { sub: string } }).decoded_token.sub, 'alice');
    await cutTransport(h.io, client);
    auth.current = {}; // signed out: the client reconnects without a token
    client.connect();
    await connected(client);
    const anonymous = serverSocket(h.io, client) as Socket & Record<string, unknown>;
    const data = anonymous.data as Record<string, unknown>;
    assert.equal(data['decoded_token'], undefined, `an anonymous socket holds the previous user's claims in socket.data (recovered: ${anonymous.recovered})`);
    assert.equal(data['sockjwt'], undefined, 'an anonymous socket keeps sockjwt\'s recovery record');
    assert.equal(anonymous['decoded_token'], undefined);
    assert.equal(anonymous['encoded_token'], undefined);
    assert.equal(anonymous.rooms.has('user:alice'), false, 'an anonymous socket sits in the previous user\'s room');
  });
});

describe('defect 3: recovery can swap identity', () => {
  it('#3 handshake mode, skipMiddlewares: false: bob presenting alice\'s pid and offset is not recovered into her session, rooms or messages', needsRecovery, async (t) => {
    const h = await serve(t, 'handshake', {}, { after: (io) => {
      io.on('connection', (socket: Socket) => void socket.join(`user:${(socket.data as { decoded_token: { sub: string } }).decoded_token.sub}`));
    } }, recovery(false));
    const auth = { current: { token: sign({ sub: 'alice' }) } as Record<string, unknown> };
    const client = recoveringClient(h, auth);
    const received: string[] = [];
    // Registered before the recovery: missed packets are delivered before `connect`.
    client.on('private', (text: string) => void received.push(text));
    await connected(client);
    assert.equal(serverSocket(h.io, client).rooms.has('user:alice'), true);
    await cutTransport(h.io, client);
    h.io.to('user:alice').emit('private', 'for alice, sent while she was away');
    auth.current = { token: sign({ sub: 'bob' }) }; // same client, alice's pid and offset, bob's valid token
    client.connect();
    await connected(client);
    const socket = serverSocket(h.io, client);
    assert.equal((socket.data as { decoded_token: { sub: string } }).decoded_token.sub, 'bob', 'bob was not authenticated');
    h.io.to('user:alice').emit('private', 'for alice, sent after bob connected');
    await barrier(h.io, client);
    assert.deepEqual(received, [], 'bob received messages sent to user:alice');
    assert.equal(socket.rooms.has('user:alice'), false, 'bob sits in user:alice');
    assert.equal(client.recovered, false, 'alice\'s session was recovered by bob');
  });

  it('#3 handshake mode, skipMiddlewares: false: a restored room the new token\'s claims may not be in is left (guards.rooms)', needsRecovery, async (t) => {
    const h = await serve(t, 'handshake', { guards: { rooms: { admins: (claims) => claims['admin'] === true } } }, { after: (io) => {
      // The app asks for every socket; the guard lets only admins in.
      io.on('connection', (socket: Socket) => void socket.join('admins'));
    } }, recovery(false));
    const auth = { current: { token: sign({ sub: 'alice', admin: true }) } as Record<string, unknown> };
    const client = recoveringClient(h, auth);
    await connected(client);
    assert.equal(serverSocket(h.io, client).rooms.has('admins'), true, 'an admin is let into admins');
    await cutTransport(h.io, client);
    auth.current = { token: sign({ sub: 'alice', admin: false }) }; // her admin right was withdrawn meanwhile
    client.connect();
    await connected(client);
    const socket = serverSocket(h.io, client);
    assert.equal((socket.data as { decoded_token: { admin: boolean } }).decoded_token.admin, false, 'the new token was not installed');
    let leaked = 0;
    client.on('admins-only', () => leaked++);
    h.io.to('admins').emit('admins-only');
    await barrier(h.io, client);
    assert.equal(socket.rooms.has('admins'), false, `a restored room bypassed guards.rooms (recovered: ${socket.recovered})`);
    assert.equal(leaked, 0, 'a broadcast to admins reached a token without admin');
  });
});

describe('defect 4: dynamic namespaces get two sessions', () => {
  const TIMEOUT = 300;

  it('#4 message mode, parent.on(\'connection\', auth) + auth.watch(parent): every child socket has one session and outlives `timeout`', async (t) => {
    const auth = authorize({ secret: SECRET, timeout: TIMEOUT });
    const h = await startServer(t, (io) => {
      const parent = io.of(/^\/dyn-\w+$/);
      parent.on('connection', auth);
      auth.watch(parent);
    });
    const clients: { label: string; nsp: string; client: ClientSocket; id: string }[] = [];
    const refusals: string[] = [];
    for (const [nsp, n] of [['/dyn-a', 1], ['/dyn-a', 2], ['/dyn-b', 1]] as const) {
      // One after the other: the first socket of a child namespace is the one that creates it.
      const entry = { label: `${nsp} #${n}`, nsp, client: h.connect(nsp), id: '' };
      clients.push(entry);
      entry.client.on('unauthorized', (error: WireError) => void refusals.push(`${entry.label}: ${error.data.reason}`));
      await connected(entry.client);
      entry.id = entry.client.id!;
      const ack = await authenticateWithAck(entry.client, sign({ sub: `u-${entry.label}` }));
      assert.equal(ack.ok, true, `${entry.label} refused: ${ack.data?.reason}`);
    }
    assert.equal(auth.sessionCount, 3);
    // Started after every socket connected, with the same duration: Node fires it after each
    // session's timeout timer (timers of one duration fire in the order they were started).
    await new Promise<void>((resolve) => setTimeout(resolve, TIMEOUT));
    const gone = clients.filter((entry) => !h.io.of(entry.nsp).sockets.has(entry.id)).map((entry) => entry.label);
    // What was sent before the disconnect has arrived once the client saw the disconnect.
    await Promise.all(clients.filter((entry) => gone.includes(entry.label) && entry.client.connected).map((entry) => next(entry.client, 'disconnect')));
    for (const entry of clients.filter((e) => !gone.includes(e.label))) await barrier(h.io, entry.client, entry.nsp);
    assert.deepEqual({ gone, refusals }, { gone: [], refusals: [] }, 'a socket was refused after it authenticated');
    assert.equal(auth.sessionCount, 3);
  });
});

describe('defect 5: a token without iat escapes a past cut-off', () => {
  for (const mode of MODES) {
    it(`#5 ${mode} mode: revoke({ sub, issuedBefore }) with a cut-off before the connection drops a live socket whose token has no iat, as it refuses the token at a handshake`, async (t) => {
      const h = await serve(t, mode);
      const token = sign({ sub: 'no-iat' }, { noTimestamp: true });
      assert.equal((jwt.decode(token) as Record<string, unknown>)['iat'], undefined);
      // issuedBefore is a JavaScript time (ms); a whole second before the connection.
      const cutOff = Date.now() - 2000;
      const client = await h.login(token);
      const dropped = droppedWith(client, 'revoked');
      const count = await h.auth.revoke({ sub: 'no-iat', issuedBefore: cutOff });
      assert.equal(count, 1, 'revoke() spared the live socket whose token has no iat');
      await dropped;
      assert.equal((await refusedLogin(h, mode, token)).reason, 'revoked');
    });
  }
});

describe('defect 6: a garbage token is reported as a bad signature', () => {
  /** alg: none, no signature: the token of socketio-jwt's own "unsigned token" tests (test/dropin.test.ts). */
  const UNSIGNED = 'eyJhbGciOiJub25lIiwiY3R5IjoiSldUIn0.eyJuYW1lIjoiSm9obiBGb28ifQ.';
  /** One signature, spelled with a low bit the decoder ignores flipped: the same bytes, another string. */
  const respelled = (token: string) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    return token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) ^ 1];
  };
  const MALFORMED = { code: 'invalid_token', reason: 'malformed', message: 'jwt malformed' };
  const es256 = signingKey('ES256', 'k1');
  const keyings = [
    { name: 'a static secret', secret: SECRET, signed: async () => sign({ sub: 'u-1' }) },
    { name: 'a secret function', secret: (_request: unknown, _payload: unknown, callback: (error: null, key: string) => void) => callback(null, SECRET), signed: async () => sign({ sub: 'u-1' }) },
    { name: 'a JWK Set', secret: { keys: [es256.jwk] }, signed: () => es256.sign({ sub: 'u-1' }) },
  ];

  for (const mode of MODES) {
    for (const keying of keyings) {
      it(`#6 ${mode} mode, ${keying.name}: a token whose header or payload does not parse is malformed, whatever its signature segment`, async (t) => {
        const h = await serve(t, mode, { secret: keying.secret } as Partial<AuthorizeOptions>);
        const shapeOf = ({ code, reason, message }: WireError['data']) => ({ code, reason, message });
        // Header "not" is not base64url JSON; "jwt" is a non-canonical spelling, "" no signature at all.
        for (const token of ['not.a.jwt', 'not.a.', 'not.a.sig']) {
          assert.deepEqual(shapeOf(await refusedLogin(h, mode, token)), MALFORMED, token);
        }
        // What stays: a parsable token without a signature, or with a respelled one, is refused for its signature.
        const unsigned = await refusedLogin(h, mode, UNSIGNED);
        assert.deepEqual([unsigned.reason, unsigned.message], ['bad_signature', 'jwt signature is required']);
        assert.equal((await refusedLogin(h, mode, respelled(await keying.signed()))).reason, 'bad_signature');
      });
    }
  }
});
