import type { Socket } from 'socket.io';
import { attachIdentity } from './attach.js';
import type { Identity } from '../verify/authenticate.js';
import { ackAccepted, AUTHENTICATE, cookieToken, tokenOf, type LifetimeNotice } from './authenticate-message.js';
import { ackRefusal, guardRefusal, leaveForbiddenRooms } from './claim-guards.js';
import { asUnauthorizedError, UnauthorizedError } from '../errors/errors.js';
import type { Expirable, ExpiryHandle } from './expiry-scheduler.js';
import type { JwtClaims } from '../options/jwt.js';
import { RefreshBudget } from './rate-limit.js';
import { endOfLife, remainingMs, sessionDeadline } from './session-lifetime.js';
import type { SessionRegistry } from './session-registry.js';
import {
  emitLocally,
  holdOutOfNamespace,
  installGate,
  isSocketMember,
  releaseIntoNamespace,
  replayEmit,
  sendToClient,
  settleDroppedEmit,
  type Ack,
  type EmitFlags,
  type SocketGate,
} from '../socketio/socketio-seams.js';
import * as refuse from '../errors/refusals.js';

/** Server-side namespace event after an in-band refresh: `(socket, previousClaims)`. */
export const TOKEN_REFRESHED = 'token_refreshed';

/**
 * Where a socket is in its life. Every transition is a method of SocketSession below:
 *
 *   held ──authenticate──▶ verifying ──admit──▶ live ◀──┐
 *   anonymous ─authenticate─┘     └──refuse──▶ closed   refreshing (refresh accepted or refused)
 *   live ──authenticate──▶ refreshing ──────────────────┘
 *   live/refreshing ──expiry, revocation, disconnect──▶ closed
 *
 * `held`: message mode, credentials required, not yet authenticated: out of the namespace.
 * `anonymous`: `required: false` without a token: in the namespace, with no claims.
 */
export type SessionState = 'held' | 'anonymous' | 'verifying' | 'live' | 'refreshing' | 'closed';

/** What differs between the modes once a socket has a session. */
export interface ModeSettings {
  /** false: disconnect at once; a number: ms to wait for the client's acknowledgement of `unauthorized`. */
  callback: false | number;
  /** Message mode: every admission is announced with `authenticated` (the client waits for it). */
  announceAdmission: boolean;
  /** Message mode's `cookie` option: the handshake cookie read when `authenticate` carries no token. */
  tokenCookie?: string | undefined;
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

/** Verified by the handshake middleware, committed when socket.io connects the socket. */
interface Admission {
  identity: Identity<unknown>;
  /** The registry's revocation generation when verification began. */
  since: number;
  presentedAt: number;
}

let warnedAboutPropertyNames = false;

/**
 * Handshake mode sends `authenticated { exp, expiresInMs }` after the connection is admitted only
 * to a client that asks (`auth: { token, lifetime: true }`, as sockjwt's client helpers do): it is
 * a second packet per connection (~45 µs of server CPU, bench/RESULTS.md) that a plain socket.io
 * client, or one migrated from socketio-jwt, would never read.
 */
function asksForLifetime(socket: Socket): boolean {
  return (socket.handshake.auth as { lifetime?: unknown } | undefined)?.lifetime === true;
}

/**
 * One socket, from its handshake to its disconnect: the only owner of its state. It answers
 * the seams (socketio-seams.ts) for every event the client sends, so the `authenticate`
 * consumer, the hold and the claim guards always run before the app sees anything, and it
 * is the live session the registry drops on expiry or revocation.
 */
export class SocketSession implements SocketGate, Expirable {
  state: SessionState = 'verifying';
  /** The verified payload of the current token: expiry, revocation and refresh look at this. */
  payload: JwtClaims | undefined = undefined;
  /** When this process first held the current token (ms): it was issued before then, whatever its `iat` says. */
  heldSince = 0;
  private claims: unknown = undefined;
  /** When the socket was first authenticated (ms): `maxSessionMs` counts from here. */
  private startedAt = 0;
  private expiry: ExpiryHandle | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  private hold: Hold | undefined = undefined;
  private admission: Admission | undefined = undefined;
  /** Made at the first refresh: most sockets never refresh, and each byte counts ×10k. */
  private refreshBudget: RefreshBudget | undefined = undefined;

