import type { Socket } from 'socket.io';
import { runHooks } from './app-hooks.js';
import { ackRefusal, guardRefusal, leaveForbiddenRooms } from './claim-guards.js';
import type { Identity, PropertyNames, SessionContext } from './context.js';
import { asUnauthorizedError, UnauthorizedError } from '../errors/errors.js';
import { cookieValue } from '../util/cookies.js';
import { RefreshBudget } from './rate-limit.js';
import { observed, reportDrop, reportRefusal, reportSession } from './report.js';
import { endOfLife, Expiring, remainingMs, sessionDeadline } from './expiry.js';
import type { RegisteredSession } from './session-registry.js';
import {
  emitLocally,
  holdOutOfNamespace,
  installGate,
  isSocketMember,
  recoversConnections,
  releaseIntoNamespace,
  replayEmit,
  sendToClient,
  settleDroppedEmit,
  type Ack,
  type EmitFlags,
  type SocketGate,
} from '../socketio/socketio-seams.js';
import { checkNotRevoked, tokenRef } from '../revocation/revocation.js';
import * as refuse from '../errors/refusals.js';
import type { AckAccepted, AuthStage, JwtClaims, LifetimeNotice } from '../types.js';

/** Server-side namespace event after an in-band refresh: `(socket, previousClaims)`. */
export const TOKEN_REFRESHED = 'token_refreshed';

/** The event a client sends its token with: after connect (message mode) and for every in-band refresh. */
const AUTHENTICATE = 'authenticate';

/** `authenticate`'s payload is `{ token }`; anything else carries no token. */
function tokenOf(args: readonly unknown[]): unknown {
  const payload = args[0];
  return typeof payload === 'object' && payload !== null ? (payload as { token?: unknown }).token : undefined;
}

/** The token in the handshake request's cookie `name`, if one is configured and present. */
function cookieToken(socket: Socket, name: string | undefined): string | undefined {
  return name === undefined ? undefined : cookieValue(socket.handshake.headers.cookie, name);
}

function ackAccepted(notice: LifetimeNotice): AckAccepted {
  return { ok: true, exp: notice.exp, expiresInMs: notice.expiresInMs };
}

/**
 * Where a socket is in its life. Every transition is a method of SocketSession below:
 *
 *   held ──authenticate──▶ verifying ──commit──▶ live ◀──┐
 *   anonymous ─authenticate─┘     └──refuse──▶ closed    refreshing (commit or refusal)
 *   live ──authenticate──▶ refreshing ───────────────────┘
 *   live/refreshing ──expiry, revocation, disconnect──▶ closed
 *
 * `held`: message mode, credentials required, not yet authenticated: out of the namespace.
 * `anonymous`: `required: false` without a token: in the namespace, with no claims.
 */
export type SessionState = 'held' | 'anonymous' | 'verifying' | 'live' | 'refreshing' | 'closed';

/** Where a verification began: the commit point refuses a token that a rule heard since covers. */
export interface Ticket {
  /** The registry's revocation generation when the verification began. */
  generation: number;
  /** When the token was presented (ms): it was issued before then, whatever its `iat` says. */
  presentedAt: number;
}

interface HeldEmit {
  args: [string, ...unknown[]];
  flags: EmitFlags;
}

/** What a held socket was asked to do meanwhile: done on admission, undone on refusal. */
interface Hold {
  rooms: Set<string>;
  emits: HeldEmit[];
}

/** Handshake mode: verified by the middleware, committed when socket.io connects the socket. */
interface Pending extends Ticket {
  identity: Identity<unknown>;
}

let warnedAboutPropertyNames = false;

/**
 * Handshake mode sends `authenticated { exp, expiresInMs }` after the connection is admitted only
 * to a client that asks (`auth: { token, lifetime: true }`, as sockjwt's client helpers do): it is
 * a second packet per connection that a plain socket.io client, or one migrated from socketio-jwt,
 * would never read.
 */
function asksForLifetime(socket: Socket): boolean {
  return (socket.handshake.auth as { lifetime?: unknown } | undefined)?.lifetime === true;
}

