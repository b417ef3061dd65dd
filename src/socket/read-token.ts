import { cookieValue } from '../util/cookies.js';
import type { Socket } from 'socket.io';
import { UnauthorizedError } from '../errors/errors.js';
import { prototypeKeyIn } from '../verify/safe-claims.js';
import type { TokenSources } from '../session/context.js';
import * as refuse from '../errors/refusals.js';

/** The parts of a handshake a token is read from. */
export interface TokenCarrier {
  auth: unknown;
  headers: { authorization?: string | undefined; cookie?: string | undefined };
  query: Record<string, unknown>;
}

/**
 * First found wins: `auth.token` (the CONNECT packet body, never in a URL), the Bearer
 * header, the `token` query parameter, then the configured cookie. Returns undefined when
 * none is present; throws when one is present but unusable.
 */
export function readToken(handshake: TokenCarrier, sources: TokenSources): unknown {
  if (sources.authHeaderRequired) return bearerToken(handshake.headers.authorization, true);

  const fromAuth = (handshake.auth as Record<string, unknown> | undefined)?.['token'];
  if (fromAuth !== undefined && fromAuth !== null && fromAuth !== '') return fromAuth;

  const fromHeader = bearerToken(handshake.headers.authorization, false);
  if (fromHeader !== undefined) return fromHeader;

  if (sources.query) {
    const fromQuery = handshake.query['token'];
    if (fromQuery !== undefined && fromQuery !== '') return fromQuery;
  }

  if (sources.cookie) return cookieValue(handshake.headers.cookie, sources.cookie);
  return undefined;
}

function bearerToken(header: string | undefined, required: boolean): string | undefined {
  if (header === undefined || header === '') {
    if (required) throw refuse.authorizationHeaderRequired();
    return undefined;
  }
  const parts = header.split(' ');
  if (parts.length !== 2) throw badFormat();
  const [scheme, credentials] = parts as [string, string];
  if (/^Bearer$/i.test(scheme) && credentials) return credentials;
  if (required) throw badFormat();
  return undefined;
}

function badFormat(): UnauthorizedError {
  return refuse.badAuthorizationHeader();
}

/**
 * socket.io ships `socket.handshake`, its `auth` and `query` with it, in `fetchSockets()` answers:
 * a prototype-bearing key there (own, at any depth: JSON and query parsing make them) breaks or
 * forges the far side's msgpack decoding, as one in the claims would (safe-claims.ts). Such a
 * handshake is refused, token or not, in both modes; never repaired.
 */
export function unshippableHandshake(socket: Socket): UnauthorizedError | undefined {
  const { auth, query } = socket.handshake;
  const inAuth = prototypeKeyIn(auth);
  if (inAuth !== undefined) return refuse.reservedHandshakeKey('auth', inAuth);
  const inQuery = prototypeKeyIn(query);
  return inQuery === undefined ? undefined : refuse.reservedHandshakeKey('query', inQuery);
}

/**
 * Hides every handshake field that may carry a bearer token from serialisation: socket.io
 * ships `socket.handshake` to other nodes in `fetchSockets()`, and apps log it. The fields
 * stay readable on this socket: `auth.token` through a getter (the common case, and the
 * cheapest: no property is reconfigured), the others made non-enumerable.
 */
export function concealCredentials(socket: Socket, sources: Pick<TokenSources, 'cookie'>): void {
  const { handshake } = socket;
  concealAuthToken(handshake);
  conceal(handshake.headers, 'authorization');
  if (conceal(handshake.query, 'token')) conceal(handshake, 'url'); // the query string is in it too
  if (sources.cookie) conceal(handshake.headers, 'cookie');
}

/**
 * `handshake.auth` whose `token` is read through the prototype, not held as an own property:
 * `JSON.stringify`, the msgpack encoders and the adapters' copies see the other fields only.
 */
class ConcealedAuth {
  #token: unknown;

  constructor(token: unknown) {
    this.#token = token;
  }

  get token(): unknown {
    return this.#token;
  }

  set token(value: unknown) {
    this.#token = value;
  }
}

function concealAuthToken(handshake: { auth: unknown }): void {
  const auth = handshake.auth as Record<string, unknown> | undefined;
  if (typeof auth !== 'object' || auth === null || auth instanceof ConcealedAuth || !Object.hasOwn(auth, 'token')) return;
  const concealed = new ConcealedAuth(auth['token']) as unknown as Record<string, unknown>;
  for (const key in auth) if (key !== 'token' && Object.hasOwn(auth, key)) concealed[key] = auth[key];
  handshake.auth = concealed;
}

function conceal(holder: object | undefined, key: string): boolean {
  if (typeof holder !== 'object' || holder === null || !Object.prototype.hasOwnProperty.call(holder, key)) return false;
  Object.defineProperty(holder, key, { enumerable: false });
  return true;
}
