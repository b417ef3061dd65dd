import type { Socket } from 'socket.io';
import type { Identity, PropertyNames } from './context.js';
import { recoversConnections } from '../socketio/socketio-seams.js';

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
export function attachIdentity(socket: Socket, identity: Identity<unknown>, names: PropertyNames): void {
  const target = socket as unknown as Record<string, unknown>;
  target[names.decoded] = identity.claims;
  target[names.encoded] = identity.token;
  (socket.data as Record<string, unknown>)[names.decoded] = identity.claims;
}

/** A recovered socket admitted without a token: the previous owner's claims, restored by socket.io, are not its own. */
export function forgetIdentity(socket: Socket, names: PropertyNames): void {
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
export function keepRecoveryRecord(socket: Socket, startedAt: number, presentedAt: number): void {
  if (recoversConnections(socket.nsp)) (socket.data as Record<string, unknown>)[RECOVERY_RECORD] = { startedAt, presentedAt } satisfies RecoveryRecord;
}