/**
 * One socket, from its handshake to its disconnect: the only owner of its state. It answers
 * the seams (socketio-seams.ts) for every event the client sends, so the `authenticate`
 * consumer, the hold and the claim guards always run before the app sees anything, and it
 * is the live session the registry drops on expiry or revocation.
 *
 * Every identity goes live through `begin()` → `authenticate` → `commit()`: at connect, at a
 * refresh (recovery commits claims authenticated before).
 */
export class SocketSession extends Expiring implements SocketGate, RegisteredSession {
  state: SessionState = 'verifying';
  /** The verified payload of the current token: expiry, revocation and refresh look at this. */
  payload: JwtClaims | undefined = undefined;
  /** When the current token was presented (ms): it was issued before then, whatever its `iat` says. */
  presentedAt = 0;
  private claims: unknown = undefined;
  /** When the socket was first authenticated (ms): `maxSessionMs` counts from here. */
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined = undefined;
  private hold: Hold | undefined = undefined;
  private pending: Pending | undefined = undefined;
  /** Made at the first refresh: most sockets never refresh, and each byte counts ×10k. */
  private refreshBudget: RefreshBudget | undefined = undefined;

  constructor(
    readonly socket: Socket,
    readonly ctx: SessionContext,
  ) {
    super();
    installGate(socket, this, ctx.guardsRooms);
  }

  // ───────────────────────────── entry: how a socket starts ─────────────────────────────

  /** Message mode, credentials required: out of the namespace until a valid `authenticate`, refused after `timeoutMs`. */
  holdUntilAuthenticated(): void {
    this.state = 'held';
    if (this.socket.recovered) this.disownRestored();
    this.hold = { rooms: holdOutOfNamespace(this.socket), emits: [] };
    this.timer = setTimeout(() => this.onTimeout(), this.ctx.timeoutMs);
  }

  /**
   * `required: false` without a token: in the namespace, no claims; an `authenticate` may still
   * come. A recovered socket's restored session is not its own (else it would be resumed).
   */
  admitAnonymously(): void {
    this.state = 'anonymous';
    if (this.socket.recovered) this.disownRestored();
  }

  /** A recovered socket whose stored session was anonymous too: what socket.io restored is its own. */
  resumeAnonymously(): void {
    this.state = 'anonymous';
  }

  /** A recovered socket starting afresh: the claims and rooms socket.io restored belong to whoever authenticated before. */
  private disownRestored(): void {
    forgetIdentity(this.socket, this.ctx.names);
    for (const room of [...this.socket.rooms]) if (room !== this.socket.id) void this.socket.leave(room);
  }

  /**
   * Handshake mode, in the middleware: verified now, so a refusal is the client's `connect_error`
   * (and checked against the rules heard meanwhile for the same reason); the claims go on the
   * socket for the app's later middlewares; the commit comes when socket.io connects it.
   */
  verifyHandshake(token: unknown, next: (err?: Error) => void): void {
    const ticket = this.begin();
    this.verify(token, 'connect', undefined, (identity) => this.verified(ticket, identity, next), next);
  }

  private verified(ticket: Ticket, identity: Identity<unknown>, next: (err?: Error) => void): void {
    const refusal = this.revokedDuring(ticket, identity) ?? this.attach(identity);
    if (refusal) {
      reportRefusal(this.ctx, this.socket, refusal, 'connect', identity.payload);
      return next(refusal);
    }
    // A literal, not `{ ...ticket, identity }`: the spread took 4–5 µs per handshake in the profile (bench/RESULTS.md).
    this.pending = { generation: ticket.generation, presentedAt: ticket.presentedAt, identity };
    next();
  }

