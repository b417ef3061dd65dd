import type { Socket } from 'socket.io';
import { attachIdentity } from './attach.js';
import type { Identity } from './authenticate.js';
import { ackAccepted, busyError, hideAuthenticateFromAnyListeners, takeAuthenticate, type Ack } from './authenticate-message.js';
import { ackRefusal, installGuards, leaveForbiddenRooms } from './claim-guards.js';
import { asUnauthorizedError, UnauthorizedError } from './errors.js';
import type { Expirable, ExpiryHandle } from './expiry-scheduler.js';
import { rateLimitedError, RefreshBudget } from './rate-limit.js';
import { emitLocally } from './local-events.js';
import type { JwtClaims } from './options.js';
import { expiredError, expiryDeadline, lifetimeNotice } from './session-lifetime.js';
import type { SessionRegistry } from './session-registry.js';

/** Server-side namespace event after an in-band refresh: `(socket, previousClaims)`. */
export const TOKEN_REFRESHED = 'token_refreshed';

/**
 * One authenticated socket for as long as its token holds: it is dropped when the token
 * expires or is revoked, and it may swap in a fresh token of the same subject at any time
 * without reconnecting.
 */
export class LiveSession implements Expirable {
  private expiry: ExpiryHandle | undefined;
  private refreshing = false;
  private ended = false;
  /** The verified payload: expiry, revocation and refresh look at this. */
  payload: JwtClaims;
  /** What the app sees on the socket (the payload, or what `customDecoded` made of it). */
  private claims: unknown;
  /** Made at the first refresh: most sockets never refresh, and each byte counts ×10k. */
  private refreshBudget: RefreshBudget | undefined;

  constructor(
    readonly socket: Socket,
    identity: Identity<unknown>,
    private readonly registry: SessionRegistry,
  ) {
    this.payload = identity.payload;
    this.claims = identity.claims;
  }

  /**
   * `listenForRefresh`: handshake mode, where an `authenticate` after connect is a refresh;
   * message mode routes it here itself. Everything a session allocates per socket is kept
   * small on purpose (bench/memory.ts): the two listeners below share one closure context.
   */
  start(listenForRefresh: boolean): void {
    const { settings } = this.registry;
    this.registry.add(this);
    settings.gate.session(this.socket, this.payload, 'session_opened');
    this.scheduleExpiry();
    hideAuthenticateFromAnyListeners(this.socket);
    if (settings.guards) installGuards(this.socket, settings.guards, () => this.claims);
    if (listenForRefresh) {
      this.socket.use((packet, next) => {
        if (!takeAuthenticate(packet, (token, ack) => this.refresh(token, ack))) next();
      });
    }
    // `on`, not `once`: socket.io emits `disconnect` once, and `once` allocates a wrapper per socket.
    this.socket.on('disconnect', () => this.end());
  }

  refresh(token: unknown, ack: Ack | undefined): void {
    if (this.ended) return;
    if (this.refreshing) {
      ack?.(ackRefusal(busyError()));
      return;
    }
    const { gate } = this.registry.settings;
    const wait = (this.refreshBudget ??= new RefreshBudget(this.registry.settings.refreshLimit)).spend();
    if (wait > 0) {
      const error = rateLimitedError(wait, 'too many refreshes on this socket');
      gate.refused(this.socket, error, 'refresh', this.payload);
      return this.refuseRefresh(error, ack);
    }
    this.refreshing = true;
    gate.authenticate(this.socket, token, 'refresh', this.payload).then(
      (identity) => this.acceptRefresh(identity, ack),
      (error: unknown) => this.refuseRefresh(asUnauthorizedError(error, { code: 'unknown', reason: 'internal', message: 'authentication failed' }), ack),
    );
  }

  /** Called by the expiry scheduler once the token's deadline has passed. */
  expire(): void {
    this.drop(expiredError());
  }

  /** Tells the client why, then disconnects it. */
  drop(error: UnauthorizedError): void {
    if (this.ended) return;
    this.registry.settings.gate.dropped(this.socket, this.payload, error);
    this.end();
    this.socket.emit('unauthorized', error.toJSON());
    this.socket.disconnect();
  }

  private acceptRefresh(identity: Identity<unknown>, ack: Ack | undefined): void {
    this.refreshing = false;
    if (this.ended) return;
    const previousPayload = this.payload;
    const previousClaims = this.claims;
    this.payload = identity.payload;
    this.claims = identity.claims;
    attachIdentity(this.socket, identity, this.registry.settings.names);
    this.registry.reindex(this, previousPayload);
    this.scheduleExpiry();
    leaveForbiddenRooms(this.socket);
    emitLocally(this.socket.nsp, TOKEN_REFRESHED, this.socket, previousClaims);
    const { lifetime } = this.registry.settings;
    this.socket.emit('authenticated', lifetimeNotice(identity.payload, lifetime));
    ack?.(ackAccepted(identity.payload, lifetime));
  }

  /** The current token still holds until it expires; the client is told the new one did not. */
  private refuseRefresh(error: UnauthorizedError, ack: Ack | undefined): void {
    this.refreshing = false;
    if (this.ended) return;
    this.socket.emit('unauthorized', error.toJSON());
    ack?.(ackRefusal(error));
  }

  private scheduleExpiry(): void {
    this.expiry?.cancel();
    this.expiry = undefined;
    const { lifetime } = this.registry.settings;
    const deadline = expiryDeadline(this.payload, lifetime);
    if (deadline === undefined) return;
    this.expiry = lifetime.scheduler.schedule(deadline, this);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.expiry?.cancel();
    this.expiry = undefined;
    this.registry.remove(this);
    this.registry.settings.gate.session(this.socket, this.payload, 'session_closed');
  }
}
