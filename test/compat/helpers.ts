// The glue the ported suite needs that mocha, should, request and server-destroy used to give it.
import assert from 'node:assert/strict';
import type { Socket as ClientSocket } from 'socket.io-client';

/** `request.post({ url: .../login, json: body })`, with fetch. */
export async function login(url: string, body: object): Promise<string> {
  const response = await fetch(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 200);
  return ((await response.json()) as { token: string }).token;
}

/** Every client socket a test opens is closed after it, whatever its outcome. */
export function tracker(): { track: (socket: ClientSocket) => ClientSocket; closeAll: () => void } {
  const sockets: ClientSocket[] = [];
  return {
    track: (socket) => (sockets.push(socket), socket),
    closeAll: () => {
      for (const socket of sockets.splice(0)) socket.close();
    },
  };
}

/** v4 gives a refused handshake `err.data`; v1 gave the client `err.code`, `err.type` on the error itself. */
export interface HandshakeRefusal extends Error {
  data?: { message: string; code: string; type: string };
}

/** mocha reported an assertion thrown in a listener as the test's failure; node:test needs it handed to `done`. */
export function settle(done: (error?: unknown) => void, check: () => void): void {
  try {
    check();
  } catch (error) {
    return done(error);
  }
  done();
}