  /** Handshake mode, the socket connected (before the app's `connect` listeners): its commit. */
  onConnected(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) {
      // Only a socket the middleware never finished with gets here: fail closed.
      if (this.state === 'verifying') this.refuseFirst(refuse.credentialsRequired(), undefined, false);
      return;
    }
    const refusal = this.commit(pending, pending.identity, 'connect', true);
    if (refusal) return this.refuseFirst(refusal, undefined);
    if (asksForLifetime(this.socket)) this.tellAuthenticated(undefined);
  }

  /**
   * A socket socket.io recovered with stored claims the recovery guard accepted, checked from
   * revocation generation `generation`: committed like any other, a rule heard since wins.
   */
  resume(payload: JwtClaims, startedAt: number, presentedAt: number, generation: number): void {
    this.startedAt = startedAt;
    const refusal = this.commit({ generation, presentedAt }, { token: undefined, payload, claims: payload }, 'connect');
    if (refusal) return this.refuseFirst(refusal, undefined);
    if (!this.ctx.handshake || asksForLifetime(this.socket)) this.tellAuthenticated(undefined);
  }

  /** Refused as it connects, before any token is looked at (a handshake unsafe to ship): at once, no acknowledgement awaited. */
  refuseAtConnect(error: UnauthorizedError): void {
    reportRefusal(this.ctx, this.socket, error, 'connect');
    this.refuseFirst(error, undefined, false);
  }

  // ───────────────────────────── the seams ask ─────────────────────────────

  get isHeld(): boolean {
    return this.hold !== undefined;
  }

  admitEvent(event: string | number, args: unknown[], ack: Ack | undefined): boolean {
    if (event === AUTHENTICATE) {
      this.onAuthenticate(tokenOf(args) ?? cookieToken(this.socket, this.ctx.tokenCookie), ack);
      return false;
    }
    if (this.hold || this.state === 'closed') return false;
    const refusal = guardRefusal(this.ctx.guards, this.currentClaims(), event);
    if (!refusal) return true;
    ack?.(ackRefusal(refusal));
    return false;
  }

  allowedRooms(rooms: string[]): string[] {
    return rooms.filter((room) => !this.roomRefusal(room));
  }

  roomRefusal(room: string): UnauthorizedError | undefined {
    if (room === this.socket.id) return undefined;
    return guardRefusal(this.ctx.guards, this.currentClaims(), room, 'room');
  }

  holdEmit(args: [string, ...unknown[]], flags: EmitFlags): void {
    if (this.state === 'closed') return settleDroppedEmit(args, flags);
    this.hold?.emits.push({ args, flags });
  }

  holdJoin(rooms: string[]): void {
    for (const room of rooms) this.hold?.rooms.add(room);
  }

  holdLeave(room: string): void {
    this.hold?.rooms.delete(room);
  }

  onDisconnect(): void {
    this.end();
  }

  // ───────────────────────────── `authenticate` messages: first time and refresh ─────────────────────────────

  private onAuthenticate(token: unknown, ack: Ack | undefined): void {
    switch (this.state) {
      case 'held':
      case 'anonymous':
        return this.authenticateFirst(token, ack);
      case 'live':
        return this.refresh(token, ack);
      case 'verifying':
      case 'refreshing':
        ack?.(ackRefusal(refuse.busy()));
        return;
      case 'closed':
        return;
    }
  }

  private authenticateFirst(token: unknown, ack: Ack | undefined): void {
    this.state = 'verifying';
    const ticket = this.begin();
    this.verify(token, 'connect', undefined, (identity) => this.admit(ticket, identity, ack), (error) => this.refuseFirst(error, ack));
  }

  private admit(ticket: Ticket, identity: Identity<unknown>, ack: Ack | undefined): void {
    if (this.state !== 'verifying') return;
    const refusal = this.commit(ticket, identity, 'connect');
    if (refusal) return this.refuseFirst(refusal, ack);
    this.clearTimer();
    const hold = this.hold;
    this.hold = undefined;
    if (hold) releaseIntoNamespace(this.socket, hold.rooms, this.ctx.guardsRooms);
    // The app hears first (socketio-jwt #123): its handlers may join rooms or emit before the client acts.
    emitLocally(this.socket.nsp, 'authenticated', this.socket);
    this.tellAuthenticated(ack);
    if (hold) for (const { args, flags } of hold.emits) replayEmit(this.socket, args, flags);
  }

  private refresh(token: unknown, ack: Ack | undefined): void {
    const wait = (this.refreshBudget ??= new RefreshBudget(this.ctx.refreshLimit)).spend();
    if (wait > 0) {
      const error = refuse.rateLimited(wait, 'too many refreshes on this socket');
      reportRefusal(this.ctx, this.socket, error, 'refresh', this.payload);
      return this.refuseRefresh(error, ack);
    }
    this.state = 'refreshing';
    const ticket = this.begin();
    this.verify(token, 'refresh', this.payload, (identity) => this.acceptRefresh(ticket, identity, ack), (error) => this.refuseRefresh(error, ack));
  }

  private acceptRefresh(ticket: Ticket, identity: Identity<unknown>, ack: Ack | undefined): void {
    if (this.state !== 'refreshing') return;
    const previousClaims = this.claims;
    const refusal = this.commit(ticket, identity, 'refresh');
    if (refusal) return this.refuseRefresh(refusal, ack);
    leaveForbiddenRooms(this.socket, this.ctx.guards, this.claims);
    emitLocally(this.socket.nsp, TOKEN_REFRESHED, this.socket, previousClaims);
    this.tellAuthenticated(ack);
  }

  /** The current token still holds until it expires; the client is told the new one did not. */
  private refuseRefresh(error: UnauthorizedError, ack: Ack | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'live';
    sendToClient(this.socket, 'unauthorized', [error.toJSON()]);
    ack?.(ackRefusal(error));
  }

  // ───────────────────────────── begin → authenticate (token, revocation, hooks) → commit ─────────────────────────────

  /** A verification begins: the rules heard from now on can still refuse it at its commit. */
  private begin(): Ticket {
    return { generation: this.ctx.sessions.generation, presentedAt: Date.now() };
  }

  /**
   * Verifies a token, calling back synchronously when the verification is synchronous (a static
   * key, the in-memory store, no hooks): one Promise less per handshake.
   */
  private verify(token: unknown, stage: AuthStage, current: JwtClaims | undefined, accepted: (identity: Identity<unknown>) => void, refused: (error: UnauthorizedError) => void): void {
    let result: Identity<unknown> | Promise<Identity<unknown>>;
    try {
      result = this.authenticate(token, stage, current);
    } catch (error) {
      return refused(asRefusal(error));
    }
    if (result instanceof Promise) result.then(accepted, (error: unknown) => refused(asRefusal(error)));
    else accepted(result);
  }

  /**
   * One authentication, at connect and at every refresh, in both modes: the token (verify/), then
   * its revocation, then the app's hooks, then (a refresh) the rule that the socket stays whose it
   * was. `current` is the live session's payload on a refresh. Returns the identity, or throws /
   * rejects with an UnauthorizedError. Synchronous when every step is (a static key, the in-memory
   * store, no hooks, no `rateLimit`, `metrics` or `logger`): the common handshake costs no Promise.
   */
  private authenticate(token: unknown, stage: AuthStage, current: JwtClaims | undefined): Identity<unknown> | Promise<Identity<unknown>> {
    const { ctx } = this;
    if (ctx.limiter === undefined && ctx.observe === undefined) return this.identify(token, current);
    return observed(ctx, this.socket, stage, current, () => this.identify(token, current));
  }

  private identify(token: unknown, current: JwtClaims | undefined): Identity<unknown> | Promise<Identity<unknown>> {
    const payload = this.ctx.checkToken(this.socket.request, token);
    if (payload instanceof Promise) return payload.then((verified) => this.notRevoked(token as string, verified, current));
    return this.notRevoked(token as string, payload, current);
  }

  /** Most servers never revoke: an empty in-memory store, with no `isRevoked` hook beside it, is not asked. */
  private notRevoked(token: string, payload: JwtClaims, current: JwtClaims | undefined): Identity<unknown> | Promise<Identity<unknown>> {
    const { revocation, identity } = this.ctx;
    const checked = revocation.isRevoked === undefined && revocation.memoryStore?.empty ? undefined : checkNotRevoked(revocation, tokenRef(payload, identity), payload, token);
    if (checked !== undefined) return checked.then(() => this.withHooks(token, payload, current));
    return this.withHooks(token, payload, current);
  }

  private withHooks(token: string, payload: JwtClaims, current: JwtClaims | undefined): Identity<unknown> | Promise<Identity<unknown>> {
    if (this.ctx.additionalAuth === undefined && this.ctx.customDecoded === undefined) return this.sameOwner({ token, payload, claims: payload }, current);
    return runHooks(this.ctx, token, payload).then((identity) => this.sameOwner(identity, current));
  }

  private sameOwner(identity: Identity<unknown>, current: JwtClaims | undefined): Identity<unknown> {
    const refusal = current && this.ctx.refreshRule(current, identity.payload);
    if (refusal) throw refusal;
    return identity;
  }

  /**
   * The commit point, the only one: a rule heard since `ticket` began that covers the token
   * refuses it; else the identity goes live. A recovered socket's restored rooms pass the room
   * guards here.
   */
  private commit(ticket: Ticket, identity: Identity<unknown>, stage: AuthStage, attached = false): UnauthorizedError | undefined {
    const refusal = this.revokedDuring(ticket, identity) ?? (attached ? undefined : this.attach(identity));
    if (refusal) {
      reportRefusal(this.ctx, this.socket, refusal, stage, identity.payload);
      return refusal;
    }
    const first = this.payload === undefined;
    this.goLive(identity, ticket.presentedAt);
    if (first && this.socket.recovered) leaveForbiddenRooms(this.socket, this.ctx.guards, this.claims);
    return undefined;
  }

  private revokedDuring(ticket: Ticket, identity: Identity<unknown>): UnauthorizedError | undefined {
    return this.ctx.sessions.revokedSince(ticket.generation, identity.payload, ticket.presentedAt);
  }

  /**
   * Claims on the socket and in `socket.data`. The first time, a claims property named after a
   * Socket member (checked at `authorize()` against the typings, here against the socket.io
   * actually running) would overwrite it: refused.
   */
  private attach(identity: Identity<unknown>): UnauthorizedError | undefined {
    if (this.payload === undefined) {
      const refusal = this.propertyNamesRefusal();
      if (refusal) return refusal;
    }
    attachIdentity(this.socket, identity, this.ctx.names);
    return undefined;
  }

  // ───────────────────────────── live ─────────────────────────────

  /** Installs a committed identity: counted, one deadline for the socket's life, what recovery needs. */
  private goLive(identity: Identity<unknown>, presentedAt: number): void {
    const previous = this.payload;
    if (previous === undefined && this.startedAt === 0) this.startedAt = Date.now();
    this.payload = identity.payload;
    this.claims = identity.claims;
    this.presentedAt = presentedAt;
    this.state = 'live';
    keepRecoveryRecord(this.socket, this.startedAt, presentedAt);
    if (previous === undefined) {
      this.ctx.sessions.add(this);
      if (this.ctx.observe) reportSession(this.ctx, this.socket, identity.payload, 'session_opened');
    } else {
      this.ctx.sessions.reindex(this, previous);
    }
    this.scheduleExpiry();
  }

  private tellAuthenticated(ack: Ack | undefined): void {
    const notice = this.lifetimeNotice();
    sendToClient(this.socket, 'authenticated', [notice]);
    ack?.(ackAccepted(notice));
  }

  /** `exp` as the token says, and the server's own view of the time left, immune to the client's clock. */
  private lifetimeNotice(): LifetimeNotice {
    const payload = this.payload!;
    return { exp: typeof payload.exp === 'number' ? payload.exp : null, expiresInMs: remainingMs(payload, this.startedAt, this.ctx.lifetime) };
  }

  /** Called by the expiry scheduler once the socket's deadline has passed. */
  expire(): void {
    if (!this.payload) return;
    this.drop(endOfLife(this.payload, this.startedAt, this.ctx.lifetime) ?? refuse.expired());
  }

  /** Tells the client why, then disconnects it. */
  drop(error: UnauthorizedError): void {
    if (this.state === 'closed') return;
    if (this.payload) reportDrop(this.ctx, this.socket, this.payload, error);
    this.end();
    sendToClient(this.socket, 'unauthorized', [error.toJSON()]);
    this.socket.disconnect();
  }

  /** One deadline for the socket's life: a refresh moves it, or cancels it when the new token has none. */
  private scheduleExpiry(): void {
    const { lifetime } = this.ctx;
    const deadline = sessionDeadline(this.payload!, this.startedAt, lifetime);
    if (deadline !== undefined) lifetime.scheduler.schedule(deadline, this);
    else this.cancelExpiry();
  }

  // ───────────────────────────── refusal and the end ─────────────────────────────

  /** A first authentication failed (or timed out): tell the client, then disconnect. */
  private refuseFirst(error: UnauthorizedError, ack: Ack | undefined, callback = this.ctx.callback): void {
    if (this.state === 'closed') return;
    this.end();
    ack?.(ackRefusal(error));
    if (callback === false) {
      sendToClient(this.socket, 'unauthorized', [error.toJSON()]);
      this.socket.disconnect();
      return;
    }
    sendToClient(this.socket, 'unauthorized', [error.toJSON()], () => this.socket.disconnect());
    this.timer = setTimeout(() => this.socket.disconnect(), callback);
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.state !== 'held' && this.state !== 'verifying') return;
    const error = refuse.authenticationTimeout(this.ctx.timeoutMs);
    reportRefusal(this.ctx, this.socket, error, 'connect');
    // The client had its time: no further wait for an acknowledgement.
    this.refuseFirst(error, undefined, false);
  }

  /** Closed for good: expiry cancelled, uncounted, held emits settled. Safe to call twice. */
  private end(): void {
    const wasLive = this.state === 'live' || this.state === 'refreshing';
    this.state = 'closed';
    this.pending = undefined;
    this.clearTimer();
    if (this.hold) {
      for (const { args, flags } of this.hold.emits) settleDroppedEmit(args, flags);
      this.hold.emits = [];
      this.hold.rooms.clear();
    }
    if (!wasLive) return;
    this.cancelExpiry();
    this.ctx.sessions.remove(this);
    if (this.ctx.observe) reportSession(this.ctx, this.socket, this.payload!, 'session_closed');
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private currentClaims(): unknown {
    return this.state === 'live' || this.state === 'refreshing' ? this.claims : undefined;
  }

  private propertyNamesRefusal(): UnauthorizedError | undefined {
    const { decoded, encoded } = this.ctx.names;
    const clash = isSocketMember(this.socket, decoded) ? decoded : isSocketMember(this.socket, encoded) ? encoded : undefined;
    if (clash === undefined) return undefined;
    if (!warnedAboutPropertyNames) {
      warnedAboutPropertyNames = true;
      process.emitWarning(`sockjwt: the claims property "${clash}" is a member of this socket.io's Socket; every authentication is refused`, { code: 'SOCKJWT_PROPERTY_NAME' });
    }
    return refuse.internal();
  }
}

