import 'reflect-metadata';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import fastifyJwt from '@fastify/jwt';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import Fastify from 'fastify';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { authorize } from '../src/index.js';
import { SockjwtService } from '../src/nest/index.js';
import { nestApp, noneToken } from './nest/support.js';
import { connected, next, refusal, SECRET, sign, type WireError } from './support.js';

/**
 * Fastify: the recipe in docs/nest.md ("Fastify without Nest"), socket.io on Fastify 5's own
 * server with tokens from @fastify/jwt; and Nest on @nestjs/platform-fastify behind SockjwtIoAdapter.
 */

describe('Fastify', () => {
  it('socket.io on fastify.server: a token from @fastify/jwt is admitted with its claims, a forged one refused, io closes with Fastify', async (t) => {
    // ── the recipe ──
    const fastify = Fastify();
    await fastify.register(fastifyJwt, { secret: SECRET, sign: { expiresIn: '15m' } });
    fastify.post<{ Body: { name: string } }>('/login', async (request) => ({ token: fastify.jwt.sign({ sub: `user-${request.body.name}`, name: request.body.name }) }));
    const io = new Server(fastify.server);
    io.use(authorize({ secret: SECRET, algorithms: ['HS256'], handshake: true }));
    io.on('connection', (socket) => socket.emit('hello', socket.data.decoded_token));
    // Fastify closes its server before onClose hooks run, and waits for open connections: end the sockets first.
    fastify.addHook('preClose', async () => {
      io.local.disconnectSockets(true);
    });
    fastify.addHook('onClose', async () => {
      await io.close();
    });
    // ── ──
    t.after(() => fastify.close());
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
    const { token } = (await (await fetch(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'alice' }) })).json()) as { token: string };

    const forged = connectClient(url, { auth: { token: sign({ sub: 'user-alice' }, {}, 'another-secret-of-reasonable-length') }, transports: ['websocket'], reconnection: false, forceNew: true });
    t.after(() => forged.disconnect());
    assert.equal((await refusal(forged)).data.reason, 'bad_signature');

    const client = connectClient(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    t.after(() => client.disconnect());
    const [hello] = await next<[{ sub: string; name: string }]>(client, 'hello');
    assert.deepEqual([hello.sub, hello.name], ['user-alice', 'alice']);
    const gone = next(client, 'disconnect');
    await fastify.close();
    await gone;
  });

  it('Nest on @nestjs/platform-fastify: SockjwtIoAdapter keeps refused sockets from both gateways and admits good ones', async (t) => {
    const h = await nestApp(t, 'handshake', { httpAdapter: new FastifyAdapter() });
    for (const namespace of ['/', '/chat']) {
      for (const token of [sign({ sub: 'mallory' }, {}, 'another-secret-of-reasonable-length'), noneToken()]) {
        const client = h.connect(namespace, token);
        assert.equal((await refusal(client)).data.type, 'UnauthorizedError');
      }
      assert.equal(h.journal.count('connection', namespace), 0);
      const client = await h.login(namespace, sign({ sub: 'alice', name: 'Alice' }));
      assert.deepEqual(await client.timeout(3000).emitWithAck('whoami', {}), { sub: 'alice', name: 'Alice' });
    }
    const alice = h.connect('/chat', sign({ sub: 'alice' }));
    await connected(alice);
    const [[error], dropped] = await Promise.all([next<[WireError]>(alice, 'unauthorized'), h.app.get(SockjwtService).revoke({ sub: 'alice' })]);
    assert.equal(dropped, 3);
    assert.equal(error.data.reason, 'revoked');
  });
});
