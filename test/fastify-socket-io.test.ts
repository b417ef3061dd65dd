import assert from 'node:assert/strict';
import type { Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { authorize } from '../src/index.js';
import { cachedInstall } from './cached-install.js';
import { next, refusal, SECRET, sign } from './support.js';

/**
 * The fastify-socket.io recipe in docs/nest.md, on the Fastify major fastify-socket.io 5.1.0
 * declares (4). Both are installed in node_modules/.cache from test/fastify-socket-io/package.json
 * (test/cached-install.ts), without peers: the plugin's `require('socket.io')` finds the app's.
 */

/** What the recipe uses of a Fastify 4 instance with fastify-socket.io registered; their types sit beside Fastify 5's. */
interface Fastify4 {
  readonly version: string;
  readonly server: HttpServer;
  readonly io: Server;
  register(plugin: unknown, options?: object): PromiseLike<unknown>;
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

const dir = cachedInstall('test/fastify-socket-io/package.json', 'sockjwt-fastify-4', 'fastify-socket.io', ['--omit=peer']);
const requireThere = createRequire(join(dir, 'package.json'));
const Fastify = requireThere('fastify') as () => Fastify4;
const fastifySocketIO = (requireThere('fastify-socket.io') as { default: unknown }).default;

describe('fastify-socket.io on Fastify 4', () => {
  it('authorize() on fastify.io: a good token is admitted with its claims, a bad one refused with sockjwt\'s error data', async (t) => {
    // ── the recipe ──
    const fastify = Fastify();
    await fastify.register(fastifySocketIO);
    fastify.io.use(authorize({ secret: SECRET, algorithms: ['HS256'], handshake: true }));
    fastify.io.on('connection', (socket) => socket.emit('hello', socket.data.decoded_token));
    // ── ──
    t.after(() => fastify.close());
    assert.equal(fastify.version.split('.')[0], '4');
    assert.ok(fastify.io instanceof Server, "fastify-socket.io made its server from the app's socket.io");
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
    const connect = (token: string) => {
      const client = connectClient(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
      t.after(() => client.disconnect());
      return client;
    };

    const forged = await refusal(connect(sign({ sub: 'mallory' }, {}, 'another-secret-of-reasonable-length')));
    assert.deepEqual([forged.message, forged.data.code, forged.data.reason], ['invalid signature', 'invalid_token', 'bad_signature']);
    const expired = await refusal(connect(sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 60 })));
    assert.deepEqual([expired.data.code, expired.data.reason], ['invalid_token', 'expired']);

    const client = connect(sign({ sub: 'alice', name: 'Alice' }));
    const [hello] = await next<[{ sub: string; name: string }]>(client, 'hello');
    assert.deepEqual([hello.sub, hello.name], ['alice', 'Alice']);
    // fastify-socket.io's preClose ends the sockets, its onClose closes io.
    const gone = next<[string]>(client, 'disconnect');
    await fastify.close();
    const [reason] = await gone;
    assert.equal(reason, 'io server disconnect');
  });
});
