import type { Namespace, Socket } from 'socket.io';
import type { JwtClaims } from '../options/jwt.js';
import { checkNotRevoked } from '../revocation/revocation.js';
import { endOfLife } from '../session/session-lifetime.js';
import { RECOVERY_RECORD, type RecoveryRecord, type SessionRegistry } from '../session/session-registry.js';
import type { SocketSession } from '../session/socket-session.js';
import { guardRecovery } from '../socketio/socketio-seams.js';

/**
 * Connection state recovery restores a session only when what it stored still holds: claims
 * that are the verified payload, a deadline not passed (`exp`, `maxAge`, `maxSessionMs`),
 * no revocation since. Never a held or anonymous session while credentials are required:
 * such a session has no claims, and would be replayed every broadcast it missed.
 */
export function guardNamespaceRecovery(nsp: Namespace, sessions: SessionRegistry): void {
  guardRecovery(nsp, (data) => mayRecover(data, sessions));
}

async function mayRecover(data: unknown, sessions: SessionRegistry): Promise<boolean> {
  const stored = storedSession(data, sessions);
  if (stored === 'anonymous') return !sessions.required;
  if (!stored || endOfLife(stored.payload, stored.since, sessions.settings.lifetime)) return false;
  const { revocation } = sessions.settings;
  try {
    await checkNotRevoked(revocation, sessions.heldRef(stored.payload, stored.heldSince), stored.payload, undefined);
    return true;
  } catch {
    return false;
  }
}

interface StoredSession extends RecoveryRecord {
  payload: JwtClaims;
}

/**
 * What a recovered socket's `data` says about it: 'anonymous' without claims; undefined when
 * its claims cannot be re-checked (`customDecoded` reshaped them) or its record is missing.
 */
function storedSession(data: unknown, sessions: SessionRegistry): StoredSession | 'anonymous' | undefined {
  const record = data as Record<string, unknown> | undefined;
  const claims = record?.[sessions.settings.names.decoded];
  if (claims === undefined) return 'anonymous';
  if (sessions.settings.claimsReshaped || typeof claims !== 'object' || claims === null) return undefined;
  const times = record?.[RECOVERY_RECORD] as Partial<RecoveryRecord> | undefined;
  if (typeof times?.since !== 'number' || typeof times.heldSince !== 'number') return undefined;
  return { payload: claims as JwtClaims, since: times.since, heldSince: times.heldSince };
}

/**
 * A socket socket.io recovered (middlewares skipped) gets its live session back from what
 * the guard accepted. False when its data does not allow that: the mode decides what then.
 */
export function resumeRecovered(socket: Socket, session: SocketSession, sessions: SessionRegistry): boolean {
  const stored = storedSession(socket.data, sessions);
  if (stored === 'anonymous') {
    if (sessions.required) return false;
    session.admitAnonymously();
    return true;
  }
  if (!stored) return false;
  session.resume(stored.payload, stored.since, stored.heldSince);
  return true;
}
