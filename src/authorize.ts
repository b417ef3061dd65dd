import { createHandshakeMiddleware } from './socket/handshake.js';
import { createConnectionListener } from './socket/message-mode.js';
import { buildContext } from './config/build-context.js';
import type { AuthorizeOptions, ConnectionListener, HandshakeMiddleware, HandshakeOptions, JwtClaims, MessageOptions } from './types.js';

/**
 * Handshake mode: `io.use(authorize({ secret, handshake: true }))`. The token travels with
 * the connection (handshake `auth`, Bearer header or `token` query) and a refused client
 * gets `connect_error` with `err.data = { message, code, type, reason }`.
 *
 * @example
 * ```ts
 * import { authorize } from 'sockjwt';
 * io.use(authorize({ secret: process.env.JWT_SECRET!, algorithms: ['HS256'], handshake: true }));
 * io.on('connection', (socket) => console.log(socket.decoded_token.sub));
 * // client: io(url, { auth: { token } })
 * ```
 */
export function authorize<Claims = JwtClaims>(options: HandshakeOptions<Claims>): HandshakeMiddleware;
/**
 * Message mode (the default): `io.on('connection', authorize({ secret }))`. The socket is
 * held out of the namespace until it emits `authenticate` with `{ token }`; then the
 * namespace emits `authenticated` server-side and the client receives `authenticated`.
 *
 * @example
 * ```ts
 * import { authorize } from 'sockjwt';
 * io.on('connection', authorize({ secret: process.env.JWT_SECRET!, timeout: 15_000 }));
 * io.on('authenticated', (socket) => console.log(socket.decoded_token.sub));
 * // client: socket.on('connect', () => socket.emit('authenticate', { token }))
 * ```
 */
export function authorize<Claims = JwtClaims>(options: MessageOptions<Claims>): ConnectionListener;
/**
 * Options whose mode the compiler cannot see (a variable typed `AuthorizeOptions`, or socketio-jwt's
 * `IOptions`): the result is typed for both uses, as socketio-jwt typed it. Registered the wrong
 * way it refuses at run time: every handshake gets an error, or every socket is disconnected
 * with a warning.
 */
export function authorize<Claims = JwtClaims>(options: AuthorizeOptions<Claims>): HandshakeMiddleware & ConnectionListener;
export function authorize<Claims = JwtClaims>(options: AuthorizeOptions<Claims>): HandshakeMiddleware | ConnectionListener {
  const ctx = buildContext(options as AuthorizeOptions<unknown>);
  return ctx.handshake ? createHandshakeMiddleware(ctx) : createConnectionListener(ctx);
}
