import { cookieValue } from '../util/cookies.js';
import type { Socket } from 'socket.io';

/** The event a client sends its token with: after connect (message mode) and for every in-band refresh. */
export const AUTHENTICATE = 'authenticate';

/** `authenticate`'s payload is `{ token }`; anything else carries no token. */
export function tokenOf(args: readonly unknown[]): unknown {
  const payload = args[0];
  return typeof payload === 'object' && payload !== null ? (payload as { token?: unknown }).token : undefined;
}

/** The token in the handshake request's cookie `name`, if one is configured and present. */
export function cookieToken(socket: Socket, name: string | undefined): string | undefined {
  return name === undefined ? undefined : cookieValue(socket.handshake.headers.cookie, name);
}

/**
 * What the client is told of its socket's lifetime, with `authenticated` and in the
 * acknowledgement of a refresh. `expiresInMs` is the server's own count (its clock, every
 * limit applied: `exp`, `maxAge`, `maxSessionMs`), so a client schedules its refresh without
 * trusting its own clock.
 */
export interface LifetimeNotice {
  /** The token's `exp` (seconds), or null if it has none. */
  exp: number | null;
  /** Milliseconds until the server drops the socket unless it refreshes; null when never. */
  expiresInMs: number | null;
}

/** What the client's `authenticate` acknowledgement receives on success. */
export interface AckAccepted extends LifetimeNotice {
  ok: true;
}

export function ackAccepted(notice: LifetimeNotice): AckAccepted {
  return { ok: true, ...notice };
}

/** The answer to an `authenticate` that arrives while the previous one is still being verified. */
