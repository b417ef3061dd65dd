// Unit tests of src/session/session-registry.ts: one test per transition of SessionRegistry (the
// count, the revocation generation and its ring of recent rules, revokedSince, presentedRef, the index by
// sub and jti built at the first rule and kept from then on, dropMatching, revoke, recheckAll), with
// fake sessions on fake sockets (fake-socket.ts) reached the way the registry reaches them: through
// server._nsps → namespace.sockets → the socket's gate. Fake clock; nothing waits in real time.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { UnauthorizedError } from '../../../src/errors/errors.js';
import { DEFAULT_RETENTION_MS, MemoryRevocationStore, RevocationHealth, storedRule } from '../../../src/revocation/revocation.js';
import { SessionRegistry, type RegisteredSession, type RegistrySettings } from '../../../src/session/session-registry.js';
import { installGate, type SocketGate } from '../../../src/socketio/socketio-seams.js';
import type { JwtClaims, RevocationRule, RevocationStore, StoredRule, TokenRef } from '../../../src/types.js';
import { fakeClock } from '../fake-clock.js';
import { asNamespace, asSocket, FakeNamespace, FakeServer, FakeSocket } from './fake-socket.js';

const START = 1_700_000_000_000;
const START_S = START / 1000;
/** Rules the ring remembers (session-registry.ts RECENT_RULES). */
const RECENT_RULES = 1024;

/** Ann's token, issued a minute before START. */
function claims(extra: JwtClaims = {}): JwtClaims {
  return { sub: 'ann', iat: START_S - 60, exp: START_S + 3600, jti: 'j1', ...extra };
}

/** A rule as `revoke()` stores it, made now. */
function rule(given: RevocationRule): StoredRule {
  return storedRule(given, DEFAULT_RETENTION_MS, Date.now());
}

/** Rules that cover nobody here, each distinct. */
function unrelated(count: number, from = 0): StoredRule[] {
  return Array.from({ length: count }, (_, i) => rule({ jti: `unrelated-${from + i}` }));
}

/**
 * A live session as the registry sees one (RegisteredSession), and the gate the seams find on its
 * socket: `drop` does what SocketSession's does (closes, uncounts, disconnects), once.
 */
class FakeSession implements RegisteredSession, SocketGate {
  state = 'live';
  readonly drops: UnauthorizedError[] = [];

  constructor(
    readonly ctx: { readonly sessions: SessionRegistry },
    readonly fake: FakeSocket,
    public payload: JwtClaims | undefined,
    public presentedAt: number,
    private readonly log: string[] = [],
  ) {}

  get socket() {
    return asSocket(this.fake);
  }

  drop(error: UnauthorizedError): void {
    this.drops.push(error);
    this.log.push(`drop ${this.fake.id}`);
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.ctx.sessions.remove(this);
    this.fake.disconnect();
  }

  // The gate's side, unused here.
  readonly isHeld = false;
  admitEvent(): boolean {
    return true;
  }
  holdEmit(): void {}
  holdJoin(): void {}
  holdLeave(): void {}
  allowedRooms(rooms: string[]): string[] {
    return rooms;
  }
  roomRefusal(): undefined {
    return undefined;
  }
  onDisconnect(): void {}
}

interface Logged {
  level: 'warn' | 'info';
  object: object;
}

/**
 * A registry with the settings buildContext gives it (a MemoryRevocationStore unless `store`), serving
 * namespace '/' of a fake server. `walks` counts the reads of server._nsps: the walks socketsOf() makes.
 */
