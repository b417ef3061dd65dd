// The socket.io side: rooms, messages, who is online, signing out everywhere, bans.
import { randomUUID } from 'node:crypto';
import type { Server, Socket } from 'socket.io';
import { ackRefusal, roomRefusal, type AuthorizedSocketData, type HandshakeMiddleware } from 'sockjwt';
import {
  MAX_MESSAGE_LENGTH,
  ROOMS,
  type Ack,
  type ChatClaims,
  type ChatMessage,
  type ClientToServerEvents,
  type PublicUser,
  type ServerToClientEvents,
} from '../shared/protocol.js';
import type { RefreshTokenStore } from './refresh-tokens.js';
import type { UserDirectory } from './users.js';

export type ChatIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, AuthorizedSocketData<ChatClaims>>;
type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, AuthorizedSocketData<ChatClaims>>;

export interface ChatDeps {
  auth: HandshakeMiddleware;
  users: UserDirectory;
  refreshTokens: RefreshTokenStore;
  log: (line: string) => void;
}

const HISTORY_LENGTH = 50;
/** Each user's own room, so a notice reaches all their tabs (on every node, with a cluster adapter). */
const userRoom = (username: string) => `user:${username}`;

export function registerChatHandlers(io: ChatIo, { auth, users, refreshTokens, log }: ChatDeps): void {
  const history = new Map<string, ChatMessage[]>(ROOMS.map((room) => [room, []]));

  /** One entry per user, from every socket of the namespace (all nodes with a cluster adapter). */
  const broadcastPresence = async (): Promise<void> => {
    const online = new Map<string, PublicUser>();
    try {
      for (const socket of await io.fetchSockets()) {
        const claims = socket.data.decoded_token;
        if (claims) online.set(claims.sub, userOf(claims));
      }
    } catch (error) {
      // With a cluster adapter another node may not answer in time; the next change corrects the list.
      return log(`presence: ${error instanceof Error ? error.message : String(error)}`);
    }
    io.emit('presence', [...online.values()].sort((a, b) => a.name.localeCompare(b.name)));
  };
  const broadcastBanned = () => io.to('admin').emit('admin:banned', users.bannedUsers());

  /** Every session of `username` ends now: its refresh tokens, then its live sockets. */
  const endSessions = async (username: string, notice: { reason: 'banned' | 'signed-out-everywhere'; by: string }) => {
    refreshTokens.revokeSubject(username);
    io.to(userRoom(username)).emit('session-ending', notice);
    return auth.revoke({ sub: username });
  };

  io.on('connection', (socket: ChatSocket) => {
    socket.on('join', async (room, ack) => {
      if (!isAck(ack)) return;
      if (typeof room !== 'string' || !history.has(room)) return ack({ ok: false, message: `There is no room "${String(room)}".` });
      const refused = roomRefusal(socket, room);
      if (refused) return ack(ackRefusal(refused)); // { ok: false, message, data: { code: 'forbidden', reason: 'claim_required' } }
      await socket.join(room);
      ack({ ok: true, history: history.get(room)! });
    });

    socket.on('message', (input, ack) => {
      if (!isAck(ack)) return;
      const room = input?.room;
      const text = typeof input?.text === 'string' ? input.text.trim() : '';
      if (typeof room !== 'string' || !socket.rooms.has(room) || !history.has(room)) return ack({ ok: false, message: 'Join the room first.' });
      if (text.length === 0 || text.length > MAX_MESSAGE_LENGTH) return ack({ ok: false, message: `A message is 1 to ${MAX_MESSAGE_LENGTH} characters.` });
      // The sender as the *current* token says: claims change with each refresh.
      const message: ChatMessage = { id: randomUUID(), room, from: userOf(claimsOf(socket)), text, at: Date.now() };
      const kept = history.get(room)!;
      kept.push(message);
      if (kept.length > HISTORY_LENGTH) kept.shift();
      io.to(room).emit('message', message);
      ack({ ok: true });
    });

    socket.on('signout-everywhere', async (ack) => {
      const { sub, name } = claimsOf(socket);
      if (isAck(ack)) ack({ ok: true }); // before the revocation drops this socket too
      const dropped = await endSessions(sub, { reason: 'signed-out-everywhere', by: name });
      log(`${sub} signed out everywhere (${dropped} socket(s) dropped)`);
    });

    // `admin:*` events are guarded by sockjwt: a member's ban never reaches this handler.
    socket.on('admin:ban', async (username, ack) => {
      if (!isAck(ack)) return;
      const admin = claimsOf(socket);
      if (typeof username !== 'string' || !users.get(username)) return ack({ ok: false, message: `No user "${String(username)}".` });
      if (username === admin.sub) return ack({ ok: false, message: 'You cannot ban yourself.' });
      users.ban(username);
      const dropped = await endSessions(username, { reason: 'banned', by: admin.name });
      log(`${admin.sub} banned ${username} (${dropped} socket(s) dropped)`);
      broadcastBanned();
      ack({ ok: true });
    });

    socket.on('admin:unban', (username, ack) => {
      if (!isAck(ack)) return;
      if (typeof username !== 'string' || !users.isBanned(username)) return ack({ ok: false, message: `"${String(username)}" is not banned.` });
      users.unban(username);
      log(`${claimsOf(socket).sub} unbanned ${username}`);
      broadcastBanned();
      ack({ ok: true });
    });

    socket.on('disconnect', () => void broadcastPresence());

    // Lobby for everyone; the admin room only if the guard allows it (`socket.join()` would skip it anyway).
    const me = userOf(claimsOf(socket));
    const rooms = ROOMS.filter((room) => roomRefusal(socket, room) === undefined);
    void Promise.resolve(socket.join([...rooms, userRoom(me.username)])).then(() => {
      for (const room of rooms) socket.emit('joined', room, history.get(room)!);
      if (rooms.includes('admin')) socket.emit('admin:banned', users.bannedUsers());
      return broadcastPresence();
    });
  });
}

/** The socket's current claims: sockjwt replaces them on every in-place refresh. */
function claimsOf(socket: ChatSocket): ChatClaims {
  return socket.data.decoded_token;
}

function userOf(claims: ChatClaims): PublicUser {
  return { username: claims.sub, name: claims.name, role: claims.role };
}

/** A client may leave out the acknowledgement; this server always answers, so it requires one. */
function isAck(ack: unknown): ack is (answer: Ack<any>) => void {
  return typeof ack === 'function';
}