function asRefusal(error: unknown): UnauthorizedError {
  return asUnauthorizedError(error, (cause) => refuse.internal(undefined, cause));
}

// ───────────────────────────── where the identity lives on the socket ─────────────────────────────

/**
 * What sockjwt keeps in `socket.data` beside the claims when the server recovers connections,
 * so a recovered socket keeps its place in time: when its session began (`maxSessionMs`) and
 * when its token was presented (revocation).
 */
export interface RecoveryRecord {
  startedAt: number;
  presentedAt: number;
}
export const RECOVERY_RECORD = 'sockjwt';

/**
 * Claims go on the socket (socketio-jwt's place) and in `socket.data`, which socket.io
 * serialises for `fetchSockets()` across a cluster. The raw token stays on this process's
 * socket object only: it is a bearer credential and must not travel between nodes.
 */
function attachIdentity(socket: Socket, identity: Identity<unknown>, names: PropertyNames): void {
  const target = socket as unknown as Record<string, unknown>;
  target[names.decoded] = identity.claims;
  target[names.encoded] = identity.token;
  (socket.data as Record<string, unknown>)[names.decoded] = identity.claims;
}

/** A recovered socket admitted without a token: the previous owner's claims, restored by socket.io, are not its own. */
function forgetIdentity(socket: Socket, names: PropertyNames): void {
  const data = socket.data as Record<string, unknown> | undefined;
  if (data) {
    delete data[names.decoded];
    delete data[RECOVERY_RECORD];
  }
  const target = socket as unknown as Record<string, unknown>;
  if (target[names.decoded] !== undefined) target[names.decoded] = undefined;
  if (target[names.encoded] !== undefined) target[names.encoded] = undefined;
}

/** Beside the claims in `socket.data`, when the server recovers connections: what recovery needs to apply the same rules. */
function keepRecoveryRecord(socket: Socket, startedAt: number, presentedAt: number): void {
  if (recoversConnections(socket.nsp)) (socket.data as Record<string, unknown>)[RECOVERY_RECORD] = { startedAt, presentedAt } satisfies RecoveryRecord;
}