function setup(t: TestContext, { store, clockToleranceSec = 0 }: { store?: RevocationStore; clockToleranceSec?: number } = {}) {
  const clock = fakeClock(t, { now: START });
  const revocationStore = store ?? new MemoryRevocationStore();
  const logged: Logged[] = [];
  const logger = {
    warn: (object: object) => logged.push({ level: 'warn', object }),
    info: (object: object) => logged.push({ level: 'info', object }),
  };
  const settings: RegistrySettings = {
    revocation: {
      store: revocationStore,
      memoryStore: revocationStore instanceof MemoryRevocationStore ? revocationStore : undefined,
      isRevoked: undefined,
      retentionMs: revocationStore.retentionMs ?? DEFAULT_RETENTION_MS,
      failMode: 'closed',
      health: new RevocationHealth('closed', logger),
      timeoutMs: 3000,
    },
    identity: { claim: 'sub', refreshWithoutSubject: false, clockToleranceSec },
  };
  const registry = new SessionRegistry(settings);
  const server = new FakeServer();
  const nsp = new FakeNamespace('/', server);
  registry.serves(asNamespace(nsp));
  let walks = 0;
  const namespaces = server._nsps;
  Object.defineProperty(server, '_nsps', {
    get: () => {
      walks++;
      return namespaces;
    },
  });
  const log: string[] = [];
  t.after(() => assert.deepEqual(clock.live(), [], 'no timer left armed'));

  /**
   * A socket in `where` (default '/') whose gate is a session of `sessions` (default this registry),
   * counted with add() as SocketSession.goLive does, unless `state` is not live.
   */
  const session = (payload: JwtClaims | undefined = claims(), options: { presentedAt?: number; where?: FakeNamespace; sessions?: SessionRegistry; state?: string } = {}) => {
    const socket = new FakeSocket(options.where ?? nsp);
    const sessions = options.sessions ?? registry;
    const made = new FakeSession({ sessions }, socket, payload, options.presentedAt ?? START, log);
    made.state = options.state ?? 'live';
    installGate(asSocket(socket), made, false);
    if (made.state === 'live' || made.state === 'refreshing') sessions.add(made);
    return made;
  };
  return { clock, registry, settings, server, nsp, logged, log, session, walks: () => walks };
}

const dropped = (...sessions: FakeSession[]) => sessions.map((session) => session.drops.map((error) => error.reason));

