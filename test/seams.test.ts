// Where sockjwt meets socket.io's own machinery, tried as an attacker would: connection
// state recovery, onAny, app middlewares before and after ours, required: false, numbers
// where strings are expected, and a revocation while a token is still being verified.
// Each test names the defect of issue 14 it proves fixed; each failed on the code before.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import jwt from 'jsonwebtoken';
import type { Server, Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { authorize, MemoryRevocationStore, type AuthorizeOptions, type RevocationStore } from '../src/index.js';
import { authenticateWithAck, connected, needsRecovery, next, nowSeconds, refusal, SECRET, serve, sign, signRaw, socketIoAtLeast, type Ack, type Mode, type WireError } from './support.js';


const RECOVERY = { connectionStateRecovery: { maxDisconnectionDuration: 30_000, skipMiddlewares: true } };


/** A promise the test resolves when it chooses: drives a race without sleeping. */
function gate<T = void>() {
  let open!: (value?: T) => void;
  const opened = new Promise<T>((resolve) => (open = resolve as (value?: T) => void));
  return { opened, open };
}

/** A round trip to one client: everything sent to it before has arrived. */
async function barrier(io: Server, client: ClientSocket): Promise<void> {
  const reached = next(client, 'barrier');
  io.of('/').sockets.get(client.id!)!.emit('barrier');
  await reached;
}

async function droppedWith(client: ClientSocket, reason: string, ms = 4000): Promise<void> {
  const disconnect = next<[string]>(client, 'disconnect', ms);
  const [error] = await next<[WireError]>(client, 'unauthorized', ms);
  assert.equal(error.data.reason, reason);
  assert.equal((await disconnect)[0], 'io server disconnect');
}

/** The first refusal a client gets: `connect_error` in handshake mode, `unauthorized` after `authenticate` in message mode. */
async function refusedLogin(h: Awaited<ReturnType<typeof serve>>, mode: Mode, token: string): Promise<WireError['data']> {
  if (mode === 'handshake') return (await refusal(h.connect('/', { auth: { token } }))).data;
  const client = h.connect();
  await connected(client);
  const [error] = await Promise.all([next<[WireError]>(client, 'unauthorized').then(([e]) => e), authenticateWithAck(client, token)]);
  return error.data;
}

/**
 * #3: the app asks a held socket something (`ask`, which reports through `settle`); the client
 * then presents a bad token. The app's question must be rejected well before its 10 s timeout.
 */
async function assertHeldAskSettles(t: TestContext, ask: (socket: Socket, settle: (outcome: string) => void) => void): Promise<void> {
  const settled = gate<string>();
  const h = await serve(t, 'message', { callback: false }, { after: (io) => io.on('connection', (socket: Socket) => ask(socket, settled.open)) });
  const client = h.connect();
  client.on('question', (ack: (answer: string) => void) => ack('leaked'));
  await connected(client);
  client.emit('authenticate', { token: 'not-a-jwt' });
  const outcome = await Promise.race([settled.opened, new Promise<string>((resolve) => setTimeout(() => resolve('still pending after 2 s'), 2000).unref())]);
  assert.match(outcome, /^rejected: /);
}

const MODES: Mode[] = ['handshake', 'message'];

describe('one module touches socket.io internals', () => {
  it("no file of src/ but socketio-seams.ts reaches a private member of socket.io's Socket, Namespace, Server or adapter", async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    // Underscored members (`nsp._ids`, `server._opts`), and the unadvertised ones sockjwt uses.
    const PRIVATE = /\._[A-Za-z]\w*|\.(onevent|acks|parentNsps|restoreSession|persistSession|delAll|fns|flags)\b|\.packet\(/;
    const root = new URL('../src/', import.meta.url);
    const offenders: string[] = [];
    for (const entry of await readdir(root, { recursive: true })) {
      const file = String(entry);
      // sockjwt/client runs in browsers and talks to its own socket.io-client, not the server.
      if (!file.endsWith('.ts') || file === 'socketio/socketio-seams.ts' || file.startsWith('client/')) continue;
      const lines = (await readFile(new URL(file, root), 'utf8')).split('\n');
      lines.forEach((line, index) => {
        if (PRIVATE.test(line) && !/^\s*(\*|\/\/)/.test(line)) offenders.push(`src/${file}:${index + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(offenders, []);
  });
});

describe('quarantine and connection state recovery', () => {
  it('#1 a held client that never sent a token cannot recover its session and be replayed missed broadcasts', needsRecovery, async (t) => {
    const h = await serve(t, 'message', {}, {}, RECOVERY);
    const member = await h.login(sign({ sub: 'member' }));
    const attacker = h.connect('/', { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 50, randomizationFactor: 0 });
    await connected(attacker);
    const news = next<unknown[]>(member, 'news');
    h.io.emit('news', 'public');
    await news;
    // The offset of any broadcast will do: it is a timestamp, and the member saw one.
    const offset = (member as unknown as { _lastOffset: string })._lastOffset;
    const heldSide = h.io.of('/').sockets.get(attacker.id!)!;
    const goneOnServer = next<[string]>(heldSide, 'disconnect');
    attacker.io.engine.close();
    assert.equal((await goneOnServer)[0], 'transport close');
    (attacker as unknown as { _lastOffset: string })._lastOffset = offset;
    h.io.emit('secret', 'for members only');
    let leaked = 0;
    attacker.on('secret', () => leaked++);
    await connected(attacker);
    assert.equal(attacker.recovered, false, 'a session without claims was recovered');
    const ack = await authenticateWithAck(attacker, sign({ sub: 'late' }));
    assert.equal(ack.ok, true);
    assert.equal(leaked, 0, 'a missed broadcast was replayed to a client that never authenticated');
  });

  for (const variant of ['a bad token', 'the timeout'] as const) {
    it(`#2 with recovery on, a held client refused for ${variant} is told why (unauthorized)`, needsRecovery, async (t) => {
      const h = await serve(t, 'message', { timeout: 300, callback: false }, {}, RECOVERY);
      const client = h.connect();
      await connected(client);
      const told = next<[WireError]>(client, 'unauthorized', 2000);
      if (variant === 'a bad token') client.emit('authenticate', { token: 'not-a-jwt' });
      const [error] = await told;
      assert.equal(error.data.reason, variant === 'a bad token' ? 'malformed' : 'timeout');
    });
  }

  it('#3 an acknowledgement the app awaits from a held socket settles when the socket is refused', { skip: !socketIoAtLeast(4) && 'server-side socket.timeout() needs socket.io ≥ 4.4' }, async (t) => {
    // The callback form: emitWithAck() exists from 4.6, timeout() from 4.4.
    await assertHeldAskSettles(t, (socket, settle) => socket.timeout(10_000).emit('question', (error: Error | null) => settle(error ? `rejected: ${error.message}` : 'answered')));
  });
});

/** What a client receives before its first `unauthorized` (which ends the collection). */
function receivedBeforeRefusal(client: ClientSocket): Promise<string[]> {
  const received: string[] = [];
  const refused = next<[WireError]>(client, 'unauthorized', 4000);
  client.onAny((event: string) => void received.push(event));
  return refused.then(() => received.filter((event) => event !== 'unauthorized'));
}

describe("the app's connect listeners", () => {
  for (const watched of [true, false]) {
    it(`message mode${watched ? ', auth.watch(io) at startup' : ', after the first connection'}: an io.on('connect') listener never reaches a socket that has not authenticated`, async (t) => {
      const h = await serve(t, 'message', { callback: false }, {
        after: (io, auth) => {
          if (watched) auth.watch(io);
          io.on('connect', (socket: Socket) => void socket.emit('welcome', 'members only'));
        },
      });
      // Without watch(), sockjwt learns of the namespace at its first connection: that one is the app's to order.
      if (!watched) await h.login(sign({ sub: 'first' }));
      const client = h.connect();
      const received = receivedBeforeRefusal(client);
      await connected(client);
      client.emit('authenticate', { token: 'not-a-jwt' });
      assert.deepEqual(await received, []);
    });
  }

  it("handshake mode: a revocation heard after verification refuses the socket before the app's connect listeners", async (t) => {
    const entered = gate();
    const release = gate();
    const seenConnected: boolean[] = [];
    const h = await serve(t, 'handshake', {}, {
      after: (io) => {
        // A later middleware of the app's: sockjwt has verified, socket.io has not connected yet.
        io.use(async (_socket, nextMiddleware) => {
          entered.open();
          await release.opened;
          nextMiddleware();
        });
        io.on('connect', (socket: Socket) => {
          seenConnected.push(socket.connected);
          socket.emit('welcome', 'members only');
        });
      },
    });
    const client = h.connect('/', { auth: { token: sign({ sub: 'mallory' }) } });
    const received = receivedBeforeRefusal(client);
    await entered.opened;
    assert.equal(await h.auth.revoke({ sub: 'mallory' }), 0);
    release.open();
    assert.deepEqual(await received, []);
    assert.deepEqual(seenConnected, [false]);
  });
});

describe('revocation', () => {
  for (const mode of MODES) {
    for (const step of ['additional_auth', 'customDecoded', 'isRevoked'] as const) {
      it(`#5 ${mode} mode: revoke({ sub }) while the token is inside an async step (${step}) wins: the socket is refused`, async (t) => {
        const entered = gate();
        const release = gate();
        const wait = async () => {
          entered.open();
          await release.opened;
        };
        const hooks: Partial<AuthorizeOptions> = {
          additional_auth: async () => (await wait(), true),
          // The store (memory) has answered "not revoked" before the app's isRevoked runs.
          isRevoked: async () => (await wait(), false),
          customDecoded: async (claims) => (await wait(), claims),
        };
        const h = await serve(t, mode, { [step]: hooks[step] });
        const attempt = refusedLogin(h, mode, sign({ sub: 'mallory' }));
        await entered.opened;
        await h.auth.revoke({ sub: 'mallory' });
        release.open();
        assert.equal((await attempt).reason, 'revoked');
        assert.equal(h.auth.sessionCount, 0);
      });
    }

    it(`#5 ${mode} mode: revoke({ jti }) of the new token while its refresh is verified: the refresh is refused, the old token stays`, async (t) => {
      let holdRefresh: { entered: ReturnType<typeof gate>; release: ReturnType<typeof gate> } | undefined;
      const h = await serve(t, mode, {
        additional_auth: async (claims) => {
          if (claims['v'] !== 2 || !holdRefresh) return true;
          holdRefresh.entered.open();
          await holdRefresh.release.opened;
          return true;
        },
      });
      const client = await h.login(sign({ sub: 'u-1', jti: 'old', v: 1 }));
      holdRefresh = { entered: gate(), release: gate() };
      const answer = authenticateWithAck(client, sign({ sub: 'u-1', jti: 'new', v: 2 }));
      await holdRefresh.entered.opened;
      assert.equal(await h.auth.revoke({ jti: 'new' }), 0);
      holdRefresh.release.open();
      const ack = await answer;
      assert.equal(ack.ok, false);
      assert.equal(ack.data?.reason, 'revoked');
      const [server] = await h.io.fetchSockets();
      assert.equal((server!.data as { decoded_token: { jti: string } }).decoded_token.jti, 'old');
    });

    it(`#5 ${mode} mode: each revocation counts once, so 600 during one verification leave it answerable`, async (t) => {
      // The registry remembers 1,024 rules for verifications in flight; a rule counted two or
      // three times (revoke() itself, the store's echo, Redis' notice) made 600 look like 1,200.
      const entered = gate();
      const release = gate();
      const h = await serve(t, mode, {
        additional_auth: async (claims) => {
          if (claims.sub !== 'slow') return true;
          entered.open();
          await release.opened;
          return true;
        },
      });
      const login = h.login(sign({ sub: 'slow' }));
      await entered.opened;
      for (let i = 0; i < 600; i++) await h.auth.revoke({ sub: `other-${i}` });
      release.open();
      await login;
      assert.equal(h.auth.sessionCount, 1);
    });

    it(`#5 ${mode} mode: a revocation whose store write is still pending wins over a verification that began after revoke() was called`, async (t) => {
      // revoke() drops and remembers its rule at once, then stores it; a verification that begins
      // in between is answered by a store without the rule. The rule heard back from the store
      // must still fall inside that verification's window (it did not when a re-heard rule was
      // counted only once).
      const memory = new MemoryRevocationStore();
      const write = gate();
      const slowStore: RevocationStore = {
        async add(rule) {
          await write.opened;
          memory.add(rule);
        },
        isRevoked: (ref) => memory.isRevoked(ref),
        subscribe: (listener) => memory.subscribe(listener),
      };
      const entered = gate();
      const release = gate();
      const h = await serve(t, mode, {
        revocationStore: slowStore,
        additional_auth: async (claims) => {
          if (claims.sub !== 'alice') return true;
          entered.open();
          await release.opened;
          return true;
        },
      });
      const token = sign({ sub: 'alice' });
      const revoking = h.auth.revoke({ sub: 'alice' });
      const login = refusedLogin(h, mode, token);
      await entered.opened; // the store has answered "not revoked": it does not have the rule yet
      write.open();
      await revoking; // stored, and heard back, while the token is still being verified
      release.open();
      assert.equal((await login).reason, 'revoked');
      assert.equal(h.auth.sessionCount, 0);
    });

    it(`#6 ${mode} mode: numeric sub and jti are revocable, as numbers or strings`, async (t) => {
      const h = await serve(t, mode);
      // The refused login below presents this very token: one signed after the revoke, in a later
      // second, is a new token that the rule rightly does not cover (CI once crossed that second).
      const subToken = sign({ sub: 42 as unknown as string });
      const bySub = await h.login(subToken);
      const byJti = await h.login(sign({ sub: 'u-7', jti: 7 as unknown as string }));
      const subDropped = droppedWith(bySub, 'revoked');
      assert.equal(await h.auth.revoke({ sub: '42' }), 1);
      await subDropped;
      const jtiDropped = droppedWith(byJti, 'revoked');
      assert.equal(await h.auth.revoke({ jti: 7 }), 1);
      await jtiDropped;
      assert.equal((await refusedLogin(h, mode, subToken)).reason, 'revoked');
      assert.equal(await h.auth.revoke({ sub: 43 }), 0);
    });

    it(`#6 ${mode} mode: with subjectClaim: 'id', revoke({ sub: 1 }) drops and refuses the tokens whose id is 1 or "1"`, async (t) => {
      const h = await serve(t, mode, { subjectClaim: 'id' });
      const numeric = sign({ id: 1, email: 'alice@example.com' });
      const asText = sign({ id: '1', email: 'alice@example.com', device: 2 });
      const other = await h.login(sign({ id: 2, email: 'bob@example.com' }));
      const clients = [await h.login(numeric), await h.login(asText)];
      const dropped = Promise.all(clients.map((client) => droppedWith(client, 'revoked')));
      assert.equal(await h.auth.revoke({ sub: 1 }), 2);
      await dropped;
      assert.equal((await refusedLogin(h, mode, numeric)).reason, 'revoked');
      assert.equal((await refusedLogin(h, mode, asText)).reason, 'revoked');
      assert.equal(other.connected, true);
      assert.equal(h.auth.sessionCount, 1);
    });

    it(`#7 ${mode} mode: a token whose iat lies in the future is dropped by revoke({ sub }) and refused within clockTolerance`, async (t) => {
      const h = await serve(t, mode, { clockTolerance: 60 });
      const token = sign({ sub: 'ahead', iat: nowSeconds() + 30 });
      const client = await h.login(token);
      const dropped = droppedWith(client, 'revoked');
      assert.equal(await h.auth.revoke({ sub: 'ahead' }), 1);
      await dropped;
      assert.equal((await refusedLogin(h, mode, token)).reason, 'revoked');
    });
  }
});

describe('#3, the promise form', () => {
  it('#3 an emitWithAck() the app awaits from a held socket rejects when the socket is refused', { skip: !socketIoAtLeast(6) && 'server-side emitWithAck() needs socket.io ≥ 4.6' }, async (t) => {
    await assertHeldAskSettles(t, (socket, settle) => void socket.timeout(10_000).emitWithAck('question').then(() => settle('answered'), (error: Error) => settle(`rejected: ${error.message}`)));
  });
});

describe('revocation at the commit point of recovery', () => {
  for (const mode of MODES) {
    for (const when of ['while the recovery guard awaits isRevoked', 'between the recovery guard and the connection'] as const) {
      it(`#5 ${mode} mode: revoke({ sub }) ${when} wins: the session is not recovered live`, needsRecovery, async (t) => {
        const token = sign({ sub: 'mallory' });
        let recovering: { entered: ReturnType<typeof gate>; release: ReturnType<typeof gate> } | undefined;
        const h = await serve(t, mode, {
          // A recovered socket is checked without a token: that is the recovery guard asking.
          isRevoked: async (_claims, presented) => {
            if (presented === undefined && recovering && when === 'while the recovery guard awaits isRevoked') {
              recovering.entered.open();
              await recovering.release.opened;
            }
            return false;
          },
        }, {
          after: (io, auth) => {
            if (when !== 'between the recovery guard and the connection') return;
            // After sockjwt's guard accepted the session, before socket.io connects the socket.
            auth.watch(io);
            const adapter = io.of('/').adapter as unknown as { restoreSession(pid: string, offset: string): Promise<unknown> };
            const guarded = adapter.restoreSession.bind(adapter);
            adapter.restoreSession = async (pid, offset) => {
              const session = await guarded(pid, offset);
              if (session && recovering) {
                recovering.entered.open();
                await recovering.release.opened;
              }
              return session;
            };
          },
        }, RECOVERY);
        const client = await h.login(token, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 50, randomizationFactor: 0 });
        const hello = next(client, 'hello');
        h.io.emit('hello');
        await hello;
        const serverSide = h.io.of('/').sockets.get(client.id!)!;
        const goneOnServer = next<[string]>(serverSide, 'disconnect');
        recovering = { entered: gate(), release: gate() };
        client.io.engine.close();
        assert.equal((await goneOnServer)[0], 'transport close');
        let missed = 0;
        client.on('missed', () => missed++);
        h.io.emit('missed');
        await recovering.entered.opened;
        assert.equal(await h.auth.revoke({ sub: 'mallory' }), 0, 'nothing live to drop yet');
        const refused = mode === 'handshake' && when === 'while the recovery guard awaits isRevoked'
          ? refusal(client).then((error) => error.data.reason)
          : next<[WireError]>(client, 'unauthorized', 4000).then(([error]) => error.data.reason).catch(() => 'not told');
        recovering.release.open();
        if (mode === 'message' && when === 'while the recovery guard awaits isRevoked') {
          // Declined by the guard: a normal, held connection; nothing it missed is replayed.
          await connected(client);
          assert.equal(client.recovered, false, 'recovered on a revoked token');
          assert.equal(missed, 0);
        } else {
          assert.equal(await refused, 'revoked');
        }
        assert.equal(h.auth.sessionCount, 0);
      });
    }
  }
});

describe('identity and lifetime', () => {
  for (const mode of MODES) {
    it(`#8 ${mode} mode: tokens without sub cannot refresh into another user's; subjectClaim names the identity`, async (t) => {
      const alice = { first_name: 'Alice', email: 'alice@example.com', id: 1 };
      const bob = { first_name: 'Bob', email: 'bob@example.com', id: 2, admin: true };
      const h = await serve(t, mode);
      const client = await h.login(sign(alice));
      const ack = await authenticateWithAck(client, sign(bob));
      assert.equal(ack.ok, false);
      assert.equal(ack.data?.reason, 'identity_required');
      const named = await serve(t, mode, { subjectClaim: 'id' });
      const viaId = await named.login(sign(alice));
      assert.equal((await authenticateWithAck(viaId, sign(bob))).data?.reason, 'subject_mismatch');
      assert.equal((await authenticateWithAck(viaId, sign({ ...alice, id: '1', v: 2 }))).ok, true, '1 and "1" are one identity');
    });

    it(`#8 ${mode} mode: refreshWithoutSubject: true lets two tokens without the subject claim refresh, not one with it`, async (t) => {
      const h = await serve(t, mode, { refreshWithoutSubject: true });
      const client = await h.login(sign({ first_name: 'Alice', email: 'alice@example.com' }));
      const ack = await authenticateWithAck(client, sign({ first_name: 'Alice', email: 'alice@example.com', v: 2 }));
      assert.equal(ack.ok, true, `refused: ${ack.data?.reason}`);
      const withSubject = await authenticateWithAck(client, sign({ sub: 'bob', email: 'bob@example.com' }));
      assert.equal(withSubject.data?.reason, 'subject_mismatch');
    });

    it(`#9 ${mode} mode: maxAge ends a live socket at iat + maxAge`, async (t) => {
      // iat has whole seconds: with maxAge 2 the socket has between 1 and 2 s to live.
      const h = await serve(t, mode, { maxAge: 2 });
      const client = await h.login(sign({ sub: 'u-1', iat: nowSeconds() }));
      await droppedWith(client, 'expired', 4000);
    });

    it(`#10 ${mode} mode: a refresh cannot trade a token with exp for one without`, async (t) => {
      const h = await serve(t, mode);
      const client = await h.login(sign({ sub: 'u-1' }));
      // support's sign() adds an exp; this one has none.
      const immortal = jwt.sign({ sub: 'u-1' }, SECRET, { algorithm: 'HS256' });
      const refused = await authenticateWithAck(client, immortal);
      assert.equal(refused.ok, false);
      assert.equal(refused.data?.reason, 'claim_invalid');
    });

    it(`${mode} mode: maxSessionMs caps a socket's life across refreshes (reason session_limit)`, async (t) => {
      const h = await serve(t, mode, { maxSessionMs: 1200 });
      const started = Date.now();
      const client = await h.login(sign({ sub: 'u-1' }));
      const ack = await authenticateWithAck(client, sign({ sub: 'u-1', v: 2 }));
      assert.equal(ack.ok, true);
      assert.ok(ack.expiresInMs! <= 1200, `expiresInMs counts the session cap: ${ack.expiresInMs}`);
      await droppedWith(client, 'session_limit', 3000);
      assert.ok(Date.now() - started >= 1100, 'not before the cap');
    });
  }
});

describe('tokens never reach app code', () => {
  for (const mode of MODES) {
    it(`#11 ${mode} mode, required: false: authenticate reaches no onAny listener and no handler`, async (t) => {
      const seen: unknown[] = [];
      const h = await serve(t, mode, { required: false }, {
        after: (io) => io.on('connection', (socket: Socket) => {
          socket.onAny((event: string, ...args: unknown[]) => void seen.push([event, ...args]));
          socket.on('authenticate' as never, (...args: unknown[]) => void seen.push(['handler', ...args]));
        }),
      });
      const client = h.connect();
      await connected(client);
      const ack = await authenticateWithAck(client, sign({ sub: 'u-1' }));
      assert.equal(ack.ok, true);
      // Listening before the client emits: registered after, the event could come first and be missed.
      const hello = next(h.io.of('/').sockets.get(client.id!)!, 'hello');
      client.emit('hello');
      await barrier(h.io, client);
      await hello;
      assert.deepEqual(seen.filter((entry) => (entry as unknown[])[0] !== 'hello'), []);
    });

    it(`#12 ${mode} mode: a socket.use() installed from an earlier io.use() never sees authenticate`, async (t) => {
      const seen: string[] = [];
      const h = await serve(t, mode, {}, {
        before: (io) => io.use((socket, nextMiddleware) => {
          socket.use(([event], go) => {
            seen.push(String(event));
            go();
          });
          nextMiddleware();
        }),
      });
      const client = await h.login(sign({ sub: 'u-1' }));
      assert.equal((await authenticateWithAck(client, sign({ sub: 'u-1', v: 2 }))).ok, true);
      const hello = next(h.io.of('/').sockets.get(client.id!)!, 'hello');
      client.emit('hello');
      await hello;
      assert.deepEqual(seen, ['hello']);
    });

    it(`#13 ${mode} mode: a secret function's or additional_auth's error text stays on the server (logger), never on the wire`, async (t) => {
      const logged: object[] = [];
      const logger = { warn: (entry: object) => logged.push(entry), info: () => {}, debug: () => {} };
      const h = await serve(t, mode, {
        secret: (_request: unknown, _payload: unknown, callback: (error: unknown) => void) => callback(new Error('connect ECONNREFUSED vault.internal:8200 token=s.8fj2')),
        logger,
      } as Partial<AuthorizeOptions>);
      const error = await refusedLogin(h, mode, sign({ sub: 'u-1' }));
      assert.equal(error.reason, 'key_unavailable');
      assert.doesNotMatch(JSON.stringify(error), /vault|ECONNREFUSED|s\.8fj2/);
      assert.match(JSON.stringify(logged), /vault\.internal/);
      const hooked = await serve(t, mode, { additional_auth: async () => Promise.reject(new Error('db at 10.0.0.7 said: password authentication failed')) });
      const hookError = await refusedLogin(hooked, mode, sign({ sub: 'u-1' }));
      assert.doesNotMatch(JSON.stringify(hookError), /10\.0\.0\.7|password/);
      // `.catch(onError)`: an Error handed to onError is a failure, not the app's words for the client.
      const callbackLogged: object[] = [];
      const viaOnError = await serve(t, mode, {
        logger: { warn: (entry: object) => callbackLogged.push(entry), info: () => {}, debug: () => {} },
        additional_auth: (_claims, _onSuccess, onError) => onError(new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2')),
      });
      const onErrorError = await refusedLogin(viaOnError, mode, sign({ sub: 'u-1' }));
      assert.equal(onErrorError.reason, 'rejected');
      assert.doesNotMatch(JSON.stringify(onErrorError), /ECONNREFUSED|10\.0\.0\.7|hunter2/);
      assert.match(JSON.stringify(callbackLogged), /hunter2/);
      // The app's own words still pass: a string, or socketio-jwt's plain { message, code }.
      const worded = await serve(t, mode, { additional_auth: (_claims, _onSuccess, onError) => onError({ message: 'account suspended', code: 'suspended' } as never) });
      const wordedError = await refusedLogin(worded, mode, sign({ sub: 'u-1' }));
      assert.equal(wordedError.message, 'account suspended');
      assert.equal(wordedError.code, 'suspended');
    });
  }
});

describe('claim guards', () => {
  for (const mode of MODES) {
    it(`#14 ${mode} mode: an event a guard refuses reaches no onAny listener`, async (t) => {
      const seen: string[] = [];
      const h = await serve(t, mode, { guards: { events: { 'admin:*': (claims) => claims['admin'] === true } } }, {
        before: (io) => io.on('connection', (socket: Socket) => socket.onAny((event: string) => seen.push(event))),
      });
      const client = await h.login(sign({ sub: 'u-1' }));
      const ack = (await client.timeout(3000).emitWithAck('admin:ban', 'bob')) as Ack;
      assert.equal(ack.data?.code, 'forbidden');
      const hello = next(h.io.of('/').sockets.get(client.id!)!, 'hello');
      client.emit('hello');
      await hello;
      assert.deepEqual(seen.filter((event) => event !== 'authenticate'), ['hello']);
    });

    it(`#15 ${mode} mode: a catch-all guard does not refuse the in-band authenticate`, async (t) => {
      const h = await serve(t, mode, { guards: { events: { '*': (claims) => claims['role'] === 'member' } } });
      const client = await h.login(sign({ sub: 'u-1' }));
      const refused = (await client.timeout(3000).emitWithAck('chat', 'hi')) as Ack;
      assert.equal(refused.data?.code, 'forbidden');
      assert.equal((await authenticateWithAck(client, sign({ sub: 'u-1', role: 'member' }))).ok, true);
    });

    it(`#16 ${mode} mode, required: false: after authenticate, the guards judge the new claims`, async (t) => {
      const h = await serve(t, mode, { required: false, guards: { events: { chat: (claims) => claims['member'] === true } } }, {
        after: (io) => io.on('connection', (socket: Socket) => socket.on('chat', (_text: string, ack: (answer: unknown) => void) => ack({ ok: true }))),
      });
      const client = h.connect();
      await connected(client);
      assert.equal(((await client.timeout(3000).emitWithAck('chat', 'hi')) as Ack).data?.code, 'forbidden');
      assert.equal((await authenticateWithAck(client, sign({ sub: 'u-1', member: true }))).ok, true);
      assert.deepEqual(await client.timeout(3000).emitWithAck('chat', 'hi'), { ok: true });
    });
  }
});

describe('options', () => {
  it('#17 decodedPropertyName / encodedPropertyName refuse any Socket member, getters and Object.prototype included', () => {
    for (const name of ['broadcast', 'volatile', 'local', 'timeout', 'emitWithAck', 'toString', 'constructor', 'acks', 'onevent']) {
      assert.throws(() => authorize({ secret: SECRET, decodedPropertyName: name }), TypeError, name);
      assert.throws(() => authorize({ secret: SECRET, handshake: true, encodedPropertyName: name }), TypeError, name);
    }
  });

  it("#17 decodedPropertyName may not take sockjwt's recovery record key, nor the encoded token's name", () => {
    for (const option of ['decodedPropertyName', 'encodedPropertyName'] as const) {
      assert.throws(() => authorize({ secret: SECRET, [option]: 'sockjwt' }), /sockjwt.*recovery|recovery.*sockjwt/, option);
      assert.throws(() => authorize({ secret: SECRET, handshake: true, [option]: 'sockjwt' }), TypeError, option);
    }
    assert.throws(() => authorize({ secret: SECRET, decodedPropertyName: 'token', encodedPropertyName: 'token' }), /same/);
    assert.throws(() => authorize({ secret: SECRET, handshake: true, decodedPropertyName: 'encoded_token' }), /same/);
    assert.throws(() => authorize({ secret: SECRET, encodedPropertyName: 'decoded_token' }), /same/);
  });

  it('#17 recovery restores no session whose claims are its own recovery record', needsRecovery, async () => {
    const { storedSession } = await import('../src/socket/recovery.js');
    const record = { startedAt: Date.now(), presentedAt: Date.now() };
    const settings = { names: { decoded: 'sockjwt', encoded: 'encoded_token' }, claimsReshaped: false };
    assert.equal(storedSession({ sockjwt: record }, settings as never), undefined);
  });

  it('#17 every member of a real socket is in the refused list', async (t) => {
    const { SOCKET_MEMBERS } = await import('../src/socketio/socketio-seams.js');
    const h = await serve(t, 'handshake', { required: false });
    const client = h.connect();
    await connected(client);
    const socket = h.io.of('/').sockets.get(client.id!)!;
    const missing: string[] = [];
    for (let object: object | null = socket; object && object !== Object.prototype; object = Object.getPrototypeOf(object)) {
      for (const name of Object.getOwnPropertyNames(object)) {
        if (!name.startsWith('_') && !SOCKET_MEMBERS.has(name) && !(name in Object.prototype) && name !== 'decoded_token' && name !== 'encoded_token') missing.push(name);
      }
    }
    assert.deepEqual(missing, []);
  });
});

describe('claims are safe to ship between nodes', () => {
  it('#18 handshake mode: a client recovering with a reserved key in its new handshake auth is refused as it connects (no middleware saw it)', needsRecovery, async (t) => {
    const h = await serve(t, 'handshake', {}, {}, RECOVERY);
    const token = sign({ sub: 'u-1' });
    let auth: Record<string, unknown> = { token };
    const client = h.connect('/', { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 50, randomizationFactor: 0, auth: (callback: (data: object) => void) => callback(auth) });
    await connected(client);
    const hello = next(client, 'hello');
    h.io.emit('hello');
    await hello;
    const goneOnServer = next<[string]>(h.io.of('/').sockets.get(client.id!)!, 'disconnect');
    // Nested, so it survives the client's Object.assign of pid and offset (a top-level __proto__ would not).
    auth = { token, profile: Object.defineProperty({}, 'constructor', { value: { role: 'admin' }, enumerable: true }) };
    const told = next<[WireError]>(client, 'unauthorized', 4000);
    client.io.engine.close();
    assert.equal((await goneOnServer)[0], 'transport close');
    assert.equal((await told)[0].data.reason, 'malformed');
    assert.equal(client.recovered, true, 'the refusal came at the recovery, not at a normal handshake');
  });


  for (const mode of MODES) {
    it(`#18 ${mode} mode: a token with __proto__, constructor or prototype keys at any depth is refused`, async (t) => {
      const h = await serve(t, mode);
      for (const payload of ['{"sub":"u","__proto__":{"role":"admin"}}', '{"sub":"u","a":{"b":[{"constructor":{"x":1}}]}}', '{"sub":"u","prototype":1}']) {
        const token = signRaw(payload.replace('{', `{"exp":${nowSeconds() + 60},`));
        const error = await refusedLogin(h, mode, token);
        assert.equal(error.reason, 'claim_invalid', payload);
      }
    });
  }
});
