// A socket.io server that accepts the tokens the Python login service issues.
//
//   LOGIN_URL=http://127.0.0.1:5000 node server.mjs
//
// It never sees the login service's private key: it verifies with the public keys the service
// publishes at /.well-known/jwks.json, fetched on demand, cached, and refetched when a token
// names a key it does not know yet.
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { authorize } from 'sockjwt';

const LOGIN_URL = process.env.LOGIN_URL ?? 'http://127.0.0.1:5000';

const http = createServer();
const io = new Server(http);

io.use(
  authorize({
    handshake: true,
    jwks: { uri: `${LOGIN_URL}/.well-known/jwks.json` },
    // Always pin who issued the token and for whom: the keys could sign tokens for other apps too.
    issuer: process.env.ISSUER ?? LOGIN_URL,
    audience: 'chat',
    algorithms: ['RS256'],
  }),
);

io.on('connection', (socket) => {
  socket.emit('welcome', `hello ${socket.data.decoded_token.sub}`);
});

http.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`socket.io server on http://127.0.0.1:${http.address().port}`);
});