describe('SessionRegistry (unit, fake sessions, fake clock)', () => {
  describe('count', () => {
    it('add counts up, remove counts down', (t) => {
      const h = setup(t);
      assert.equal(h.registry.sessionCount, 0);
      const a = h.session();
      const b = h.session(claims({ sub: 'bob' }));
      assert.equal(h.registry.sessionCount, 2);
      h.registry.remove(a);
      assert.equal(h.registry.sessionCount, 1);
      h.registry.remove(b);
      assert.equal(h.registry.sessionCount, 0);
    });
  });

  describe('generation and the ring of recent rules', () => {
    it('every rule heard bumps the generation, the same rule again too', (t) => {
      const h = setup(t);
      assert.equal(h.registry.generation, 0);
      const first = rule({ sub: 'ann' });
      h.registry.dropMatching(first);
      assert.equal(h.registry.generation, 1);
      h.registry.dropMatching(rule({ jti: 'x' }));
      assert.equal(h.registry.generation, 2);
      h.registry.dropMatching(first);
      h.registry.dropMatching({ ...first });
      assert.equal(h.registry.generation, 4);
    });

    it('revokedSince, same generation: undefined, even with a covering rule heard before', (t) => {
      const h = setup(t);
      h.registry.dropMatching(rule({ sub: 'ann' }));
      assert.equal(h.registry.revokedSince(h.registry.generation, claims(), START), undefined);
    });

    it('revokedSince: a covering rule heard after → revoked (sub rule, jti rule)', (t) => {
      const h = setup(t);
      const generation = h.registry.generation;
      h.registry.dropMatching(rule({ sub: 'ann' }));
      assert.equal(h.registry.revokedSince(generation, claims(), START)?.reason, 'revoked');
      const later = h.registry.generation;
      h.registry.dropMatching(rule({ jti: 'j9' }));
      assert.equal(h.registry.revokedSince(later, claims({ sub: 'bob', jti: 'j9' }), START)?.reason, 'revoked');
    });

    it('revokedSince: rules heard after that do not cover the token → undefined', (t) => {
      const h = setup(t);
      const generation = h.registry.generation;
      h.registry.dropMatching(rule({ sub: 'bob' }));
      h.registry.dropMatching(rule({ jti: 'j2' }));
      h.registry.dropMatching(rule({ sub: 'ann', issuedBefore: (START_S - 120) * 1000 }));
      assert.equal(h.registry.generation, generation + 3);
      assert.equal(h.registry.revokedSince(generation, claims(), START), undefined);
    });

    it('revokedSince looks only at rules heard after the generation given', (t) => {
      const h = setup(t);
      h.registry.dropMatching(rule({ sub: 'ann' }));
      const after = h.registry.generation;
      h.registry.dropMatching(rule({ sub: 'bob' }));
      assert.equal(h.registry.revokedSince(after, claims(), START), undefined, 'the covering rule came before');
      assert.equal(h.registry.revokedSince(after - 1, claims(), START)?.reason, 'revoked');
    });

    it(`${RECENT_RULES} distinct rules since still answer; one more → revocation_unavailable (fail closed)`, (t) => {
      const h = setup(t);
      const generation = h.registry.generation;
      for (const each of unrelated(RECENT_RULES)) h.registry.dropMatching(each);
      assert.equal(h.registry.revokedSince(generation, claims(), START), undefined, `${RECENT_RULES} fit in the ring`);
      h.registry.dropMatching(unrelated(1, RECENT_RULES)[0]!);
      assert.equal(h.registry.revokedSince(generation, claims(), START)?.reason, 'revocation_unavailable');
      assert.equal(h.registry.revokedSince(generation + 1, claims(), START), undefined, 'a verification that began after the evicted rule still gets an answer');
    });

    it('the same rule heard twice counts once in the ring, at its latest hearing', (t) => {
      const h = setup(t);
      const annRule = rule({ sub: 'ann' });
      h.registry.dropMatching(annRule);
      const afterFirstHearing = h.registry.generation;
      for (const each of unrelated(RECENT_RULES - 1)) h.registry.dropMatching(each);
      h.registry.dropMatching({ ...annRule });
      assert.equal(h.registry.generation, RECENT_RULES + 1, 'both hearings bumped the generation');
      assert.equal(h.registry.revokedSince(0, claims({ sub: 'bob' }), START), undefined, 'no rule evicted: the ring holds 1024 distinct rules');
      assert.equal(h.registry.revokedSince(afterFirstHearing, claims(), START)?.reason, 'revoked', 'heard again inside this window: it counts');
    });
  });

  describe('presentedRef', () => {
    it('never later than the second the token was presented (an issuer clock ahead)', (t) => {
      const h = setup(t);
      assert.deepEqual(h.registry.presentedRef(claims({ iat: START_S + 600 }), START + 1500), { jti: 'j1', sub: 'ann', iat: START_S + 1 });
      assert.deepEqual(h.registry.presentedRef(claims(), START + 1500), { jti: 'j1', sub: 'ann', iat: START_S - 60 }, 'an earlier iat is kept');
    });

    it('a token without iat keeps none (fail closed: a subject rule covers it)', (t) => {
      const h = setup(t);
      const payload = claims();
      delete payload.iat;
      const ref: TokenRef = h.registry.presentedRef(payload, START);
      assert.equal('iat' in ref && ref.iat !== undefined, false);
      const generation = h.registry.generation;
      h.registry.dropMatching(rule({ sub: 'ann', issuedBefore: START - 3_600_000 }));
      assert.equal(h.registry.revokedSince(generation, payload, START)?.reason, 'revoked', 'an hour-old cut-off still covers it');
    });

    it('with clockTolerance: iat moved back by it, then capped', (t) => {
      const h = setup(t, { clockToleranceSec: 5 });
      assert.equal(h.registry.presentedRef(claims(), START).iat, START_S - 65);
      assert.equal(h.registry.presentedRef(claims({ iat: START_S + 3 }), START).iat, START_S - 2);
      assert.equal(h.registry.presentedRef(claims({ iat: START_S + 100 }), START).iat, START_S);
    });
  });

  describe('the index by sub and jti', () => {
    it('not built until the first rule: then one walk of server._nsps, none after', (t) => {
      const h = setup(t);
      h.session();
      h.session(claims({ sub: 'bob', jti: 'j2' }));
      h.registry.remove(h.session(claims({ sub: 'cid', jti: 'j3' })));
      assert.equal(h.walks(), 0, 'opening and closing sessions walks nothing');
      h.registry.dropMatching(rule({ jti: 'nobody' }));
      assert.equal(h.walks(), 1, 'built at the first rule');
      h.registry.dropMatching(rule({ sub: 'bob' }));
      h.registry.dropMatching(rule({ jti: 'nobody-else' }));
      assert.equal(h.walks(), 1, 'kept, not rebuilt');
    });

    it('built from the live sessions of this registry that socket.io holds, in every namespace of the server', (t) => {
      const h = setup(t);
      const admin = new FakeNamespace('/admin', h.server);
      const other = new SessionRegistry(h.settings);
      const inRoot = h.session();
      const inAdmin = h.session(claims({ jti: 'j2' }), { where: admin });
      const refreshing = h.session(claims({ jti: 'j3' }), { state: 'refreshing' });
      const held = h.session(undefined, { state: 'held' });
      const verifying = h.session(claims({ jti: 'j4' }), { state: 'verifying' });
      const ofAnother = h.session(claims({ jti: 'j5' }), { sessions: other });
      new FakeSocket(h.nsp); // a socket without a gate
      const count = h.registry.dropMatching(rule({ sub: 'ann' }));
      assert.equal(count, 3);
      assert.deepEqual(dropped(inRoot, inAdmin, refreshing, held, verifying, ofAnother), [['revoked'], ['revoked'], ['revoked'], [], [], []]);
      assert.equal(h.registry.sessionCount, 0);
    });

    it('a session counted but not among socket.io’s sockets is not indexed: the walk, not add(), builds it', (t) => {
      const h = setup(t);
      const gone = h.session();
      h.nsp.sockets.delete(gone.fake.id);
      assert.equal(h.registry.dropMatching(rule({ sub: 'ann' })), 0);
      assert.deepEqual(gone.drops, []);
      h.registry.remove(gone);
    });

    it('kept in step after it is built: add() indexes a new session', (t) => {
      const h = setup(t);
      h.registry.dropMatching(rule({ jti: 'nobody' }));
      const late = h.session(claims({ jti: 'late' }));
      const lateBob = h.session(claims({ sub: 'bob', jti: 'late-bob' }));
      h.nsp.sockets.clear(); // no walk could find them now: only the index can
      assert.equal(h.registry.dropMatching(rule({ jti: 'late' })), 1);
      assert.equal(h.registry.dropMatching(rule({ sub: 'bob' })), 1);
      assert.deepEqual(dropped(late, lateBob), [['revoked'], ['revoked']]);
    });

    it('kept in step: remove() unindexes (a closed session is never dropped again), a group of one or many', (t) => {
      const h = setup(t);
      const a = h.session(claims({ jti: 'a' }));
      const b = h.session(claims({ jti: 'b' }));
      const c = h.session(claims({ jti: 'c' }));
      h.registry.dropMatching(rule({ jti: 'nobody' }));
      h.registry.remove(a);
      a.state = 'closed';
      h.registry.remove(b);
      b.state = 'closed';
      assert.equal(h.registry.dropMatching(rule({ sub: 'ann' })), 1);
      assert.deepEqual(dropped(a, b, c), [[], [], ['revoked']]);
      assert.equal(h.registry.dropMatching(rule({ jti: 'a' })), 0);
      assert.deepEqual(a.drops, []);
    });

    it('kept in step: reindex() after a refresh that changes jti (and sub, as a number)', (t) => {
      const h = setup(t);
      const s = h.session(claims({ jti: 'old' }));
      h.registry.dropMatching(rule({ jti: 'nobody' }));
      const previous = s.payload!;
      s.payload = claims({ jti: 'new', sub: 42 as unknown as string });
      h.registry.reindex(s, previous);
      assert.equal(h.registry.dropMatching(rule({ jti: 'old' })), 0, 'the old jti no longer names it');
      assert.equal(h.registry.dropMatching(rule({ sub: 'ann' })), 0, 'nor the old sub');
      assert.equal(h.registry.dropMatching(rule({ jti: 'new' })), 1);
      assert.deepEqual(dropped(s), [['revoked']]);
    });

    it('reindex() before any rule does nothing, and the first rule finds the current token', (t) => {
      const h = setup(t);
      const s = h.session(claims({ jti: 'old' }));
      const previous = s.payload!;
      s.payload = claims({ jti: 'new' });
      h.registry.reindex(s, previous);
      assert.equal(h.walks(), 0);
      assert.equal(h.registry.dropMatching(rule({ jti: 'old' })), 0);
      assert.equal(h.registry.dropMatching(rule({ jti: 'new' })), 1);
    });
  });

  describe('dropMatching', () => {
    it('by sub: every live session of the subject whose token the rule covers', (t) => {
      const h = setup(t);
      const one = h.session(claims({ jti: 'a' }));
      const two = h.session(claims({ jti: 'b' }));
      const newer = h.session(claims({ jti: 'c', iat: START_S }));
      const bob = h.session(claims({ sub: 'bob', jti: 'd' }));
      assert.equal(h.registry.dropMatching(rule({ sub: 'ann', issuedBefore: START - 30_000 })), 2, 'issued before the cut-off');
      assert.deepEqual(dropped(one, two, newer, bob), [['revoked'], ['revoked'], [], []]);
      assert.equal(one.fake.connected, false);
      assert.equal(h.registry.sessionCount, 2);
    });

    it('by jti: the one session holding that token', (t) => {
      const h = setup(t);
      const a = h.session(claims({ jti: 'a' }));
      const b = h.session(claims({ jti: 'b' }));
      assert.equal(h.registry.dropMatching(rule({ jti: 'b' })), 1);
      assert.deepEqual(dropped(a, b), [[], ['revoked']]);
    });

    it('numbers and strings are one identity: sub 42 and "42", jti 7 and "7"', (t) => {
      const h = setup(t);
      const numeric = h.session(claims({ sub: 42 as unknown as string, jti: 7 as unknown as string }));
      const textual = h.session(claims({ sub: '43', jti: 'x' }));
      assert.equal(h.registry.dropMatching(rule({ sub: '42' })), 1);
      assert.equal(h.registry.dropMatching(rule({ sub: 43 })), 1);
      assert.deepEqual(dropped(numeric, textual), [['revoked'], ['revoked']]);
      const byJti = h.session(claims({ sub: 'zed', jti: 7 as unknown as string }));
      assert.equal(h.registry.dropMatching(rule({ jti: '7' })), 1);
      assert.deepEqual(dropped(byJti), [['revoked']]);
    });

    it('a token issued after a subject cut-off by an issuer whose clock runs ahead is still covered (presentedRef)', (t) => {
      const h = setup(t);
      const ahead = h.session(claims({ iat: START_S + 600 }), { presentedAt: START });
      assert.equal(h.registry.dropMatching(rule({ sub: 'ann', issuedBefore: START + 1000 })), 1);
      assert.deepEqual(dropped(ahead), [['revoked']]);
    });

    it('a token without iat is covered by any subject rule (no iat invented from when it was presented)', (t) => {
      const h = setup(t);
      const payload = claims();
      delete payload.iat;
      const noIat = h.session(payload, { presentedAt: START });
      assert.equal(h.registry.dropMatching(rule({ sub: 'ann', issuedBefore: START - 60_000 })), 1);
      assert.deepEqual(dropped(noIat), [['revoked']]);
    });

    it('the rules the store hears come here: a MemoryRevocationStore add() drops at once', (t) => {
      const h = setup(t);
      const s = h.session();
      (h.settings.revocation.store as MemoryRevocationStore).add(rule({ sub: 'ann' }));
      assert.deepEqual(dropped(s), [['revoked']]);
      assert.equal(h.registry.generation, 1);
    });
  });

  describe('revoke()', () => {
    it('drops first, then awaits store.add; resolves with the number dropped', async (t) => {
      let order: string[] = [];
      const listeners: ((rule: StoredRule) => void)[] = [];
      const store: RevocationStore = {
        add: async (stored) => {
          order.push(`add ${'sub' in stored ? stored.sub : stored.jti}`);
        },
        isRevoked: () => false,
        subscribe: (listener) => {
          listeners.push(listener);
          return () => {};
        },
      };
      const h = setup(t, { store });
      order = h.log;
      const s = h.session();
      const pending = h.registry.revoke({ sub: 'ann' });
      assert.deepEqual(order, [`drop ${s.fake.id}`, 'add ann'], 'dropped before the store was asked to add');
      assert.equal(await pending, 1);
      assert.equal(listeners.length, 1, 'the registry listens to its store');
    });

    it('a store whose add rejects: the sockets are dropped all the same, and revoke() rejects', async (t) => {
      const failure = new Error('store down');
      const store: RevocationStore = {
        add: () => Promise.reject(failure),
        isRevoked: () => false,
        subscribe: () => () => {},
      };
      const h = setup(t, { store });
      const a = h.session(claims({ jti: 'a' }));
      const b = h.session(claims({ jti: 'b' }));
      await assert.rejects(h.registry.revoke({ sub: 'ann' }), failure);
      assert.deepEqual(dropped(a, b), [['revoked'], ['revoked']]);
      assert.equal(a.fake.connected, false);
      assert.equal(h.registry.sessionCount, 0);
      assert.equal(h.registry.generation, 1, 'the rule was heard');
    });

    it('the in-memory store hears its own rule back: two hearings, one ring entry, still one drop', async (t) => {
      const h = setup(t);
      const s = h.session();
      assert.equal(await h.registry.revoke({ sub: 'ann' }), 1);
      assert.equal(h.registry.generation, 2);
      assert.deepEqual(dropped(s), [['revoked']]);
      for (const each of unrelated(RECENT_RULES - 1)) h.registry.dropMatching(each);
      assert.equal(h.registry.revokedSince(0, claims({ sub: 'bob' }), START), undefined, 'one entry: 1,023 more rules evict nothing');
    });
  });

  describe('recheckAll()', () => {
    /** A store that answers `revoked(ref)` asynchronously, or fails as told; rules are never heard. */
    function askingStore(answer: (ref: TokenRef) => boolean | Promise<boolean>): RevocationStore & { missed?: () => void } {
      const store: RevocationStore & { missed?: () => void } = {
        add: () => {},
        isRevoked: async (ref) => answer(ref),
        subscribe: () => () => {},
        onMissedRules: (listener) => {
          store.missed = listener;
          return () => {};
        },
      };
      return store;
    }

    it('drops the live sessions the store now says are revoked; health answered', async (t) => {
      const revokedJtis = new Set(['b']);
      const h = setup(t, { store: askingStore((ref) => revokedJtis.has(ref.jti!)) });
      const a = h.session(claims({ jti: 'a' }));
      const b = h.session(claims({ jti: 'b' }));
      const held = h.session(claims({ jti: 'b', sub: 'x' }), { state: 'held' });
      assert.equal(await h.registry.recheckAll(), 1);
      assert.deepEqual(dropped(a, b, held), [[], ['revoked'], []]);
      assert.deepEqual(h.logged, [], 'nothing to report while the store answers');
    });

    it('asks with presentedRef: the stored iat capped at the presented second', async (t) => {
      const asked: TokenRef[] = [];
      const h = setup(t, {
        store: askingStore((ref) => {
          asked.push(ref);
          return false;
        }),
      });
      h.session(claims({ iat: START_S + 600 }), { presentedAt: START + 2000 });
      await h.registry.recheckAll();
      assert.deepEqual(asked, [{ jti: 'j1', sub: 'ann', iat: START_S + 2 }]);
    });

    it('a session closed while the store answered is not dropped', async (t) => {
      let release!: (revoked: boolean) => void;
      const h = setup(t, { store: askingStore(() => new Promise<boolean>((resolve) => (release = resolve))) });
      const s = h.session();
      const pending = h.registry.recheckAll();
      await new Promise<void>((resolve) => setImmediate(resolve));
      s.state = 'closed';
      h.registry.remove(s);
      release(true);
      assert.equal(await pending, 0);
      assert.deepEqual(s.drops, []);
    });

    it('a store failure is reported to health (once), nothing dropped; the next recheck that answers says so', async (t) => {
      let failing = true;
      const h = setup(t, {
        store: askingStore(() => {
          if (failing) throw new Error('redis unreachable');
          return true;
        }),
      });
      const s = h.session();
      assert.equal(await h.registry.recheckAll(), 0);
      assert.equal(await h.registry.recheckAll(), 0);
      assert.deepEqual(s.drops, []);
      assert.equal(h.settings.revocation.health.available, false);
      assert.deepEqual(
        h.logged.map((entry) => [entry.level, (entry.object as { event: string }).event]),
        [['warn', 'revocation_unavailable']],
        'one warning for the outage',
      );
      failing = false;
      assert.equal(await h.registry.recheckAll(), 1);
      assert.equal(h.settings.revocation.health.available, true);
      assert.deepEqual(h.logged.at(-1)!.level, 'info');
      assert.deepEqual(dropped(s), [['revoked']]);
    });

    it('a store that does not answer within the hook timeout counts as failed (fake clock)', async (t) => {
      const h = setup(t, { store: askingStore(() => new Promise<boolean>(() => {})) });
      const s = h.session();
      const pending = h.registry.recheckAll();
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.deepEqual(
        h.clock.live().map((timer) => timer.delay),
        [3000],
      );
      h.clock.tick(3000);
      assert.equal(await pending, 0);
      assert.deepEqual(s.drops, []);
      assert.equal(h.settings.revocation.health.available, false);
    });

    it('runs when the store says rules may have been missed (onMissedRules)', async (t) => {
      const store = askingStore(() => true);
      const h = setup(t, { store });
      const s = h.session();
      store.missed!();
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.deepEqual(dropped(s), [['revoked']]);
    });
  });
});
