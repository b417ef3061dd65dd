// The socket.io side: rooms, messages, who is online, signing out everywhere, bans.
//
// Every event's arguments are checked against a schema before its handler runs, and every
// handler runs inside `handle()`, which answers the acknowledgement exactly once and turns an
// exception into a logged "something went wrong" rather than the end of the process.
import { randomUUID } from 'node:crypto';
import type { Server, Socket } from 'socket.io';
import { ackRefusal, roomRefusal, UnauthorizedError, type AuthorizedSocketData, type HandshakeMiddleware } from 'sockjwt';
import { z } from 'zod';
import {
  FORBIDDEN_IN_MESSAGE,
  MAX_MESSAGE_LENGTH,
  ROOMS,
  type Ack,
  type ChatClaims,
  type ChatMessage,
  type ClientToServerEvents,
  type PublicUser,
  type ServerToClientEvents,
} from '../shared/protocol.js';
import { Limiter, seconds, type ChatLimits } from './limits.js';
import type { RefreshTokenStore } from './refresh-tokens.js';
import { USER_ID, type UserDirectory } from './users.js';

export type ChatIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, AuthorizedSocketData<ChatClaims>>;
type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, AuthorizedSocketData<ChatClaims>>;
type Answer = (answer: Ack<Record<string, unknown>>) => void;

export interface ChatDeps {
  auth: HandshakeMiddleware;
  users: UserDirectory;
  refreshTokens: RefreshTokenStore;
  limits: ChatLimits;
  log: (line: string) => void;
}

const HISTORY_LENGTH = 50;
/** Presence changes within this window go out as one broadcast (100 tabs opening: one or two, not 200). */
const PRESENCE_DELAY_MS = 200;
/** Each user's own room, so a notice reaches all their tabs (on every node, with a cluster adapter). */
const userRoom = (userId: string) => `user:${userId}`;

/** The arguments of each event, before the acknowledgement. Anything else is refused unread. */
const SCHEMAS = {
  join: z.tuple([z.enum(ROOMS)]),
  message: z.tuple([z.object({ room: z.enum(ROOMS), text: z.string().max(MAX_MESSAGE_LENGTH * 4) })]),
  'signout-everywhere': z.tuple([]),
  'admin:ban': z.tuple([z.string().regex(USER_ID)]),
  'admin:unban': z.tuple([z.string().regex(USER_ID)]),
} satisfies Record<keyof ClientToServerEvents, z.ZodType>;
type Args<E extends keyof typeof SCHEMAS> = z.infer<(typeof SCHEMAS)[E]>;

const BAD_REQUEST: Record<keyof ClientToServerEvents, string> = {
  join: 'There is no such room.',
  message: 'A message is { room, text } with text of 1 to 500 characters.',
  'signout-everywhere': 'signout-everywhere takes no arguments.',
  'admin:ban': 'No such user.',
  'admin:unban': 'No such user.',
};

export interface ChatHandlers {
  /** Stops the presence timer. */
  close(): void;
}

