import type { Socket } from 'socket.io';
import { UnauthorizedError } from './errors.js';
import type { JwtClaims } from './options.js';
import { lifetimeNotice, type LifetimeNotice, type LifetimeSettings } from './session-lifetime.js';

export const AUTHENTICATE = 'authenticate';

/** The acknowledgement a client may pass with `authenticate`. */
export type Ack = (response: unknown) => void;

/**
 * Handles `authenticate` messages in a socket middleware and never passes them on: no
 * app handler, `onAny` listener or logging middleware registered later ever sees a token.
 */
export function onAuthenticateMessage(socket: Socket, handler: (token: unknown, ack: Ack | undefined) => void): void {
  socket.use((packet, next) => {
    if (!takeAuthenticate(packet, handler)) next();
  });
}

/** If the packet is `authenticate`, hands its token and acknowledgement to `handler` and returns true. */
export function takeAuthenticate(packet: unknown[], handler: (token: unknown, ack: Ack | undefined) => void): boolean {
  if (packet[0] !== AUTHENTICATE) return false;
  const args = packet.slice(1);
  const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
  handler((args[0] as { token?: unknown } | null | undefined)?.token, ack);
  return true;
}

/** What the client's `authenticate` acknowledgement receives on success. */
export interface AckAccepted extends LifetimeNotice {
  ok: true;
}

export function ackAccepted(payload: JwtClaims, lifetime: LifetimeSettings): AckAccepted {
  return { ok: true, ...lifetimeNotice(payload, lifetime) };
}

type AnyListener = (event: string, ...args: unknown[]) => void;
type AnyMethods = Pick<Socket, 'onAny' | 'prependAny' | 'offAny'>;

/** One wrapper per listener function, shared by every socket it is registered on (it calls with `this`). */
const wrappers = new WeakMap<AnyListener, AnyListener>();

function wrap(listener: AnyListener): AnyListener {
  let wrapper = wrappers.get(listener);
  if (!wrapper) {
    wrapper = function (this: unknown, event, ...args) {
      if (event !== AUTHENTICATE) listener.call(this, event, ...args);
    };
    wrappers.set(listener, wrapper);
  }
  return wrapper;
}

const prototypeOf = (socket: Socket): AnyMethods => Object.getPrototypeOf(socket) as AnyMethods;

/** Put on each live socket; shared, so a socket costs three property slots rather than closures of its own. */
const hidingMethods = {
  onAny(this: Socket, listener: AnyListener) {
    return prototypeOf(this).onAny.call(this, wrap(listener));
  },
  prependAny(this: Socket, listener: AnyListener) {
    return prototypeOf(this).prependAny.call(this, wrap(listener));
  },
  offAny(this: Socket, listener?: AnyListener) {
    return prototypeOf(this).offAny.call(this, listener && (wrappers.get(listener) ?? listener));
  },
};

/**
 * socket.io runs `onAny` listeners before socket middlewares, so the middleware above
 * cannot hide a refresh token from them. Every catch-all listener of this socket, present
 * and future, is wrapped to skip `authenticate`: a logging `onAny` never logs a token.
 */
export function hideAuthenticateFromAnyListeners(socket: Socket): void {
  const existing = socket.listenersAny() as AnyListener[];
  if (existing.length > 0) prototypeOf(socket).offAny.call(socket);
  Object.assign(socket, hidingMethods);
  for (const listener of existing) socket.onAny(listener);
}

/** The answer to an `authenticate` that arrives while the previous one is still being verified. */
export function busyError(): UnauthorizedError {
  return new UnauthorizedError('unknown', 'rate_limited', 'the previous authenticate is still being verified');
}
