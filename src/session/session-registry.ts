import type { Namespace, Server, Socket } from 'socket.io';
import type { PropertyNames } from './attach.js';
import type { AuthGate } from './auth-gate.js';
import type { Authenticate } from '../verify/authenticate.js';
import type { CompiledGuards } from './claim-guards.js';
import { UnauthorizedError } from '../errors/errors.js';
import { subjectOf, normalizeIdentity, tokenRef, type IdentitySettings } from '../verify/identity.js';
import type { JwtClaims } from '../options/jwt.js';
import { storeRevokes, type RevocationSettings } from '../revocation/revocation.js';
import { ruleCovers, storedRule, type RevocationRule, type StoredRule, type TokenRef } from '../revocation/revocation-store.js';
import type { LifetimeSettings } from './session-lifetime.js';
import type { RefreshLimitOptions } from './rate-limit.js';
import { recoversConnections } from '../socketio/socketio-seams.js';
import * as refuse from '../errors/refusals.js';

/** Everything a live session needs, decided once by `authorize()`. */
export interface SessionSettings {
  authenticate: Authenticate<unknown>;
  /** `authenticate` behind the failure limit, with metrics and logging: what the modes call. */
  gate: AuthGate;
  refreshLimit: Required<RefreshLimitOptions>;
  names: PropertyNames;
  lifetime: LifetimeSettings;
  revocation: RevocationSettings;
  guards: CompiledGuards | undefined;
  /** True when `customDecoded` reshapes claims: stored claims then cannot be re-checked. */
  claimsReshaped: boolean;
  identity: IdentitySettings;
  /** False with `required: false`: sockets without a token are admitted anonymously. */
  required: boolean;
}

/**
 * What sockjwt keeps in `socket.data` beside the claims when the server recovers
 * connections, so a recovered socket keeps its place in time: when its session began
 * (`maxSessionMs`) and since when its token has been held (revocation).
 */
export interface RecoveryRecord {
  since: number;
  heldSince: number;
}
export const RECOVERY_RECORD = 'sockjwt';

/** What the registry holds of a live socket (a RegisteredSession; declared here so imports flow one way). */
export interface RegisteredSession {
  readonly socket: Socket;
  readonly state: string;
  /** The current token's verified payload; set while registered. */
  readonly payload: JwtClaims | undefined;
  readonly heldSince: number;
  drop(error: UnauthorizedError): void;
}

/** Rules remembered for verifications in flight; more arriving during one verification refuses it (fail closed). */
const RECENT_RULES = 1024;

/** What `authorize()` returns besides the middleware: the live sessions it keeps. */
export interface SessionControl {
  /**
   * Revokes a token (`{ jti }`) or a subject's tokens (`{ sub, issuedBefore? }`): every
   * matching live socket is sent `unauthorized` (reason `revoked`) and disconnected, and
   * the tokens are refused until they expire. Resolves with the number of sockets dropped
   * by this `authorize()` (other namespaces and nodes sharing the store drop theirs).
   *
   * @example
   * ```ts
   * await auth.revoke({ jti: claims.jti });          // one token (a logout)
   * await auth.revoke({ sub: 'user-42' });           // every token of a user issued until now
   * ```
   */
  revoke(rule: RevocationRule): Promise<number>;
  /** Authenticated sockets currently live under this `authorize()`. */
  readonly sessionCount: number;
  /**
   * Guards a namespace (a Server: its main one) from now on, instead of from its first
   * connection: connection state recovery, and each socket taken in hand before any `connect`
   * or `connection` listener of the app's (held, in message mode). Call it at startup, after
   * installing the adapter, for each namespace this `authorize()` serves: a client recovering to
   * a node that no client has reached yet (the Redis Streams adapter keeps sessions in Redis)
   * would otherwise skip every check, and the namespace's first socket would reach the app's
   * `connect` listeners before sockjwt.
   */
  watch(target: Namespace | Server): void;
}

/**
 * The sessions under one `sub` or `jti`: the session itself while it is the only one (a
 * `jti` always is, a `sub` usually), a Set from the second on. A Set per key would cost
 * ~150 B per session in each index.
 */
type Group = RegisteredSession | Set<RegisteredSession>;

/**
 * The live sessions of one `authorize()`, indexed by `sub` and `jti` so a revocation
 * finds its sockets without walking them all.
 */
export class SessionRegistry implements Omit<SessionControl, 'watch'> {
  private readonly bySub = new Map<string, Group>();
  private readonly byJti = new Map<string, Group>();
  private count = 0;
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
  readonly guardsRooms: boolean;

