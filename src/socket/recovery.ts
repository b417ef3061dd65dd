import type { IncomingHttpHeaders } from 'node:http';
import type { Namespace, Socket } from 'socket.io';
import { checkNotRevoked } from '../revocation/revocation.js';
import type { SessionContext } from '../session/context.js';
import { endOfLife } from '../session/expiry.js';
import { RECOVERY_RECORD, type RecoveryRecord, type SocketSession } from '../session/socket-session.js';
import { guardRecovery, recoverySkipsMiddlewares, restoresSessionsOfOtherNodes, type PresentedHandshake } from '../socketio/socketio-seams.js';
import type { JwtClaims } from '../types.js';

/**
 * Connection state recovery restores a session only when what it stored still holds: claims
 * that are the verified payload, a deadline not passed (`exp`, `maxAge`, `maxSessionMs`),
 * no revocation since, and, when the recovering client presents a token that socket.io will
 * hand to the middlewares, the same owner. Never a held or anonymous session while credentials
 * are required: such a session has no claims, and would be replayed every broadcast it missed.
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
      'call auth.watch(io) before the node serves: a socket recovered before the first handshake here skipped sockjwt',
    { code: 'SOCKJWT_RECOVERY_UNWATCHED' },
  );
}

/** Reads the token a recovering client presents in its new handshake (handshake mode's reader). */
export type ReadPresentedToken = (handshake: { auth: unknown; headers: IncomingHttpHeaders; query: Record<string, unknown> }) => unknown;

/** `readPresented`: handshake mode's, so that a recovered session goes only to its owner's token; message mode has none. */
export function guardNamespaceRecovery(nsp: Namespace, ctx: SessionContext, readPresented?: ReadPresentedToken): void {
  guardRecovery(nsp, (data, presented) => mayRecover(data, ctx, nsp, presented, readPresented));
}

/**
 * The revocation generation at which each accepted session's check began, keyed by the
 * restored `data` (socket.io hands that very object to the recovered socket): the commit
 * point, `SocketSession.resume`, refuses it if a rule heard since covers it.
 */
const checkedAt = new WeakMap<object, number>();

async function mayRecover(data: unknown, ctx: SessionContext, nsp: Namespace, presented: PresentedHandshake | undefined, readPresented: ReadPresentedToken | undefined): Promise<boolean> {
  const stored = storedSession(data, ctx);
  if (stored === 'anonymous') return !ctx.required;
  if (!stored || endOfLife(stored.payload, stored.startedAt, ctx.lifetime)) return false;
  if (readPresented && !recoverySkipsMiddlewares(nsp) && !(await presentsSameOwner(ctx, readPresented, stored.payload, presented))) return false;
  const { sessions } = ctx;
  const generation = sessions.generation;
  try {
    await checkNotRevoked(ctx.revocation, sessions.presentedRef(stored.payload, stored.presentedAt), stored.payload, undefined);
  } catch {
    return false;
  }
  // A rule heard while the store or isRevoked answered may not be in that answer. Declined here,
  // the client is replayed nothing; later than here only the commit point can refuse it.
  if (sessions.revokedSince(generation, stored.payload, stored.presentedAt)) return false;
  checkedAt.set(data as object, generation);
  return true;
}

/**
 * Handshake mode, middlewares run on recovery: the session's new token decides whose socket it
 * is, and socket.io has already restored the old one's rooms and replayed its packets by then.
 * So the session is restored only to a token that verifies and passes the refresh rule against
 * the stored claims (same issuer, same subject): not to another user's token, nor to none.
 */
async function presentsSameOwner(ctx: SessionContext, readPresented: ReadPresentedToken, stored: JwtClaims, presented: PresentedHandshake | undefined): Promise<boolean> {
  if (presented === undefined) return false;
  try {
    const query = Object.fromEntries(new URL(presented.request.url ?? '/', 'http://recovery.invalid').searchParams);
    const token = readPresented({ auth: presented.auth, headers: presented.request.headers, query });
    if (token === undefined) return false;
    const payload = await ctx.checkToken(presented.request, token);
    return ctx.refreshRule(stored, payload) === undefined;
  } catch {
    return false;
  }
}

interface StoredSession extends RecoveryRecord {
  payload: JwtClaims;
}

/**
 * What a recovered socket's `data` says about it: 'anonymous' without claims; undefined when
 * its claims cannot be re-checked (`customDecoded` reshaped them) or its record is missing, or
 * is the claims themselves (a property name `authorize()` refuses; never trusted here either).
 */
export function storedSession(data: unknown, ctx: Pick<SessionContext, 'names' | 'claimsReshaped'>): StoredSession | 'anonymous' | undefined {
  const record = data as Record<string, unknown> | undefined;
  const claims = record?.[ctx.names.decoded];
  if (claims === undefined) return 'anonymous';
  if (ctx.claimsReshaped || typeof claims !== 'object' || claims === null) return undefined;
  const times = record?.[RECOVERY_RECORD] as Partial<RecoveryRecord> | undefined;
  if (typeof times?.startedAt !== 'number' || typeof times.presentedAt !== 'number' || times === claims) return undefined;
  return { payload: claims as JwtClaims, startedAt: times.startedAt, presentedAt: times.presentedAt };
}

/**
 * A socket socket.io recovered, middlewares skipped: its live session comes back from what the
 * guard accepted. False when its data does not allow that: the mode decides what then.
 */
export function resumeRecovered(socket: Socket, session: SocketSession, ctx: SessionContext): boolean {
  const stored = storedSession(socket.data, ctx);
  if (stored === 'anonymous') {
    if (ctx.required) return false;
    session.resumeAnonymously();
    return true;
  }
  if (!stored) return false;
  // Claims the guard never checked (restored before the namespace was watched): not trusted, so
  // the mode treats the socket as one that presented nothing. Its missed packets are already sent.
  const generation = checkedAt.get(socket.data as object);
  if (generation === undefined) return false;
  session.resume(stored.payload, stored.startedAt, stored.presentedAt, generation);
  return true;
}
