import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Server, Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { ackRefusal, authorize, MemoryRevocationStore, roomRefusal, TOKEN_REFRESHED, type AuthorizeOptions, type HandshakeOptions, type JwtClaims, type MessageOptions } from '../src/index.js';
import { connected, next, nowSeconds, refusal, SECRET, sign, startServer, type WireError } from './support.js';

type Ack = { ok: boolean; exp?: number | null; expiresInMs?: number | null; message?: string; data?: WireError['data'] };

/** Sends `authenticate` and resolves with the server's acknowledgement. */
function authenticateWithAck(client: ClientSocket, token: unknown): Promise<Ack> {
  return client.timeout(3000).emitWithAck('authenticate', { token }) as Promise<Ack>;
}

/** A round trip: anything the server sent the client before it has arrived. */
async function barrier(io: Server, client: ClientSocket): Promise<void> {
  const reached = next(client, 'barrier');
  io.to(client.id!).emit('barrier');
  await reached;
}

/** Resolves with the time the client is dropped, after checking it was told why. */
async function dropped(client: ClientSocket, reason: string, ms = 5000): Promise<number> {
  const disconnect = next<[string]>(client, 'disconnect', ms);
  const [error] = await next<[WireError]>(client, 'unauthorized', ms);
  assert.equal(error.data.reason, reason);
  assert.equal(error.data.code, 'invalid_token');
  const [why] = await disconnect;
  assert.equal(why, 'io server disconnect');
  return Date.now();
}

async function handshakeServer(t: TestContext, options: Partial<HandshakeOptions> = {}, configure?: (io: Server) => void) {
  const auth = authorize({ secret: SECRET, handshake: true, ...options });
  const h = await startServer(t, (io) => {
    io.use(auth);
    configure?.(io);
  });
  const connectWith = async (token: string, nsp = '/') => {
    const client = h.connect(nsp, { auth: { token } });
    await connected(client);
    return client;
  };
  return { ...h, auth, connectWith };
}

async function messageServer(t: TestContext, options: Partial<MessageOptions> = {}, configure?: (io: Server) => void) {
  const auth = authorize({ secret: SECRET, ...options });
  const h = await startServer(t, (io) => {
    io.on('connection', auth);
    configure?.(io);
  });
  const connectWith = async (token: string) => {
    const client = h.connect();
    await connected(client);
    const ack = await authenticateWithAck(client, token);
    assert.equal(ack.ok, true, `authenticate refused: ${ack.data?.reason}`);
    return client;
  };
  return { ...h, auth, connectWith };
}

const MODES = [
  ['handshake', handshakeServer],
  ['message', messageServer],
] as const;