  constructor(
    readonly socket: Socket,
    private readonly registry: SessionRegistry,
    private readonly mode: ModeSettings,
  ) {
    installGate(socket, this, registry.settings.guards !== undefined && registry.settings.guards.rooms.length > 0);
  }

  // ───────────────────────────── entry: how a socket starts ─────────────────────────────

  /** Message mode, credentials required: out of the namespace until a valid `authenticate`, refused after `timeoutMs`. */
  holdUntilAuthenticated(timeoutMs: number): void {
    this.state = 'held';
    this.hold = { rooms: new Set(holdOutOfNamespace(this.socket)), emits: [] };
    this.timer = setTimeout(() => this.onTimeout(timeoutMs), timeoutMs);
  }

  /** `required: false` without a token: in the namespace, no claims; an `authenticate` may still come. */
  admitAnonymously(): void {
    this.state = 'anonymous';
  }

  /** Handshake mode: verify in the middleware; the session goes live when socket.io connects it. */
  async verifyHandshake(token: unknown): Promise<void> {
    const since = this.registry.generation;
    const presentedAt = Date.now();
    const identity = await this.registry.settings.gate.authenticate(this.socket, token, 'connect');
    // Checked here so the client gets connect_error, and again at `connection` for what comes between.
    const refusal = this.registry.revokedSince(since, identity.payload, presentedAt) ?? this.propertyNamesRefusal();
    if (refusal) {
      this.registry.settings.gate.refused(this.socket, refusal, 'connect', identity.payload);
      throw refusal;
    }
    attachIdentity(this.socket, identity, this.registry.settings.names);
    this.admission = { identity, since, presentedAt };
  }

  /** Handshake mode, the socket connected (before the app's `connect` listeners): the commit point. A revocation heard since verification began wins. */
  onConnected(): void {
    const admission = this.admission;
    this.admission = undefined;
    if (!admission) {
      // Only a socket the middleware never finished with gets here: fail closed.
      if (this.state === 'verifying') this.refuseFirst(refuse.credentialsRequired(), undefined, false);
      return;
    }
    const revoked = this.registry.revokedSince(admission.since, admission.identity.payload, admission.presentedAt);
    if (revoked) return this.refuseFirst(revoked, undefined);
    // The middleware attached the claims already (later middlewares of the app's read them).
    this.goLive(admission.identity, admission.presentedAt, true);
    if (asksForLifetime(this.socket)) this.tellAuthenticated(undefined);
  }

  /**
   * A socket socket.io recovered with stored claims the recovery guard accepted, checked from
   * revocation generation `since`: the commit point, as at connect, where a rule heard since wins.
   */
  resume(payload: JwtClaims, startedAt: number, heldSince: number, since: number): void {
    const revoked = this.registry.revokedSince(since, payload, heldSince);
    if (revoked) {
      this.registry.settings.gate.refused(this.socket, revoked, 'connect', payload);
      return this.refuseFirst(revoked, undefined);
    }
    this.startedAt = startedAt;
    this.goLive({ token: undefined, payload, claims: payload }, heldSince);
    if (this.mode.announceAdmission || asksForLifetime(this.socket)) this.tellAuthenticated(undefined);
  }

  /** Refused as it connects, before any token is looked at (a handshake unsafe to ship): at once, no acknowledgement awaited. */
  refuseAtConnect(error: UnauthorizedError): void {
    this.registry.settings.gate.refused(this.socket, error, 'connect');
    this.refuseFirst(error, undefined, false);
  }

