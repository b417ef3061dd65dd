import type { Namespace, Socket } from 'socket.io';
import { attachIdentity } from './attach.js';
import { UnauthorizedError } from './errors.js';
import type { JwtClaims } from './options.js';
import { checkNotRevoked } from './revocation.js';
import { expiredError, hasExpired } from './session-lifetime.js';
import type { SessionRegistry, SessionSettings } from './session-registry.js';

type RestoreSession = Namespace['adapter']['restoreSession'];

const guardedAdapters = new WeakSet<object>();

/**
 * socket.io's connection state recovery restores a socket's `data` and rooms and replays
 * the packets it missed, and by default skips `io.use()` middlewares. A session whose
 * token has expired or been revoked meanwhile must not come back that way, so the
 * adapter's `restoreSession` is wrapped to decline it: the client then goes through a
 * normal handshake with whatever token it has now, and misses nothing it was owed.
 */
export function guardRecovery(nsp: Namespace, settings: SessionSettings): void {
  const adapter = nsp.adapter;
  if (guardedAdapters.has(adapter)) return;
  guardedAdapters.add(adapter);
  const restore: RestoreSession = adapter.restoreSession.bind(adapter);
  adapter.restoreSession = (async (pid: string, offset: string) => {
    const session = await restore(pid, offset);
    if (!session) return session;
    return (await mayRecover(session.data, settings)) ? session : null;
  }) as RestoreSession;
}

async function mayRecover(data: unknown, settings: SessionSettings): Promise<boolean> {
  const claims = (data as Record<string, unknown> | undefined)?.[settings.names.decoded];
  if (claims === undefined) return true;
  const payload = storedPayload(claims, settings);
  if (!payload || hasExpired(payload, settings.lifetime)) return false;
  try {
    await checkNotRevoked(settings.revocation, payload, undefined);
    return true;
  } catch {
    return false;
  }
}

/** The stored claims are the verified payload unless `customDecoded` reshaped them, which makes them unverifiable. */
function storedPayload(claims: unknown, settings: SessionSettings): JwtClaims | undefined {
  if (settings.claimsReshaped || typeof claims !== 'object' || claims === null) return undefined;
  return claims as JwtClaims;
}

/**
 * A recovered socket that reached the namespace anyway (middlewares skipped) gets the
 * same live session as any other, from its stored claims, and is dropped if they no
 * longer hold.
 */
export function openRecoveredSession(socket: Socket, sessions: SessionRegistry): void {
  const { settings } = sessions;
  const claims = (socket.data as Record<string, unknown> | undefined)?.[settings.names.decoded];
  if (claims === undefined) return;
  const payload = storedPayload(claims, settings);
  if (!payload) return refuse(socket, new UnauthorizedError('credentials_required', 'missing', 'recovered session cannot be re-checked; reconnect with a token'));
  if (hasExpired(payload, settings.lifetime)) return refuse(socket, expiredError());
  const identity = { token: undefined, payload, claims: payload };
  attachIdentity(socket, identity, settings.names);
  const session = sessions.open(socket, identity, true);
  checkNotRevoked(settings.revocation, payload, undefined).catch((error: UnauthorizedError) => session.drop(error));
}

function refuse(socket: Socket, error: UnauthorizedError): void {
  socket.emit('unauthorized', error.toJSON());
  socket.disconnect();
}