for (const [mode, serve] of MODES) {
  describe(`${mode} mode: expiry`, () => {
    it('drops the socket when exp passes, after telling the client why (within 1 s of exp)', async (t) => {
      const h = await serve(t);
      const exp = nowSeconds() + 2;
      const client = await h.connectWith(sign({ sub: 'u-1', exp }));
      assert.equal(h.auth.sessionCount, 1);
      const at = await dropped(client, 'expired');
      const lateness = at - exp * 1000;
      assert.ok(lateness >= 0 && lateness < 1000, `dropped ${lateness} ms after exp`);
      assert.equal(h.auth.sessionCount, 0);
    });

    it('expiredGraceMs and clockTolerance push the deadline back', async (t) => {
      const h = await serve(t, { expiredGraceMs: 700, clockTolerance: 1 });
      const exp = nowSeconds() + 1;
      const client = await h.connectWith(sign({ sub: 'u-1', exp }));
      const at = await dropped(client, 'expired');
      assert.ok(at >= exp * 1000 + 1700, `dropped ${exp * 1000 + 1700 - at} ms before the deadline`);
    });

    it('enforceExpiry: false keeps the socket past exp', async (t) => {
      const h = await serve(t, { enforceExpiry: false });
      const exp = nowSeconds() + 2; // not + 1: signed at x.999 s that leaves it 1 ms to live, refused before it connects
      const client = await h.connectWith(sign({ sub: 'u-1', exp }));
      // The subject of this test is time passing: wait until well after exp, then look.
      await new Promise((resolve) => setTimeout(resolve, exp * 1000 + 400 - Date.now()));
      await barrier(h.io, client);
      assert.equal(client.connected, true);
    });
  });

  describe(`${mode} mode: in-band refresh`, () => {
    it('a new token of the same subject replaces the claims and the expiry, keeps rooms, fires token_refreshed once', async (t) => {
      const events: string[] = [];
      const h = await serve(t, {}, (io) => {
        io.on('connection', (socket) => void socket.join('lobby'));
        io.on('authenticated', () => events.push('authenticated'));
        io.on(TOKEN_REFRESHED, (socket: Socket, previous: { exp: number }) => events.push(`refreshed:${previous.exp}->${socket.data.decoded_token.exp}`));
      });
      const firstExp = nowSeconds() + 2;
      const client = await h.connectWith(sign({ sub: 'u-1', exp: firstExp, v: 1 }));
      const told = next(client, 'authenticated');
      const laterExp = nowSeconds() + 3600;
      const ack = (await authenticateWithAck(client, sign({ sub: 'u-1', exp: laterExp, v: 2 }))) as { expiresInMs: number };
      // expiresInMs: what is left on the server's clock, so a client with a wrong clock still refreshes in time.
      const left = laterExp * 1000 - Date.now();
      assert.ok(ack.expiresInMs > left - 1000 && ack.expiresInMs <= left + 1000, `expiresInMs ${ack.expiresInMs}, ${left} left`);
      assert.deepEqual(ack, { ok: true, exp: laterExp, expiresInMs: ack.expiresInMs });
      await told;
      const [server] = await h.io.fetchSockets();
      assert.equal(server!.data.decoded_token.v, 2);
      assert.equal((h.io.sockets.sockets.get(server!.id) as any).decoded_token.v, 2);
      // Past the first token's exp: still connected, still in its room.
      await new Promise((resolve) => setTimeout(resolve, firstExp * 1000 + 400 - Date.now()));
      const inLobby = next<[string]>(client, 'lobby');
      h.io.to('lobby').emit('lobby', 'still here');
      assert.deepEqual(await inLobby, ['still here']);
      assert.equal(client.connected, true);
      assert.deepEqual(events.filter((e) => e.startsWith('refreshed')), [`refreshed:${firstExp}->${laterExp}`]);
      assert.equal(events.filter((e) => e === 'authenticated').length, mode === 'message' ? 1 : 0);
    });

    it('a token of another subject is refused (subject_mismatch) and the current identity stays', async (t) => {
      const h = await serve(t);
      const client = await h.connectWith(sign({ sub: 'u-1' }));
      const told = next<[WireError]>(client, 'unauthorized');
      const ack = await authenticateWithAck(client, sign({ sub: 'u-2' }));
      assert.equal(ack.ok, false);
      assert.equal(ack.data?.reason, 'subject_mismatch');
      assert.equal((await told)[0].data.reason, 'subject_mismatch');
      const [server] = await h.io.fetchSockets();
      assert.equal(server!.data.decoded_token.sub, 'u-1');
      assert.equal(client.connected, true);
    });

    it('a bad refresh keeps the current token until it expires, and no longer', async (t) => {
      const h = await serve(t);
      const exp = nowSeconds() + 2;
      const client = await h.connectWith(sign({ sub: 'u-1', exp }));
      const ack = await authenticateWithAck(client, sign({ sub: 'u-1' }, {}, 'another-secret-entirely'));
      assert.equal(ack.data?.reason, 'bad_signature');
      assert.equal(client.connected, true);
      const at = await dropped(client, 'expired');
      assert.ok(at - exp * 1000 < 1000);
    });

    it('tokens are never seen by app listeners, onAny or socket middlewares', async (t) => {
      const seen: string[] = [];
      const h = await serve(t, {}, (io) => {
        io.on('connection', (socket) => {
          socket.onAny((event) => seen.push(`any:${event}`));
          socket.use(([event], nextPacket) => {
            seen.push(`use:${event}`);
            nextPacket();
          });
          socket.on('authenticate', () => seen.push('handler'));
          socket.on('done', (ack: () => void) => ack());
        });
      });
      const client = await h.connectWith(sign({ sub: 'u-1' }));
      await authenticateWithAck(client, sign({ sub: 'u-1' }));
      client.emit('ping-me');
      // Packets are handled in order: once 'done' is answered, 'ping-me' has been seen.
      await client.timeout(3000).emitWithAck('done');
      assert.deepEqual(seen.sort(), ['any:done', 'any:ping-me', 'use:done', 'use:ping-me']);
    });
  });

  describe(`${mode} mode: revocation`, () => {
    it('isRevoked (async) refuses at connect and at refresh with reason revoked', async (t) => {
      const revoked = new Set(['bad-jti']);
      const h = await serve(t, { isRevoked: async (claims) => revoked.has(claims.jti as string) });
      const client = await h.connectWith(sign({ sub: 'u-1', jti: 'good-jti' }));
      const ack = await authenticateWithAck(client, sign({ sub: 'u-1', jti: 'bad-jti' }));
      assert.equal(ack.data?.reason, 'revoked');
      assert.equal(client.connected, true);
      if (mode === 'handshake') {
        const other = h.connect('/', { auth: { token: sign({ sub: 'u-1', jti: 'bad-jti' }) } });
        assert.equal((await refusal(other)).data.reason, 'revoked');
      }
    });

    it('an isRevoked hook that throws refuses (fail closed) with reason revocation_unavailable', async (t) => {
      const h = await serve(t, {
        isRevoked: () => {
          throw new Error('database down');
        },
      });
      const client = h.connect('/', mode === 'handshake' ? { auth: { token: sign({ sub: 'u-1' }) } } : {});
      if (mode === 'handshake') {
        const error = await refusal(client);
        assert.equal(error.data.reason, 'revocation_unavailable');
        assert.doesNotMatch(JSON.stringify(error), /database down/);
      } else {
        await connected(client);
        const ack = await authenticateWithAck(client, sign({ sub: 'u-1' }));
        assert.equal(ack.data?.reason, 'revocation_unavailable');
      }
    });

    it("revocationFailMode 'open' admits when the check cannot answer, and warns once", async (t) => {
      const warned = new Set<string>();
      const onWarning = (warning: Error & { code?: string }) => warned.add(`${warning.code}: ${warning.message}`);
      process.on('warning', onWarning);
      t.after(() => process.off('warning', onWarning));
      const h = await serve(t, {
        revocationFailMode: 'open',
        isRevoked: () => {
          throw new Error('database down');
        },
      });
      await h.connectWith(sign({ sub: 'u-1' }));
      await h.connectWith(sign({ sub: 'u-2' }));
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      assert.deepEqual([...warned].filter((line) => line.startsWith('SOCKJWT_REVOCATION_UNAVAILABLE')), [
        'SOCKJWT_REVOCATION_UNAVAILABLE: sockjwt: revocation status cannot be checked (database down); failing open: tokens are admitted unchecked until it answers again',
      ]);
    });

    it('with a logger, an outage of revocation checks is logged there, once, and its end too', async (t) => {
      const lines: [string, object, string][] = [];
      const logger = { warn: (o: object, m: string) => lines.push(['warn', o, m]), info: (o: object, m: string) => lines.push(['info', o, m]), debug: () => {} };
      let down = true;
      const h = await serve(t, {
        logger,
        revocationFailMode: 'open',
        isRevoked: () => {
          if (down) throw new Error('database down');
          return false;
        },
      });
      await h.connectWith(sign({ sub: 'u-1' }));
      await h.connectWith(sign({ sub: 'u-2' }));
      down = false;
      await h.connectWith(sign({ sub: 'u-3' }));
      const outage = lines.filter(([, object]) => String((object as { event?: string }).event).startsWith('revocation_'));
      assert.deepEqual(outage.map(([level, object]) => [level, (object as { event: string }).event]), [['warn', 'revocation_unavailable'], ['info', 'revocation_restored']]);
    });

    it('revoke({ sub }) drops every live socket of the subject, and its tokens are refused afterwards', async (t) => {
      const h = await serve(t);
      const token = sign({ sub: 'ann' });
      const ann1 = await h.connectWith(token);
      const ann2 = await h.connectWith(sign({ sub: 'ann' }));
      const bob = await h.connectWith(sign({ sub: 'bob' }));
      const drops = [dropped(ann1, 'revoked'), dropped(ann2, 'revoked')];
      assert.equal(await h.auth.revoke({ sub: 'ann' }), 2);
      await Promise.all(drops);
      await barrier(h.io, bob);
      assert.equal(bob.connected, true);
      assert.equal(h.auth.sessionCount, 1);
      // The old token is refused; one issued after the revocation (a later second) is not.
      await assert.rejects(h.connectWith(token));
      await h.connectWith(sign({ sub: 'ann', iat: nowSeconds() + 1 }));
    });

    it('revoke({ jti }) drops only that token; revoke({ sub, issuedBefore }) only older tokens', async (t) => {
      const h = await serve(t);
      const now = nowSeconds();
      const a = await h.connectWith(sign({ sub: 'ann', jti: 'a', iat: now - 100 }));
      const b = await h.connectWith(sign({ sub: 'ann', jti: 'b', iat: now - 10 }));
      const c = await h.connectWith(sign({ sub: 'ann', jti: 'c', iat: now }));
      const aDropped = dropped(a, 'revoked');
      assert.equal(await h.auth.revoke({ jti: 'a' }), 1);
      await aDropped;
      const bDropped = dropped(b, 'revoked');
      assert.equal(await h.auth.revoke({ sub: 'ann', issuedBefore: (now - 5) * 1000 }), 1);
      await bDropped;
      await barrier(h.io, c);
      assert.equal(c.connected, true);
    });
  });
}

