import type { Socket } from 'socket.io';
import type { Identity } from '../verify/authenticate.js';

/** Property names chosen by `decodedPropertyName` / `encodedPropertyName`. */
export interface PropertyNames {
  decoded: string;
  encoded: string;
}

/**
 * Claims go on the socket (socketio-jwt's place) and in `socket.data`, which socket.io
 * serialises for `fetchSockets()` across a cluster. The raw token stays on this process's
 * socket object only: it is a bearer credential and must not travel between nodes.
 */
export function attachIdentity(socket: Socket, identity: Identity<unknown>, names: PropertyNames): void {
  const target = socket as unknown as Record<string, unknown>;
  target[names.decoded] = identity.claims;
  target[names.encoded] = identity.token;
  (socket.data as Record<string, unknown>)[names.decoded] = identity.claims;
}

/**
 * The shape sockjwt gives `socket.data`, for socket.io's fourth generic:
 * `new Server<C2S, S2C, InterServer, AuthorizedSocketData<MyClaims>>()`.
 */
export type AuthorizedSocketData<Claims = import('../options/options.js').JwtClaims, Name extends string = 'decoded_token'> = {
  [K in Name]: Claims;
};
