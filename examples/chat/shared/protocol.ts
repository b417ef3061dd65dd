// What the browser and the server say to each other: the HTTP bodies and the socket.io events.
// Types only, so the browser bundle imports nothing from the server.

export type Role = 'admin' | 'member';

/** The claims of an access token, as `socket.data.decoded_token` holds them. */
export interface ChatClaims {
  /** The user's public id (never the login name). */
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

/**
 * What others see of a user: a public id and the display name. Never the login name, which
 * would hand half of every account's credentials to whoever is online.
 */
export interface PublicUser {
  id: string;
  name: string;
  role: Role;
}

/** Where the page signs in, refreshes and signs out; the refresh cookie is sent to `/auth/` only. */
export const AUTH_PATH = '/auth';
export const LOGIN_URL = `${AUTH_PATH}/login`;
export const REFRESH_URL = `${AUTH_PATH}/refresh`;
export const LOGOUT_URL = `${AUTH_PATH}/logout`;
/**
 * The page sends this header (value `1`) to the cookie endpoints. A cross-site form cannot
 * send a header, and a cross-origin script needs a CORS preflight this server never grants.
 */
export const CSRF_HEADER = 'x-chat-csrf';

/** `POST /auth/login` and `POST /auth/refresh` answer with this (and set the refresh cookie). */
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
  /** By public id. */
  'admin:ban'(userId: string, ack: (answer: Ack) => void): void;
  'admin:unban'(userId: string, ack: (answer: Ack) => void): void;
}

export interface ServerToClientEvents {
  /** The socket was put in a room by the server (at connect), with the room's recent messages. */
  joined(room: string, history: ChatMessage[]): void;
  message(message: ChatMessage): void;
  /** Everyone online, one entry per user however many tabs they have. */
  presence(users: PublicUser[]): void;
  /** To admins: the users currently banned. */
  'admin:banned'(users: BannedUser[]): void;
  'session-ending'(notice: SessionEnding): void;
}

export interface BannedUser {
  id: string;
  name: string;
}

export const ROOMS = ['lobby', 'admin'] as const;
export const MAX_MESSAGE_LENGTH = 500;
/**
 * Refused in a message: C0/C1 control characters (NUL, escape sequences) and the Unicode
 * direction overrides and isolates, which make a text read differently from what it says.
 */
export const FORBIDDEN_IN_MESSAGE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
