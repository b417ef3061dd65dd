import type { Socket } from 'socket.io';
import { attachIdentity } from './attach.js';
import type { Identity } from './authenticate.js';
import { ackAccepted, busyError, AUTHENTICATE, onAuthenticateMessage, type Ack } from './authenticate-message.js';
import { ackRefusal, guardAnonymous } from './claim-guards.js';
import { asUnauthorizedError, UnauthorizedError } from './errors.js';
import type { LiveSession } from './live-session.js';
import { emitLocally } from './local-events.js';
import { Quarantine } from './quarantine.js';
import { guardRecovery } from './recovery.js';
import { lifetimeNotice } from './session-lifetime.js';
import { withSessionControl, type SessionControl, type SessionRegistry } from './session-registry.js';

export interface MessageSettings {
  sessions: SessionRegistry;
  required: boolean;
  timeoutMs: number;
  /** false: disconnect at once; a number: ms to wait for the client's acknowledgement (already `timeout` when unset). */
  callback: false | number;
}

/** `io.on('connection')` listener for the two-round-trip flow; carries `revoke()` and `sessionCount`. */
export type ConnectionListener = ((socket: Socket<any, any, any, any>) => void) & SessionControl;

export function createConnectionListener(settings: MessageSettings): ConnectionListener {
  const { sessions } = settings;
  const onConnection = (socket: Socket, ...misused: unknown[]): void => {
    // Registered with io.use() by mistake: refuse loudly rather than hang every handshake.
    const next = misused[0];
    if (typeof next === 'function') return next(new Error(MISUSED_AS_MIDDLEWARE));
    guardRecovery(socket.nsp, sessions.settings);
    new MessageSession(socket, settings).start();
  };
  return withSessionControl(onConnection, sessions) as ConnectionListener;
}

const MISUSED_AS_MIDDLEWARE =
  'sockjwt: authorize() without handshake: true returns a connection listener: use io.on("connection", authorize(...)), or pass handshake: true to io.use() it';

type State = 'waiting' | 'verifying' | 'authenticated' | 'refused' | 'closed';

/**
 * One socket's way through message mode: held (quarantined) until a valid `authenticate`
 * arrives, refused on a bad one or on timeout; once in, later `authenticate` messages
 * refresh its token. Every timer it starts dies with the socket.
 */
class MessageSession {
  private state: State = 'waiting';
  private quarantine: Quarantine | undefined;
  private timer: NodeJS.Timeout | undefined;
  private live: LiveSession | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly settings: MessageSettings,
  ) {}

  start(): void {
    if (this.settings.required) {
      this.quarantine = new Quarantine(this.socket, AUTHENTICATE);
      this.timer = setTimeout(() => this.onTimeout(), this.settings.timeoutMs);
    } else {
      guardAnonymous(this.socket, this.settings.sessions.settings);
    }
    onAuthenticateMessage(this.socket, (token, ack) => this.onAuthenticate(token, ack));
    this.socket.once('disconnect', () => this.close());
  }

  private onAuthenticate(token: unknown, ack: Ack | undefined): void {
    if (this.state === 'authenticated') return this.live!.refresh(token, ack);
    if (this.state === 'verifying') {
      ack?.(ackRefusal(busyError()));
      return;
    }
    if (this.state !== 'waiting') return;
    this.state = 'verifying';
    this.settings.sessions.settings.gate.authenticate(this.socket, token, 'connect').then(
      (identity) => this.admit(identity, ack),
      (error: unknown) => this.refuse(asUnauthorizedError(error, { code: 'unknown', reason: 'internal', message: 'authentication failed' }), ack),
    );
  }

  private admit(identity: Identity<unknown>, ack: Ack | undefined): void {
    if (this.state !== 'verifying') return;
    this.state = 'authenticated';
    this.clearTimer();
    attachIdentity(this.socket, identity, this.settings.sessions.settings.names);
    this.quarantine?.release();
    this.live = this.settings.sessions.open(this.socket, identity);
    // The app hears first (socketio-jwt #123): its handlers may join rooms or emit before the client acts.
    emitLocally(this.socket.nsp, 'authenticated', this.socket);
    const { lifetime } = this.settings.sessions.settings;
    this.socket.emit('authenticated', lifetimeNotice(identity.payload, lifetime));
    ack?.(ackAccepted(identity.payload, lifetime));
    this.quarantine?.flushHeldEmits();
  }

  private refuse(error: UnauthorizedError, ack: Ack | undefined): void {
    if (this.state !== 'verifying' && this.state !== 'waiting') return;
    this.state = 'refused';
    this.clearTimer();
    this.quarantine?.discard();
    ack?.(ackRefusal(error));
    const { callback } = this.settings;
    if (callback === false) {
      this.emitToClient('unauthorized', error.toJSON());
      this.socket.disconnect();
      return;
    }
    this.emitToClient('unauthorized', error.toJSON(), () => this.socket.disconnect());
    this.timer = setTimeout(() => this.socket.disconnect(), callback);
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.state !== 'waiting' && this.state !== 'verifying') return;
    this.state = 'refused';
    this.quarantine?.discard();
    const error = new UnauthorizedError('authentication_timeout', 'timeout', `no valid authenticate message within ${this.settings.timeoutMs} ms`);
    this.settings.sessions.settings.gate.refused(this.socket, error, 'connect');
    this.emitToClient('unauthorized', error.toJSON());
    this.socket.disconnect();
  }

  private emitToClient(event: string, ...args: unknown[]): void {
    if (this.quarantine?.isActive) this.quarantine.emitNow(event, ...args);
    else this.socket.emit(event, ...args);
  }

  private close(): void {
    this.state = 'closed';
    this.clearTimer();
    this.quarantine?.discard();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
