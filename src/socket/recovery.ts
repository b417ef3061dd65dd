import type { Namespace, Socket } from 'socket.io';
import type { JwtClaims } from '../options/jwt.js';
import { checkNotRevoked } from '../revocation/revocation.js';
import { endOfLife } from '../session/session-lifetime.js';
import { RECOVERY_RECORD, type RecoveryRecord, type SessionRegistry } from '../session/session-registry.js';
import type { SocketSession } from '../session/socket-session.js';
import { guardRecovery, restoresSessionsOfOtherNodes } from '../socketio/socketio-seams.js';

/**
 * Connection state recovery restores a session only when what it stored still holds: claims
 * that are the verified payload, a deadline not passed (`exp`, `maxAge`, `maxSessionMs`),
 * no revocation since. Never a held or anonymous session while credentials are required:
 * such a session has no claims, and would be replayed every broadcast it missed.
 */
/**
 * Runs `install` once per namespace: at startup when the app calls `auth.watch()`, else at the
 * namespace's first connection. The latter is too late on a node whose adapter restores other
 * nodes' sessions: a socket recovered onto it before that connection skipped sockjwt (handshake
 * mode) or was replayed what it missed before the guard stood (message mode). That cannot be
 * undone from here, so it is said, once per namespace, where operators look.
 */
export function namespaceWatcher(install: (nsp: Namespace) => void): (nsp: Namespace, atStartup: boolean) => void {
  const watched = new WeakSet<Namespace>();
  return (nsp, atStartup) => {
    if (watched.has(nsp)) return;
    watched.add(nsp);
    if (!atStartup && restoresSessionsOfOtherNodes(nsp)) warnRecoveryUnwatched(nsp);
    install(nsp);
  };
}

function warnRecoveryUnwatched(nsp: Namespace): void {
  process.emitWarning(
    `sockjwt: namespace "${nsp.name}" recovers sessions made on other nodes (connection state recovery with ${nsp.adapter.constructor.name}); ` +
      'call auth.watch(io) once the adapter is installed, before the node serves: a socket recovered before the first handshake here skipped sockjwt',
    { code: 'SOCKJWT_RECOVERY_UNWATCHED' },
  );
}

export function guardNamespaceRecovery(nsp: Namespace, sessions: SessionRegistry): void {
  guardRecovery(nsp, (data) => mayRecover(data, sessions));
}

/**
 * The revocation generation at which each accepted session's check began, keyed by the
 * restored `data` (socket.io hands that very object to the recovered socket): the commit
 * point, `SocketSession.resume`, refuses it if a rule heard since covers it.
 */
const checkedSince = new WeakMap<object, number>();

async function mayRecover(data: unknown, sessions: SessionRegistry): Promise<boolean> {
  const stored = storedSession(data, sessions);
  if (stored === 'anonymous') return !sessions.required;
  if (!stored || endOfLife(stored.payload, stored.since, sessions.settings.lifetime)) return false;
  const { revocation } = sessions.settings;
  const since = sessions.generation;
  try {
    await checkNotRevoked(revocation, sessions.heldRef(stored.payload, stored.heldSince), stored.payload, undefined);
  } catch {
    return false;
  }
  // A rule heard while the store or isRevoked answered may not be in that answer. Declined here,
  // the client is replayed nothing; later than here only the commit point can refuse it.
  if (sessions.revokedSince(since, stored.payload, stored.heldSince)) return false;
  checkedSince.set(data as object, since);
  return true;
}

interface StoredSession extends RecoveryRecord {
  payload: JwtClaims;
}

/**
 * What a recovered socket's `data` says about it: 'anonymous' without claims; undefined when
 * its claims cannot be re-checked (`customDecoded` reshaped them) or its record is missing, or
 * is the claims themselves (a property name `authorize()` refuses; never trusted here either).
 */
export function storedSession(data: unknown, sessions: SessionRegistry): StoredSession | 'anonymous' | undefined {
  const record = data as Record<string, unknown> | undefined;
  const claims = record?.[sessions.settings.names.decoded];
  if (claims === undefined) return 'anonymous';
  if (sessions.settings.claimsReshaped || typeof claims !== 'object' || claims === null) return undefined;
  const times = record?.[RECOVERY_RECORD] as Partial<RecoveryRecord> | undefined;
  if (typeof times?.since !== 'number' || typeof times.heldSince !== 'number' || times === claims) return undefined;
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
  // Without a guard's check (a namespace not watched in time), the rules heard from now on still count.
  session.resume(stored.payload, stored.since, stored.heldSince, checkedSince.get(socket.data as object) ?? sessions.generation);
  return true;
}
