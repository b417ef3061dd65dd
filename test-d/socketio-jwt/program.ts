// A TypeScript program written against socketio-jwt 4.6.2 — the names its types/index.d.ts exports
// and the way its README calls authorize() — with only the import changed from 'socketio-jwt' to
// 'sockjwt'. `npm run lint` compiles it, never runs it, with --strict under module nodenext and
// under commonjs/node10 (the two tsconfig files beside it).
import * as http from 'http';
import { Server } from 'socket.io';
import * as socketioJwt from 'sockjwt';
import { authorize, IOptions, ISocketCallback, ISocketIOError, ISocketIOMiddleware, JWTServer, UnauthorizedError } from 'sockjwt';

const server = http.createServer();
const io: JWTServer = new Server(server);
const SECRETS: { [id: string]: string } = { '123': 'aaafoo super sercret', '555': 'other' };

// README, "Usage": one round trip, the token in the handshake.
io.use(socketioJwt.authorize({ secret: 'your secret or public key', handshake: true }));
io.use(socketioJwt.authorize({ secret: 'your secret', handshake: true, auth_header_required: true }));

// README, "Usage": two round trips, the token in an `authenticate` message.
io.sockets
  .on('connection', socketioJwt.authorize({ secret: 'your secret or public key', timeout: 15000 }))
  .on('authenticated', (socket) => {
    console.log(`hello! ${socket.decoded_token.name}`);
  });
io.sockets.on('connection', socketioJwt.authorize({ secret: 'your secret', timeout: 15000, callback: false }));
io.sockets.on('connection', socketioJwt.authorize({ secret: 'your secret', callback: 8000, decodedPropertyName: 'my_decoded_token' }));
io.on('authenticated', (socket) => socket.emit('hi'));

// README, "Getting the secret dynamically": the parameters are typed by the context.
io.use(authorize({
  secret: (request, decodedToken, callback) => {
    callback(null, SECRETS[String(decodedToken['id'])] + String(request.headers.host));
  },
  handshake: true,
}));
// ...with the casts socketio-jwt's `decodedToken: object` made necessary.
io.use(authorize({ secret: (_request, decodedToken, callback) => callback(null, SECRETS[(decodedToken as { id: string }).id]), handshake: true }));
io.use(authorize({ secret: (_request, decodedToken, callback) => callback(null, SECRETS[(<any>decodedToken).id]), handshake: true }));
// ...returning the secret, or a Promise of it.
io.use(authorize({ secret: (request, decodedToken) => SECRETS[String(decodedToken.sub ?? request.url)], handshake: true }));
io.use(authorize({ secret: async (_request, decodedToken) => SECRETS[String(decodedToken['id'])], handshake: true }));
// ...with the header too: (request, header, payload, callback).
io.sockets.on('connection', authorize({
  secret: (_request, header, payload, callback) => callback(null, header.kid === 'k1' ? SECRETS[String(payload.sub)] : null),
}));
// ...annotated with socketio-jwt's own type for the callback.
const secret = (_request: any, decodedToken: object, callback: ISocketCallback): void => {
  const id = (decodedToken as { id?: string }).id;
  if (!id) return callback({ code: 'invalid_secret', message: 'no id' }, '');
  callback(null, SECRETS[id]);
};
io.use(authorize({ secret, handshake: true }));

// README, "Custom decoded" and "additional_auth", with onError's object form.
const noRight: ISocketIOError = { code: 'forbidden', message: 'no rights' };
io.sockets.on('connection', authorize({
  secret: 'your secret',
  customDecoded: (decoded) => ({ ...decoded, name: 'custom' }),
  additional_auth: (decoded, onSuccess, onError) => {
    if ((decoded as { admin?: boolean }).admin) return onSuccess();
    onError({ code: 'not_admin', message: 'Admins only' }, 'not_admin');
    onError(noRight, noRight.code);
    onError('plain message', 'invalid_token');
  },
}));

// README, "Altering the value of the decoded token", and a base64 secret as a Buffer.
io.on('connection', socketioJwt.authorize({
  customDecoded: (decoded) => {
    return 'new decoded token';
  },
  secret: Buffer.from('my_secret_key', 'base64'),
  decodedPropertyName: 'my_decoded_token',
}));
io.on('authenticated', (socket) => {
  console.log(socket.my_decoded_token);
});

// README, "Cookie": the token cookie, in message mode too.
io.sockets.on('connection', authorize({ secret: 'your secret', cookie: 'token' }));
io.use(authorize({ secret: 'your secret', handshake: true, cookie: 'token' }));

// An options object typed with socketio-jwt's IOptions, and the middleware type it returned.
const options: IOptions = { secret: 'your secret', handshake: true, required: false, encodedPropertyName: 'my_encoded_token' };
const middleware: ISocketIOMiddleware = socketioJwt.authorize(options);
io.use(middleware);

// socketio-jwt's error constructor and shape.
const error = new UnauthorizedError('invalid_token', { message: 'jwt expired' });
const data: { message: string; code: string; type: 'UnauthorizedError' } = error.data;
const message: string = error.message;
void [data, message, error.inner];
