import type { Namespace, Server, Socket } from 'socket.io';
import type { UnauthorizedError } from '../errors/errors.js';
import { normalizeIdentity, ruleCovers, storedRule, storeRevokes, subjectOf, tokenRef, type IdentitySettings, type RevocationSettings } from '../revocation/revocation.js';
import { gateOf, socketsOf } from '../socketio/socketio-seams.js';
import * as refuse from '../errors/refusals.js';
import type { JwtClaims, RevocationRule, SessionControl, StoredRule, TokenRef } from '../types.js';

/** What the registry holds of a live socket (a SocketSession; declared here so imports flow one way). */
export interface RegisteredSession {
  /** The context of the `authorize()` that admitted it (context.ts). */
  readonly ctx: { readonly sessions: SessionRegistry };
  readonly socket: Socket;
  readonly state: string;
  /** The current token's verified payload; set while registered. */
  readonly payload: JwtClaims | undefined;
  /** When this process first held the current token (ms): it was issued before then, whatever its `iat` says. */
  readonly presentedAt: number;
  drop(error: UnauthorizedError): void;
}

/** What the registry reads of its `authorize()`'s context (context.ts). */
export interface RegistrySettings {
  readonly revocation: RevocationSettings;
  readonly identity: IdentitySettings;
}

/** Rules remembered for verifications in flight; more arriving during one verification refuses it (fail closed). */
const RECENT_RULES = 1024;


/**
 * The sessions under one `sub` or `jti`: the session itself while it is the only one (a
 * `jti` always is, a `sub` usually), a Set from the second on.
 */
type Group = RegisteredSession | Set<RegisteredSession>;

/** Live sessions by `sub` and by `jti`, so a revocation finds its sockets without walking them all. */
interface SessionIndex {
  bySub: Map<string, Group>;
  byJti: Map<string, Group>;
}

/**
 * The live sessions of one `authorize()`, and the revocation rules it has heard.
 *
 * Opening and closing a session costs a counter: the sessions are where socket.io keeps the
 * sockets. The index by `sub` and `jti` serves revocation, a rare event: it is built by walking
 * the sockets when the first rule is heard, and kept from then on.
 */
export class SessionRegistry implements Omit<SessionControl, 'watch'> {
  private count = 0;
  private index: SessionIndex | undefined = undefined;
  /** The servers whose namespaces hold this `authorize()`'s sockets. */
  private readonly servers = new Set<Server>();
  /**
   * Every rule heard bumps the generation and is remembered in a ring: a verification notes
   * the generation when it starts and, at its commit point, refuses a token that a rule heard
   * meanwhile covers. A revocation that arrives while a token is being verified always wins.
   */
  generation = 0;
  /** Distinct rules, each at the generation it was last heard, oldest first. */
  private readonly recent: { rule: StoredRule; heardAt: number }[] = [];
  /** The newest generation a rule pushed out of the ring was heard at. */
  private evictedThrough = 0;

  constructor(private readonly ctx: RegistrySettings) {
    const { store } = ctx.revocation;
    store.subscribe((rule) => this.dropMatching(rule));
    store.onMissedRules?.(() => void this.recheckAll());
  }

  get sessionCount(): number {
    return this.count;
  }

  /** A namespace this `authorize()` serves: its server is walked when the index is first built. */
  serves(nsp: Namespace): void {
    this.servers.add(nsp.server);
  }

  async revoke(rule: RevocationRule): Promise<number> {
    const stored = storedRule(rule, this.ctx.revocation.retentionMs, Date.now());
    // Drop first: a store that fails must not leave the revoked sockets connected.
    const dropped = this.dropMatching(stored);
    await this.ctx.revocation.store.add(stored);
    return dropped;
  }

  dropMatching(rule: StoredRule): number {
    this.remember(rule);
    const index = this.built();
    const candidates = membersOf('jti' in rule ? index.byJti.get(rule.jti) : index.bySub.get(rule.sub));
    let dropped = 0;
    for (const session of candidates) {
      if (!ruleCovers(rule, this.presentedRef(session.payload!, session.presentedAt))) continue;
      session.drop(refuse.revoked());
      dropped++;
    }
    return dropped;
  }

  /**
   * The commit point's question for a verification that began at `generation`: a rule heard
   * meanwhile that covers the token refuses it. Too many rules meanwhile to tell: refused as unavailable.
   */
  revokedSince(generation: number, payload: JwtClaims, presentedAt: number): UnauthorizedError | undefined {
    if (this.generation === generation) return undefined;
    if (this.evictedThrough > generation) return refuse.revocationUnavailable();
    const ref = this.presentedRef(payload, presentedAt);
    for (let i = this.recent.length - 1; i >= 0 && this.recent[i]!.heardAt > generation; i--) {
      if (ruleCovers(this.recent[i]!.rule, ref)) return refuse.revoked();
    }
    return undefined;
  }

  /**
   * A token this process has held since `presentedAt` was issued before then, whatever its
   * `iat` says: its reference for a rule is never later than that second. A token without `iat`
   * keeps none: it cannot prove it came after any cut-off, live or at a handshake.
   */
  presentedRef(payload: JwtClaims, presentedAt: number): TokenRef {
    const ref = tokenRef(payload, this.ctx.identity);
    const heldSecond = Math.floor(presentedAt / 1000);
    if (ref.iat !== undefined && ref.iat > heldSecond) ref.iat = heldSecond;
    return ref;
  }