describe('revocation across namespaces', () => {
  it('authorize() instances sharing a store drop their sockets together', async (t) => {
    const revocationStore = new MemoryRevocationStore();
    const options: AuthorizeOptions = { secret: SECRET, handshake: true, revocationStore };
    const main = authorize(options);
    const admin = authorize(options);
    const h = await startServer(t, (io) => {
      io.use(main);
      io.of('/admin').use(admin);
    });
    const token = sign({ sub: 'ann' });
    const onMain = h.connect('/', { auth: { token } });
    const onAdmin = h.connect('/admin', { auth: { token } });
    await Promise.all([connected(onMain), connected(onAdmin)]);
    const drops = [dropped(onMain, 'revoked'), dropped(onAdmin, 'revoked')];
    assert.equal(await main.revoke({ sub: 'ann' }), 1);
    await Promise.all(drops);
    assert.equal(admin.sessionCount, 0);
  });

  it('revoke() rejects a rule that names nothing', async () => {
    const auth = authorize({ secret: SECRET, handshake: true });
    await assert.rejects(auth.revoke({} as never), TypeError);
    await assert.rejects(auth.revoke({ sub: '' }), TypeError);
    await assert.rejects(auth.revoke({ jti: 'x', exp: Number.NaN }), TypeError);
  });
});

