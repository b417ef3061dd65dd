import type { Socket } from 'socket.io';
import type { PropertyNames } from './attach.js';
import type { AuthGate } from './auth-gate.js';
import type { Authenticate, Identity } from './authenticate.js';
import type { CompiledGuards } from './claim-guards.js';
import { LiveSession } from './live-session.js';
import type { JwtClaims } from './options.js';
import { revokedError, storeRevokes, type RevocationSettings } from './revocation.js';
import { ruleCovers, storedRule, type RevocationRule, type StoredRule } from './revocation-store.js';
import type { LifetimeSettings } from './session-lifetime.js';
import type { RefreshLimitOptions } from './rate-limit.js';

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
}

/** What `authorize()` returns besides the middleware: the live sessions it keeps. */
export interface SessionControl {
  /**
   * Revokes a token (`{ jti }`) or a subject's tokens (`{ sub, issuedBefore? }`): every
   * matching live socket is sent `unauthorized` (reason `revoked`) and disconnected, and
   * the tokens are refused until they expire. Resolves with the number of sockets dropped
   * by this `authorize()` (other namespaces and nodes sharing the store drop theirs).
   */
  revoke(rule: RevocationRule): Promise<number>;
  /** Authenticated sockets currently live under this `authorize()`. */
  readonly sessionCount: number;
}

/**
 * The sessions under one `sub` or `jti`: the session itself while it is the only one (a
 * `jti` always is, a `sub` usually), a Set from the second on. A Set per key would cost
 * ~150 B per session in each index.
 */
type Group = LiveSession | Set<LiveSession>;

/**
 * The live sessions of one `authorize()`, indexed by `sub` and `jti` so a revocation
 * finds its sockets without walking them all.
 */
export class SessionRegistry implements SessionControl {
  private readonly bySub = new Map<string, Group>();
  private readonly byJti = new Map<string, Group>();
  private count = 0;

  constructor(readonly settings: SessionSettings) {
    const { store } = settings.revocation;
    store.subscribe((rule) => this.dropMatching(rule));
    store.onMissedRules?.(() => void this.recheckAll());
  }

  get sessionCount(): number {
    return this.count;
  }

  /**
   * Starts the live session of a socket that has just been admitted. `listenForRefresh`:
   * the session takes `authenticate` messages itself (message mode routes them to it).
   */
  open(socket: Socket, identity: Identity<unknown>, listenForRefresh = false): LiveSession {
    const session = new LiveSession(socket, identity, this);
    session.start(listenForRefresh);
    return session;
  }

  async revoke(rule: RevocationRule): Promise<number> {
    const stored = storedRule(rule, this.settings.revocation.retentionMs, Date.now());
    // Drop first: a store that fails must not leave the revoked sockets connected.
    const dropped = this.dropMatching(stored);
    await this.settings.revocation.store.add(stored);
    return dropped;
  }

  dropMatching(rule: StoredRule): number {
    const candidates = membersOf('jti' in rule ? this.byJti.get(rule.jti) : this.bySub.get(rule.sub));
    let dropped = 0;
    for (const session of candidates) {
      if (!ruleCovers(rule, session.payload)) continue;
      session.drop(revokedError());
      dropped++;
    }
    return dropped;
  }

  /**
   * Asks the store again about every live session that a rule could name. Runs after the
   * store may have missed rules, and after an outage in which `'open'` admitted tokens
   * unchecked. Stops at the first failure: the next recovery runs it again.
   */
  async recheckAll(): Promise<number> {
    const sessions = new Set<LiveSession>();
    for (const index of [this.bySub, this.byJti]) for (const group of index.values()) for (const session of membersOf(group)) sessions.add(session);
    const { revocation } = this.settings;
    let dropped = 0;
    try {
      const verdicts = await Promise.all([...sessions].map(async (session) => [session, await storeRevokes(revocation, session.payload)] as const));
      revocation.health.answered();
      for (const [session, revoked] of verdicts) {
        if (!revoked) continue;
        session.drop(revokedError());
        dropped++;
      }
    } catch (cause) {
      revocation.health.failed(cause);
    }
    return dropped;
  }

  add(session: LiveSession): void {
    this.count++;
    this.index(session, session.payload);
  }

  remove(session: LiveSession): void {
    this.count--;
    this.unindex(session, session.payload);
  }

  /** A refresh may carry a new `jti`. */
  reindex(session: LiveSession, previous: JwtClaims): void {
    this.unindex(session, previous);
    this.index(session, session.payload);
  }

  private index(session: LiveSession, payload: JwtClaims): void {
    addTo(this.bySub, payload.sub, session);
    addTo(this.byJti, payload.jti, session);
  }

  private unindex(session: LiveSession, payload: JwtClaims): void {
    removeFrom(this.bySub, payload.sub, session);
    removeFrom(this.byJti, payload.jti, session);
  }
}

function addTo(index: Map<string, Group>, key: unknown, session: LiveSession): void {
  if (typeof key !== 'string') return;
  const group = index.get(key);
  if (group === undefined) index.set(key, session);
  else if (group instanceof Set) group.add(session);
  else if (group !== session) index.set(key, new Set([group, session]));
}

function removeFrom(index: Map<string, Group>, key: unknown, session: LiveSession): void {
  if (typeof key !== 'string') return;
  const group = index.get(key);
  if (group === session) index.delete(key);
  else if (group instanceof Set && group.delete(session) && group.size <= 1) {
    const [last] = group;
    if (last) index.set(key, last);
    else index.delete(key);
  }
}

/** A snapshot: dropping a session while iterating changes its group. */
function membersOf(group: Group | undefined): LiveSession[] {
  if (group === undefined) return [];
  return group instanceof Set ? [...group] : [group];
}

/** Gives the function `authorize()` returns its `revoke()` and live `sessionCount`. */
export function withSessionControl<F extends (...args: any[]) => void>(fn: F, sessions: SessionRegistry): F & SessionControl {
  return Object.defineProperties(fn, {
    revoke: { value: (rule: RevocationRule) => sessions.revoke(rule), enumerable: true },
    sessionCount: { get: () => sessions.sessionCount, enumerable: true },
  }) as F & SessionControl;
}