  /**
   * Asks the store again about every live session that a rule could name. Runs after the
   * store may have missed rules, and after an outage in which `'open'` admitted tokens
   * unchecked. Stops at the first failure: the next recovery runs it again.
   */
  async recheckAll(): Promise<number> {
    const { revocation } = this.ctx;
    let dropped = 0;
    try {
      const verdicts = await Promise.all([...this.live()].map(async (session) => [session, await storeRevokes(revocation, this.presentedRef(session.payload!, session.presentedAt))] as const));
      revocation.health.answered();
      for (const [session, revoked] of verdicts) {
        if (!revoked || session.state === 'closed') continue;
        session.drop(refuse.revoked());
        dropped++;
      }
    } catch (cause) {
      revocation.health.failed(cause);
    }
    return dropped;
  }

  add(session: RegisteredSession): void {
    this.count++;
    if (this.index) indexSession(this.index, session, session.payload!, this.ctx);
  }

  remove(session: RegisteredSession): void {
    this.count--;
    if (this.index) unindexSession(this.index, session, session.payload!, this.ctx);
  }

  /** A refresh may carry a new `jti`. */
  reindex(session: RegisteredSession, previous: JwtClaims): void {
    if (!this.index) return;
    unindexSession(this.index, session, previous, this.ctx);
    indexSession(this.index, session, session.payload!, this.ctx);
  }

  /** The index, built from the live sessions the first time a rule needs it. */
  private built(): SessionIndex {
    if (this.index) return this.index;
    const index: SessionIndex = { bySub: new Map(), byJti: new Map() };
    for (const session of this.live()) indexSession(index, session, session.payload!, this.ctx);
    return (this.index = index);
  }

  /** This `authorize()`'s live sessions, found where socket.io keeps the sockets. */
  private *live(): Generator<RegisteredSession> {
    for (const server of this.servers) {
      for (const socket of socketsOf(server)) {
        const session = gateOf(socket) as RegisteredSession | undefined;
        if (session?.ctx.sessions === this && session.payload !== undefined && (session.state === 'live' || session.state === 'refreshing')) yield session;
      }
    }
  }

  /**
   * Every hearing counts: `revoke()` drops and remembers at once, then hears its own rule back
   * once the store has it (and again from Redis' notice). A verification that began between the
   * first hearing and the store's write was answered by a store without the rule, so the later
   * hearing must still fall inside its window. The ring keeps each rule once, at its latest
   * hearing: 1,024 distinct rules, not 1,024 hearings, fit in one verification's window.
   */
  private remember(rule: StoredRule): void {
    this.generation++;
    const known = this.recent.findLastIndex((entry) => sameRule(entry.rule, rule));
    if (known >= 0) this.recent.splice(known, 1);
    else if (this.recent.length === RECENT_RULES) this.evictedThrough = this.recent.shift()!.heardAt;
    this.recent.push({ rule, heardAt: this.generation });
  }
}

function indexSession(index: SessionIndex, session: RegisteredSession, payload: JwtClaims, ctx: RegistrySettings): void {
  addTo(index.bySub, subjectOf(payload, ctx.identity), session);
  addTo(index.byJti, normalizeIdentity(payload.jti), session);
}

function unindexSession(index: SessionIndex, session: RegisteredSession, payload: JwtClaims, ctx: RegistrySettings): void {
  removeFrom(index.bySub, subjectOf(payload, ctx.identity), session);
  removeFrom(index.byJti, normalizeIdentity(payload.jti), session);
}

function sameRule(a: StoredRule, b: StoredRule): boolean {
  if (a === b) return true;
  if ('jti' in a) return 'jti' in b && a.jti === b.jti && a.expiresAt === b.expiresAt;
  return 'sub' in b && a.sub === b.sub && a.issuedBefore === b.issuedBefore && a.expiresAt === b.expiresAt;
}

function addTo(index: Map<string, Group>, key: string | undefined, session: RegisteredSession): void {
  if (key === undefined) return;
  const group = index.get(key);
  if (group === undefined) index.set(key, session);
  else if (group instanceof Set) group.add(session);
  else if (group !== session) index.set(key, new Set([group, session]));
}

function removeFrom(index: Map<string, Group>, key: string | undefined, session: RegisteredSession): void {
  if (key === undefined) return;
  const group = index.get(key);
  if (group === session) index.delete(key);
  else if (group instanceof Set && group.delete(session) && group.size <= 1) {
    const [last] = group;
    if (last) index.set(key, last);
    else index.delete(key);
  }
}

/** A snapshot: dropping a session while iterating changes its group. */
function membersOf(group: Group | undefined): RegisteredSession[] {
  if (group === undefined) return [];
  return group instanceof Set ? [...group] : [group];
}

/** Gives the function `authorize()` returns its `revoke()` and live `sessionCount`. */
export function withSessionControl<F extends (...args: any[]) => void>(fn: F, sessions: SessionRegistry, watch: (nsp: Namespace) => void): F & SessionControl {
  return Object.defineProperties(fn, {
    revoke: { value: (rule: RevocationRule) => sessions.revoke(rule), enumerable: true },
    sessionCount: { get: () => sessions.sessionCount, enumerable: true },
    watch: { value: (target: Namespace | Server) => watch(typeof (target as Server).of === 'function' ? (target as Server).sockets : (target as Namespace)), enumerable: true },
  }) as F & SessionControl;
}