  // ───────────────────────────── the seams ask ─────────────────────────────

  get isHeld(): boolean {
    return this.hold !== undefined;
  }

  admitEvent(event: string | number, args: unknown[], ack: Ack | undefined): boolean {
    if (event === AUTHENTICATE) {
      this.onAuthenticate(tokenOf(args) ?? cookieToken(this.socket, this.mode.tokenCookie), ack);
      return false;
    }
    if (this.hold || this.state === 'closed') return false;
    const refusal = guardRefusal(this.registry.settings.guards, this.currentClaims(), event);
    if (!refusal) return true;
    ack?.(ackRefusal(refusal));
    return false;
  }

  allowedRooms(rooms: string[]): string[] {
    return rooms.filter((room) => !this.roomRefusal(room));
  }

  roomRefusal(room: string): UnauthorizedError | undefined {
    if (room === this.socket.id) return undefined;
    return guardRefusal(this.registry.settings.guards, this.currentClaims(), room, 'room');
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

  // ───────────────────────────── authenticate: first time and refresh ─────────────────────────────

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
    const since = this.registry.generation;
    const presentedAt = Date.now();
    this.registry.settings.gate.authenticate(this.socket, token, 'connect').then(
      (identity) => this.admit(identity, since, presentedAt, ack),
      (error: unknown) => this.refuseFirst(asUnauthorizedError(error, (cause) => refuse.internal(undefined, cause)), ack),
    );
  }

  private admit(identity: Identity<unknown>, since: number, presentedAt: number, ack: Ack | undefined): void {
    if (this.state !== 'verifying') return;
    const refusal = this.registry.revokedSince(since, identity.payload, presentedAt) ?? this.propertyNamesRefusal();
    if (refusal) {
      this.registry.settings.gate.refused(this.socket, refusal, 'connect', identity.payload);
      return this.refuseFirst(refusal, ack);
    }
    this.clearTimer();
    this.goLive(identity, presentedAt);
    const hold = this.hold;
    this.hold = undefined;
    if (hold) releaseIntoNamespace(this.socket, hold.rooms, this.registry.guardsRooms);
    // The app hears first (socketio-jwt #123): its handlers may join rooms or emit before the client acts.
    emitLocally(this.socket.nsp, 'authenticated', this.socket);
    this.tellAuthenticated(ack);
    if (hold) for (const { args, flags } of hold.emits) replayEmit(this.socket, args, flags);
  }

  private refresh(token: unknown, ack: Ack | undefined): void {
    const { gate, refreshLimit } = this.registry.settings;
    const wait = (this.refreshBudget ??= new RefreshBudget(refreshLimit)).spend();
    if (wait > 0) {
      const error = refuse.rateLimited(wait, 'too many refreshes on this socket');
      gate.refused(this.socket, error, 'refresh', this.payload);
      return this.refuseRefresh(error, ack);
    }
    this.state = 'refreshing';
    const since = this.registry.generation;
    const presentedAt = Date.now();
    gate.authenticate(this.socket, token, 'refresh', this.payload).then(
      (identity) => this.acceptRefresh(identity, since, presentedAt, ack),
      (error: unknown) => this.refuseRefresh(asUnauthorizedError(error, (cause) => refuse.internal(undefined, cause)), ack),
    );
  }