  constructor(readonly settings: SessionSettings) {
    const { store } = settings.revocation;
    store.subscribe((rule) => this.dropMatching(rule));
    store.onMissedRules?.(() => void this.recheckAll());
    this.guardsRooms = settings.guards !== undefined && settings.guards.rooms.length > 0;
  }

  get sessionCount(): number {
    return this.count;
  }

  get required(): boolean {
    return this.settings.required;
  }

  async revoke(rule: RevocationRule): Promise<number> {
    const stored = storedRule(rule, this.settings.revocation.retentionMs, Date.now());
    // Drop first: a store that fails must not leave the revoked sockets connected.
    const dropped = this.dropMatching(stored);
    await this.settings.revocation.store.add(stored);
    return dropped;
  }

  dropMatching(rule: StoredRule): number {
    this.remember(rule);
    const candidates = membersOf('jti' in rule ? this.byJti.get(rule.jti) : this.bySub.get(rule.sub));
    let dropped = 0;
    for (const session of candidates) {
      if (!ruleCovers(rule, this.heldRef(session.payload!, session.heldSince))) continue;
      session.drop(refuse.revoked());
      dropped++;
    }
    return dropped;
  }

  /**
   * The commit point of a verification that began at `since`: a rule heard meanwhile that
   * covers the token refuses it. Too many rules meanwhile to tell: refused as unavailable.
   */
  revokedSince(since: number, payload: JwtClaims, presentedAt: number): UnauthorizedError | undefined {
    if (this.generation === since) return undefined;
    if (this.evictedThrough > since) return refuse.revocationUnavailable();
    const ref = this.heldRef(payload, presentedAt);
    for (let i = this.recent.length - 1; i >= 0 && this.recent[i]!.heardAt > since; i--) {
      if (ruleCovers(this.recent[i]!.rule, ref)) return refuse.revoked();
    }
    return undefined;
  }

  /**
   * A token this process has held since `heldSince` was issued before then, whatever its
   * `iat` says: its reference for a rule is never later than that second.
   */
  heldRef(payload: JwtClaims, heldSince: number): TokenRef {
    const ref = tokenRef(payload, this.settings.identity);
    const heldSecond = Math.floor(heldSince / 1000);
    if (ref.iat === undefined || ref.iat > heldSecond) ref.iat = heldSecond;
    return ref;
  }

  /**
   * Asks the store again about every live session that a rule could name. Runs after the
   * store may have missed rules, and after an outage in which `'open'` admitted tokens
   * unchecked. Stops at the first failure: the next recovery runs it again.
   */
  async recheckAll(): Promise<number> {
    const sessions = new Set<RegisteredSession>();
    for (const index of [this.bySub, this.byJti]) for (const group of index.values()) for (const session of membersOf(group)) sessions.add(session);
    const { revocation } = this.settings;
    let dropped = 0;
    try {
      const verdicts = await Promise.all([...sessions].map(async (session) => [session, await storeRevokes(revocation, this.heldRef(session.payload!, session.heldSince))] as const));
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

  /** Beside the claims in `socket.data`, when the server recovers connections: what recovery needs to apply the same rules. */
  keepRecoveryRecord(socket: Socket, since: number, heldSince: number): void {
    if (recoversConnections(socket.nsp)) (socket.data as Record<string, unknown>)[RECOVERY_RECORD] = { since, heldSince } satisfies RecoveryRecord;
  }

  add(session: RegisteredSession): void {
    this.count++;
    this.index(session, session.payload!);
    this.settings.gate.session(session.socket, session.payload!, 'session_opened');
  }

  remove(session: RegisteredSession): void {
    this.count--;
    this.unindex(session, session.payload!);
    this.settings.gate.session(session.socket, session.payload!, 'session_closed');
  }

  /** A refresh may carry a new `jti`. */
  reindex(session: RegisteredSession, previous: JwtClaims): void {
    this.unindex(session, previous);
    this.index(session, session.payload!);
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

  private index(session: RegisteredSession, payload: JwtClaims): void {
    addTo(this.bySub, subjectOf(payload, this.settings.identity), session);
    addTo(this.byJti, normalizeIdentity(payload.jti), session);
  }

  private unindex(session: RegisteredSession, payload: JwtClaims): void {
    removeFrom(this.bySub, subjectOf(payload, this.settings.identity), session);
    removeFrom(this.byJti, normalizeIdentity(payload.jti), session);
  }
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
