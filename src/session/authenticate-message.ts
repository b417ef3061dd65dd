import { cookieValue } from '../util/cookies.js';
import type { Socket } from 'socket.io';
import type { AckAccepted, LifetimeNotice } from '../types.js';

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

export function ackAccepted(notice: LifetimeNotice): AckAccepted {
  return { ok: true, exp: notice.exp, expiresInMs: notice.expiresInMs };
}

/** The answer to an `authenticate` that arrives while the previous one is still being verified. */