  private acceptRefresh(identity: Identity<unknown>, since: number, presentedAt: number, ack: Ack | undefined): void {
    if (this.state !== 'refreshing') return;
    const revoked = this.registry.revokedSince(since, identity.payload, presentedAt);
    if (revoked) return this.refuseRefresh(revoked, ack);
    const previousClaims = this.claims;
    this.goLive(identity, presentedAt);
    leaveForbiddenRooms(this.socket, this.registry.settings.guards, this.claims);
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

  // ───────────────────────────── live ─────────────────────────────

  /** Installs a verified identity: claims on the socket, indexes, one deadline for the socket's life. */
  private goLive(identity: Identity<unknown>, heldSince: number, claimsAttached = false): void {
    const previous = this.payload;
    if (previous === undefined && this.startedAt === 0) this.startedAt = Date.now();
    this.payload = identity.payload;
    this.claims = identity.claims;
    this.heldSince = heldSince;
    this.state = 'live';
    if (!claimsAttached) attachIdentity(this.socket, identity, this.registry.settings.names);
    this.registry.keepRecoveryRecord(this.socket, this.startedAt, heldSince);
    if (previous === undefined) this.registry.add(this);
    else this.registry.reindex(this, previous);
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
    return { exp: typeof payload.exp === 'number' ? payload.exp : null, expiresInMs: remainingMs(payload, this.startedAt, this.registry.settings.lifetime) };
  }

  /** Called by the expiry scheduler once the socket's deadline has passed. */
  expire(): void {
    if (!this.payload) return;
    this.drop(endOfLife(this.payload, this.startedAt, this.registry.settings.lifetime) ?? refuse.expired());
  }

  /** Tells the client why, then disconnects it. */
  drop(error: UnauthorizedError): void {
    if (this.state === 'closed') return;
    if (this.payload) this.registry.settings.gate.dropped(this.socket, this.payload, error);
    this.end();
    sendToClient(this.socket, 'unauthorized', [error.toJSON()]);
    this.socket.disconnect();
  }

  private scheduleExpiry(): void {
    this.expiry?.cancel();
    this.expiry = undefined;
    const { lifetime } = this.registry.settings;
    const deadline = sessionDeadline(this.payload!, this.startedAt, lifetime);
    if (deadline !== undefined) this.expiry = lifetime.scheduler.schedule(deadline, this);
  }

  // ───────────────────────────── refusal and the end ─────────────────────────────

  /** A first authentication failed (or timed out): tell the client, then disconnect. */
  private refuseFirst(error: UnauthorizedError, ack: Ack | undefined, callback = this.mode.callback): void {
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

  private onTimeout(timeoutMs: number): void {
    this.timer = undefined;
    if (this.state !== 'held' && this.state !== 'verifying') return;
    const error = refuse.authenticationTimeout(timeoutMs);
    this.registry.settings.gate.refused(this.socket, error, 'connect');
    // The client had its time: no further wait for an acknowledgement.
    this.refuseFirst(error, undefined, false);
  }

  /** Closed for good: expiry cancelled, out of the registry, held emits settled. Safe to call twice. */
  private end(): void {
    const wasLive = this.state === 'live' || this.state === 'refreshing';
    this.state = 'closed';
    this.admission = undefined;
    this.clearTimer();
    if (this.hold) {
      for (const { args, flags } of this.hold.emits) settleDroppedEmit(args, flags);
      this.hold.emits = [];
      this.hold.rooms.clear();
    }
    if (!wasLive) return;
    this.expiry?.cancel();
    this.expiry = undefined;
    this.registry.remove(this);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private currentClaims(): unknown {
    return this.state === 'live' || this.state === 'refreshing' ? this.claims : undefined;
  }

  /**
   * A claims property named after a Socket member (checked at `authorize()` against the
   * typings, and here against the socket.io actually running) would overwrite it.
   */
  private propertyNamesRefusal(): UnauthorizedError | undefined {
    if (this.payload !== undefined) return undefined;
    const { decoded, encoded } = this.registry.settings.names;
    const clash = [decoded, encoded].find((name) => isSocketMember(this.socket, name));
    if (clash === undefined) return undefined;
    if (!warnedAboutPropertyNames) {
      warnedAboutPropertyNames = true;
      process.emitWarning(`sockjwt: the claims property "${clash}" is a member of this socket.io's Socket; every authentication is refused`, { code: 'SOCKJWT_PROPERTY_NAME' });
    }
    return refuse.internal();
  }
}