export function registerChatHandlers(io: ChatIo, { auth, users, refreshTokens, limits, log }: ChatDeps): ChatHandlers {
  const history = new Map<string, ChatMessage[]>(ROOMS.map((room) => [room, []]));
  const messagesPerSocket = new Limiter(limits.messagesPerSocket);
  const messagesPerUser = new Limiter(limits.messagesPerUser);
  /** Open sockets per user on this node. */
  const open = new Map<string, number>();

  /** One entry per user, from every socket of the namespace (all nodes with a cluster adapter). */
  const broadcastPresence = async (): Promise<void> => {
    const online = new Map<string, PublicUser>();
    try {
      for (const socket of await io.fetchSockets()) {
        const claims = socket.data.decoded_token;
        if (claims) online.set(claims.sub, userOf(claims));
      }
      io.emit('presence', [...online.values()].sort((a, b) => a.name.localeCompare(b.name)));
    } catch (error) {
      // With a cluster adapter another node may not answer in time; the next change corrects the list.
      log(`presence: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  let presenceTimer: ReturnType<typeof setTimeout> | undefined;
  const presenceChanged = () => {
    presenceTimer ??= setTimeout(() => {
      presenceTimer = undefined;
      void broadcastPresence();
    }, PRESENCE_DELAY_MS);
  };
  const broadcastBanned = () => io.to('admin').emit('admin:banned', users.bannedUsers());

  /** Every session of the user ends now: their refresh tokens, then their live sockets. */
  const endSessions = async (userId: string, notice: { reason: 'banned' | 'signed-out-everywhere'; by: string }) => {
    refreshTokens.revokeSubject(userId);
    io.to(userRoom(userId)).emit('session-ending', notice);
    return auth.revoke({ sub: userId });
  };

  // After sockjwt's middleware: one token must not open unlimited sockets.
  io.use((socket, next) => {
    const sub = (socket.data.decoded_token as ChatClaims | undefined)?.sub;
    if (sub !== undefined && (open.get(sub) ?? 0) >= limits.socketsPerUser) return next(tooManySockets(limits.socketsPerUser));
    next();
  });

  io.on('connection', (socket: ChatSocket) => {
    const me = userOf(claimsOf(socket));
    const count = (open.get(me.id) ?? 0) + 1;
    open.set(me.id, count);
    socket.on('disconnect', () => {
      const left = (open.get(me.id) ?? 1) - 1;
      if (left > 0) open.set(me.id, left);
      else open.delete(me.id);
      presenceChanged();
    });
    // Handshakes that passed the check together can still exceed the cap: the latest goes, told
    // why first, in sockjwt's `unauthorized` shape (sockjwt/client then stops with this message).
    if (count > limits.socketsPerUser) {
      const refusal = new UnauthorizedError('too_many_sockets', 'rejected', tooManySocketsMessage(limits.socketsPerUser));
      (socket as unknown as Socket).emit('unauthorized', refusal.toJSON());
      socket.disconnect(true);
      return;
    }

    /** Checks the arguments, runs the handler, and answers exactly once, whatever happens. */
    const handle = <E extends keyof typeof SCHEMAS>(event: E, handler: (args: Args<E>, answer: Answer) => unknown) => {
      (socket as unknown as { on(event: string, listener: (...args: unknown[]) => void): void }).on(event, (...raw) => {
        const last = raw[raw.length - 1];
        // This server answers every event; a client that asks for no answer gets nothing done.
        if (typeof last !== 'function') return;
        let answered = false;
        const answer: Answer = (value) => {
          if (answered) return;
          answered = true;
          (last as Answer)(value);
        };
        const parsed = SCHEMAS[event].safeParse(raw.slice(0, -1));
        if (!parsed.success) return answer({ ok: false, message: BAD_REQUEST[event] });
        const failed = (error: unknown) => {
          log(`error in "${event}" from ${me.id}: ${error instanceof Error ? error.stack : 'a non-Error value was thrown'}`);
          answer({ ok: false, message: 'Something went wrong on the server.' });
        };
        try {
          Promise.resolve(handler(parsed.data as Args<E>, answer)).catch(failed);
        } catch (error) {
          failed(error);
        }
      });
    };

    handle('join', async ([room], answer) => {
      const refused = roomRefusal(socket, room);
      if (refused) return answer(ackRefusal(refused)); // { ok: false, message, data: { code: 'forbidden', reason: 'claim_required' } }
      await socket.join(room);
      answer({ ok: true, history: history.get(room)! });
    });

    handle('message', async ([input], answer) => {
      const text = input.text.trim();
      if (!socket.rooms.has(input.room)) return answer({ ok: false, message: 'Join the room first.' });
      if (text.length === 0 || text.length > MAX_MESSAGE_LENGTH) return answer({ ok: false, message: `A message is 1 to ${MAX_MESSAGE_LENGTH} characters.` });
      if (FORBIDDEN_IN_MESSAGE.test(text)) return answer({ ok: false, message: 'A message cannot hold control characters or text-direction overrides.' });
      const wait = Math.max(await messagesPerSocket.take(socket.id), await messagesPerUser.take(claimsOf(socket).sub));
      if (wait > 0) return answer({ ok: false, message: `You are sending messages too fast. Wait ${seconds(wait)}.` });
      // The sender as the *current* token says: claims change with each refresh.
      const message: ChatMessage = { id: randomUUID(), room: input.room, from: userOf(claimsOf(socket)), text, at: Date.now() };
      const kept = history.get(input.room)!;
      kept.push(message);
      if (kept.length > HISTORY_LENGTH) kept.shift();
      io.to(input.room).emit('message', message);
      answer({ ok: true });
    });

    handle('signout-everywhere', async (_args, answer) => {
      const { sub, name } = claimsOf(socket);
      answer({ ok: true }); // before the revocation drops this socket too
      const dropped = await endSessions(sub, { reason: 'signed-out-everywhere', by: name });
      log(`${sub} signed out everywhere (${dropped} socket(s) dropped)`);
    });

    // `admin:*` events are guarded by sockjwt: a member's ban never reaches this handler.
    handle('admin:ban', async ([userId], answer) => {
      const admin = claimsOf(socket);
      if (!users.get(userId)) return answer({ ok: false, message: 'No such user.' });
      if (userId === admin.sub) return answer({ ok: false, message: 'You cannot ban yourself.' });
      users.ban(userId);
      const dropped = await endSessions(userId, { reason: 'banned', by: admin.name });
      log(`${admin.sub} banned ${userId} (${dropped} socket(s) dropped)`);
      broadcastBanned();
      answer({ ok: true });
    });

    handle('admin:unban', ([userId], answer) => {
      if (!users.isBanned(userId)) return answer({ ok: false, message: 'That user is not banned.' });
      users.unban(userId);
      log(`${claimsOf(socket).sub} unbanned ${userId}`);
      broadcastBanned();
      answer({ ok: true });
    });

    // Lobby for everyone; the admin room only if the guard allows it (`socket.join()` would skip it anyway).
    const rooms = ROOMS.filter((room) => roomRefusal(socket, room) === undefined);
    void Promise.resolve(socket.join([...rooms, userRoom(me.id)]))
      .then(() => {
        for (const room of rooms) socket.emit('joined', room, history.get(room)!);
        if (rooms.includes('admin')) socket.emit('admin:banned', users.bannedUsers());
        presenceChanged();
      })
      // An adapter that fails to join (a cluster's) must not end the process with an unhandled rejection.
      .catch((error: unknown) => log(`joining the rooms of ${me.id} failed: ${error instanceof Error ? error.message : String(error)}`));
  });

  return {
    close() {
      clearTimeout(presenceTimer);
      presenceTimer = undefined;
    },
  };
}

/** The socket's current claims: sockjwt replaces them on every in-place refresh. */
function claimsOf(socket: ChatSocket): ChatClaims {
  return socket.data.decoded_token;
}

function userOf(claims: ChatClaims): PublicUser {
  return { id: claims.sub, name: claims.name, role: claims.role };
}

function tooManySocketsMessage(max: number): string {
  return `This account already has ${max} connections open here. Close a tab and try again.`;
}

/** A refusal the page shows as it is (`connect_error`, `err.data.code`). */
function tooManySockets(max: number): Error & { data: { message: string; code: string } } {
  const message = tooManySocketsMessage(max);
  return Object.assign(new Error(message), { data: { message, code: 'too_many_sockets' } });
}