describe('claim guards', () => {
  const guards = {
    events: { 'admin:*': (claims: JwtClaims) => claims.role === 'admin' },
    rooms: { 'org:*': (claims: JwtClaims, room: string) => room === `org:${String(claims.org)}` },
  };

  function guardedServer(t: TestContext, options: Partial<HandshakeOptions> = {}) {
    return handshakeServer(t, { guards, ...options }, (io) => {
      io.on('connection', (socket) => {
        socket.on('admin:kick', (ack: (r: unknown) => void) => ack({ ok: true, kicked: true }));
        socket.on('join', async (room: string, ack: (r: unknown) => void) => {
          const refused = roomRefusal(socket, room);
          if (refused) return ack(ackRefusal(refused));
          await socket.join(room);
          ack({ ok: true });
        });
        socket.on('rooms', (ack: (r: unknown) => void) => ack([...socket.rooms].filter((r) => r !== socket.id)));
      });
    });
  }

  it('an event is refused through the acknowledgement without the claim, allowed with it', async (t) => {
    const h = await guardedServer(t);
    const user = await h.connectWith(sign({ sub: 'u', role: 'user' }));
    const admin = await h.connectWith(sign({ sub: 'a', role: 'admin' }));
    const refused = (await user.timeout(3000).emitWithAck('admin:kick')) as Ack;
    assert.equal(refused.ok, false);
    assert.equal(refused.data?.code, 'forbidden');
    assert.equal(refused.data?.reason, 'claim_required');
    assert.deepEqual(await admin.timeout(3000).emitWithAck('admin:kick'), { ok: true, kicked: true });
  });

  it('a room is refused without the claim, and left when a refresh takes the claim away', async (t) => {
    const h = await guardedServer(t);
    const client = await h.connectWith(sign({ sub: 'u', org: 42 }));
    assert.deepEqual(await client.timeout(3000).emitWithAck('join', 'org:42'), { ok: true });
    const refused = (await client.timeout(3000).emitWithAck('join', 'org:7')) as Ack;
    assert.equal(refused.data?.reason, 'claim_required');
    assert.deepEqual(await client.timeout(3000).emitWithAck('rooms'), ['org:42']);
    await authenticateWithAck(client, sign({ sub: 'u', org: 7 }));
    assert.deepEqual(await client.timeout(3000).emitWithAck('rooms'), []);
    assert.deepEqual(await client.timeout(3000).emitWithAck('join', 'org:7'), { ok: true });
  });

  it('socket.join() skips a forbidden room even when the app forgets to check', async (t) => {
    const h = await handshakeServer(t, { guards }, (io) => {
      io.on('connection', (socket) => void socket.join(['org:1', 'org:2', 'public']));
      io.on('connection', (socket) => socket.on('rooms', (ack: (r: unknown) => void) => ack([...socket.rooms].filter((r) => r !== socket.id))));
    });
    const client = await h.connectWith(sign({ sub: 'u', org: 2 }));
    assert.deepEqual(await client.timeout(3000).emitWithAck('rooms'), ['org:2', 'public']);
  });

  it('an anonymous socket (required: false) passes no guard', async (t) => {
    const h = await guardedServer(t, { required: false });
    const client = h.connect('/');
    await connected(client);
    const refused = (await client.timeout(3000).emitWithAck('admin:kick')) as Ack;
    assert.equal(refused.data?.code, 'forbidden');
  });
});

