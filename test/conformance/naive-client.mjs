// A deliberately naive client for `npm run conformance`: plain socket.io-client, one token
// fetched once, no refresh, no handling of refusals. The conformance test asserts which
// behaviours it fails.
import { io } from 'socket.io-client';

const { SOCKJWT_URL: url, SOCKJWT_TOKEN_URL: tokenUrl, SOCKJWT_MODE: mode } = process.env;
const { token } = await (await fetch(tokenUrl)).json();

const socket = io(url, { transports: ['websocket'], ...(mode === 'handshake' ? { auth: { token } } : {}) });
if (mode === 'message') socket.on('connect', () => socket.emit('authenticate', { token }));
