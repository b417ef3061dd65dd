import type { Socket } from 'socket.io';
import { attachIdentity, type PropertyNames } from './attach.js';
import type { Authenticate, Identity } from './authenticate.js';
import { asUnauthorizedError, UnauthorizedError } from './errors.js';
import { emitLocally } from './local-events.js';
import { Quarantine } from './quarantine.js';

export interface MessageSettings {
  authenticate: Authenticate<unknown>;
  names: PropertyNames;
  required: boolean;
  timeoutMs: number;
  /** false: disconnect at once; a number: ms to wait for the client's acknowledgement (already `timeout` when unset). */
  callback: false | number;
}

/** `io.on('connection')` listener for the two-round-trip flow. */
export type ConnectionListener = (socket: Socket<any, any, any, any>) => void;

const AUTHENTICATE = 'authenticate';

export function createConnectionListener(settings: MessageSettings): ConnectionListener {
  return function onConnection(socket, ...misused: unknown[]) {
    // Registered with io.use() by mistake: refuse loudly rather than hang every handshake.
    const next = misused[0];
    if (typeof next === 'function') return next(new Error(MISUSED_AS_MIDDLEWARE));
    new MessageSession(socket, settings).start();
  };
}

const MISUSED_AS_MIDDLEWARE =
  'sockjwt: authorize() without handshake: true returns a connection listener: use io.on("connection", authorize(...)), or pass handshake: true to io.use() it';

type State = 'waiting' | 'verifying' | 'authenticated' | 'refused' | 'closed';

/**
 * One socket's way through message mode: held (quarantined) until a valid `authenticate`
 * arrives, refused on a bad one or on timeout. Every timer it starts dies with the socket.
 */
class MessageSession {
  private state: State = 'waiting';
  private quarantine: Quarantine | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly settings: MessageSettings,
  ) {}

  start(): void {
    if (this.settings.required) {
      this.quarantine = new Quarantine(this.socket, AUTHENTICATE);
      this.timer = setTimeout(() => this.onTimeout(), this.settings.timeoutMs);
    }
    this.socket.on(AUTHENTICATE, (payload: unknown) => this.onAuthenticate(payload));
    this.socket.once('disconnect', () => this.close());
  }

  private onAuthenticate(payload: unknown): void {
    if (this.state !== 'waiting') return;
    this.state = 'verifying';
    const token = (payload as { token?: unknown } | null | undefined)?.token;
    this.settings.authenticate(this.socket.request, token).then(
      (identity) => this.admit(identity),
      (error: unknown) => this.refuse(asUnauthorizedError(error, { code: 'unknown', reason: 'internal', message: 'authentication failed' })),
    );
  }

  private admit(identity: Identity<unknown>): void {
    if (this.state !== 'verifying') return;
    this.state = 'authenticated';
    this.clearTimer();
    attachIdentity(this.socket, identity, this.settings.names);
    this.quarantine?.release();
    // The app hears first (socketio-jwt #123): its handlers may join rooms or emit before the client acts.
    emitLocally(this.socket.nsp, 'authenticated', this.socket);
    this.socket.emit('authenticated');
    this.quarantine?.flushHeldEmits();
  }

  private refuse(error: UnauthorizedError): void {
    if (this.state !== 'verifying' && this.state !== 'waiting') return;
    this.state = 'refused';
    this.clearTimer();
    this.quarantine?.discard();
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