describe('the client is told how long its token holds (expiresInMs, on the server clock)', () => {
  it('handshake mode: `authenticated` { exp, expiresInMs } right after the connection to a client that asks (auth.lifetime), the drop deadline included', async (t) => {
    const h = await handshakeServer(t, { clockTolerance: 2 });
    const exp = nowSeconds() + 60;
    const client = h.connect('/', { auth: { token: sign({ sub: 'u-1', exp }), lifetime: true } });
    const [notice] = await next<[{ exp: number; expiresInMs: number }]>(client, 'authenticated');
    const left = exp * 1000 + 2000 - Date.now();
    assert.equal(notice.exp, exp);
    assert.ok(Math.abs(notice.expiresInMs - left) < 1000, `expiresInMs ${notice.expiresInMs}, ${left} left`);
  });

  it('handshake mode: a client that does not ask gets no extra packet', async (t) => {
    const h = await handshakeServer(t);
    const plain = h.connect('/', { auth: { token: sign({ sub: 'u-1' }) } });
    let told = 0;
    plain.on('authenticated', () => told++);
    await connected(plain);
    await barrier(h.io, plain);
    assert.equal(told, 0);
  });

  it('message mode: the `authenticated` event and the acknowledgement both carry it; null when nothing ends the session', async (t) => {
    const h = await messageServer(t);
    const exp = nowSeconds() + 60;
    const client = h.connect();
    await connected(client);
    const told = next<[{ exp: number; expiresInMs: number }]>(client, 'authenticated');
    const ack = await authenticateWithAck(client, sign({ sub: 'u-1', exp }));
    const [notice] = await told;
    for (const said of [ack, notice]) {
      assert.equal(said.exp, exp);
      assert.ok(Math.abs(said.expiresInMs! - (exp * 1000 - Date.now())) < 1000, `expiresInMs ${said.expiresInMs}`);
    }
    const unending = await handshakeServer(t, { enforceExpiry: false });
    const other = unending.connect('/', { auth: { token: sign({ sub: 'u-2', exp }), lifetime: true } });
    assert.deepEqual((await next<[unknown]>(other, 'authenticated'))[0], { exp, expiresInMs: null });
  });
});
