// What the browser and the server say to each other: the HTTP bodies and the socket.io events.
// Types only, so the browser bundle imports nothing from the server.

export type Role = 'admin' | 'member';

/** The claims of an access token, as `socket.data.decoded_token` holds them. */
export interface ChatClaims {
  sub: string;
  name: string;
  role: Role;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
  [claim: string]: unknown;
}

export interface PublicUser {
  username: string;
  name: string;
  role: Role;
}

/** `POST /login` and `POST /refresh` answer with this (and set the refresh cookie). */
export interface TokenResponse {
  token: string;
  /** When the access token expires, in ms since the epoch. */
  expiresAt: number;
  user: PublicUser;
}

/** Every HTTP error body. */
export interface ErrorResponse {
  error: string;
}

export interface ChatMessage {
  id: string;
  room: string;
  from: PublicUser;
  text: string;
  /** ms since the epoch */
  at: number;
}

/** Why a user's sessions are about to be revoked, sent to that user just before. */
export interface SessionEnding {
  reason: 'banned' | 'signed-out-everywhere';
  /** Display name of who did it. */
  by: string;
}

/** An acknowledgement: `{ ok: true }` or sockjwt's `ackRefusal()` shape (or the app's own refusal). */
export type Ack<T extends object = object> =
  | ({ ok: true } & T)
  | { ok: false; message: string; data?: { code: string; reason?: string } };

export interface ClientToServerEvents {
  join(room: string, ack: (answer: Ack<{ history: ChatMessage[] }>) => void): void;
  message(input: { room: string; text: string }, ack: (answer: Ack) => void): void;
  'signout-everywhere'(ack: (answer: Ack) => void): void;
  'admin:ban'(username: string, ack: (answer: Ack) => void): void;
  'admin:unban'(username: string, ack: (answer: Ack) => void): void;
}

export interface ServerToClientEvents {
  /** The socket was put in a room by the server (at connect), with the room's recent messages. */
  joined(room: string, history: ChatMessage[]): void;
  message(message: ChatMessage): void;
  /** Everyone online, one entry per user however many tabs they have. */
  presence(users: PublicUser[]): void;
  /** To admins: the users currently banned. */
  'admin:banned'(usernames: string[]): void;
  'session-ending'(notice: SessionEnding): void;
}

export const ROOMS = ['lobby', 'admin'] as const;
export const MAX_MESSAGE_LENGTH = 500;
