import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { SockjwtModule, SockjwtService } from '../src/nest/index.js';
import { ChatGateway, Journal, LobbyGateway, SecondChatGateway } from './nest/gateways.js';
import { listen, NAMESPACES, nestApp, noneToken, refusedWith } from './nest/support.js';
import { authenticateWithAck, connected, MODES, next, nowSeconds, sign, signRaw, type Ack, type WireError } from './support.js';

/**
 * sockjwt/nest end to end: a real Nest app (two gateways, '/' and '/chat') behind
 * SockjwtIoAdapter, on port 0, reached by the real socket.io-client.
 */

for (const mode of MODES) {
  describe(`sockjwt/nest, ${mode} mode`, () => {
    it('runs afterInit once per gateway, and handleConnection never for a refused token, on both namespaces', async (t) => {
      const h = await nestApp(t, mode);
      assert.equal(h.journal.count('init', '/'), 1);
      assert.equal(h.journal.count('init', '/chat'), 1);
      const refusals: Record<string, string> = {
        expired: sign({ sub: 'alice', exp: nowSeconds() - 60 }),
        'wrong key': sign({ sub: 'alice' }, {}, 'another-secret-of-reasonable-length'),
        'alg none': noneToken(),
        garbage: signRaw('not json'),
      };
      for (const namespace of NAMESPACES) {
        for (const [name, token] of Object.entries(refusals)) {
          const data = await refusedWith(h, mode, namespace, token);
          assert.equal(data.type, 'UnauthorizedError', `${namespace} ${name}`);
        }
        assert.equal(h.journal.count('connection', namespace), 0, `handleConnection ran for a refused socket on ${namespace}`);
        assert.equal(h.journal.count('disconnect', namespace), 0, `handleDisconnect ran for a refused socket on ${namespace}`);
      }
      for (const namespace of NAMESPACES) await h.login(namespace, sign({ sub: 'alice' }));
      assert.equal(h.journal.count('connection', '/'), 1);
      assert.equal(h.journal.count('connection', '/chat'), 1);
    });

    it('hands the handler the claims, and the refreshed claims after an in-band refresh on the same socket', async (t) => {
      const h = await nestApp(t, mode);
      for (const namespace of NAMESPACES) {
        const client = await h.login(namespace, sign({ sub: 'alice', name: 'before' }));
        const id = client.id;
        assert.deepEqual(await client.timeout(3000).emitWithAck('whoami', {}), { sub: 'alice', name: 'before' });
        const ack = (await authenticateWithAck(client, sign({ sub: 'alice', name: 'after' }))) as Ack;
        assert.equal(ack.ok, true);
        assert.deepEqual(await client.timeout(3000).emitWithAck('whoami', {}), { sub: 'alice', name: 'after' });
        assert.equal(client.id, id);
        assert.equal(h.journal.count('connection', namespace), 1, 'a refresh is not a new connection');
      }
    });

    it('drops a socket whose token expires, and handleDisconnect runs for it', async (t) => {
      const h = await nestApp(t, mode);
      const token = sign({ sub: 'alice', exp: nowSeconds() + 2 });
      const client = await h.login('/chat', token);
      const id = client.id;
      const serverSide = next<[{ socketId: string; namespace: string }]>(h.journal, 'disconnect', 6000);
      const [error] = await next<[WireError]>(client, 'unauthorized', 6000);
      assert.equal(error.data.reason, 'expired');
      const [entry] = await serverSide;
      assert.deepEqual([entry.namespace, entry.socketId], ['/chat', id]);
    });

    it('revoke() through the injected service drops the user on both gateways, and only them', async (t) => {
      const h = await nestApp(t, mode);
      const alice = [await h.login('/', sign({ sub: 'alice' })), await h.login('/chat', sign({ sub: 'alice' }))];
      const aliceIds = alice.map((client) => client.id);
      const bob = await h.login('/chat', sign({ sub: 'bob' }));
      const service = h.app.get(LobbyGateway).sockjwt;
      assert.equal(service, h.app.get(ChatGateway).sockjwt);
      assert.equal(service.sessionCount, 3);
      const dropped = Promise.all(alice.map((client) => next<[WireError]>(client, 'unauthorized')));
      const gone = Promise.all(alice.map((client) => next(client, 'disconnect')));
      assert.equal(await service.revoke({ sub: 'alice' }), 2);
      for (const [error] of await dropped) assert.equal(error.data.reason, 'revoked');
      await gone; // the server disconnected them, so the gateways have heard it
      const gatewaysSaw = h.journal.entries.filter((entry) => entry.hook === 'disconnect').map((entry) => [entry.namespace, entry.socketId]);
      assert.deepEqual(gatewaysSaw.sort(), [['/', aliceIds[0]], ['/chat', aliceIds[1]]]);
      assert.equal(service.sessionCount, 1);
      assert.equal(bob.connected, true);
      assert.deepEqual(await bob.timeout(3000).emitWithAck('whoami', {}), { sub: 'bob' });
      await refusedWith(h, mode, '/chat', sign({ sub: 'alice', iat: nowSeconds() - 10 }));
      assert.equal(h.journal.count('connection', '/chat'), 2, 'a revoked token is not admitted again');
    });

    it('@RequireClaims refuses the sockjwt way (forbidden, claim_required) and lets a passing socket through', async (t) => {
      const h = await nestApp(t, mode);
      for (const namespace of NAMESPACES) {
        const member = await h.login(namespace, sign({ sub: 'bob', role: 'member' }));
        const exceptions: unknown[] = [];
        member.on('exception', (payload: unknown) => exceptions.push(payload));
        const refused = (await member.timeout(3000).emitWithAck('admin:ping', {})) as Ack;
        assert.equal(refused.ok, false);
        assert.equal(refused.data?.code, 'forbidden');
        assert.equal(refused.data?.reason, 'claim_required');
        assert.equal(h.journal.count('admin:ping', namespace), 0, 'the guarded handler ran');
        const admin = await h.login(namespace, sign({ sub: 'carol', role: 'admin' }));
        assert.deepEqual(await admin.timeout(3000).emitWithAck('admin:ping', {}), { ok: true, sub: 'carol' });
        // Ordered after the refusal on the same connection: an 'exception' event would have arrived first.
        assert.deepEqual(await member.timeout(3000).emitWithAck('whoami', {}), { sub: 'bob' });
        assert.deepEqual(exceptions, []);
      }
    });
  });
}

describe('sockjwt/nest, message mode', () => {
  it('runs handleConnection when the socket authenticates, not when it connects', async (t) => {
    const h = await nestApp(t, 'message');
    const client = h.connect('/chat');
    await connected(client);
    // A second, authenticated socket: its handleConnection orders after the first socket's connect.
    await h.login('/chat', sign({ sub: 'bob' }));
    assert.deepEqual(h.journal.entries.filter((entry) => entry.hook === 'connection').map((entry) => entry.sub), ['bob']);
    const admitted = next<[{ socketId: string; sub: string }]>(h.journal, 'connection');
    assert.equal((await authenticateWithAck(client, sign({ sub: 'alice' }))).ok, true);
    const [entry] = await admitted;
    assert.deepEqual([entry.socketId, entry.sub], [client.id, 'alice']);
  });
});

describe('two gateways on one namespace', () => {
  for (const mode of MODES) {
    it(`installs sockjwt once, and each gateway sees the socket once (${mode} mode)`, async (t) => {
      const h = await nestApp(t, mode, { gateways: [ChatGateway, SecondChatGateway] });
      const second = next<[{ socketId: string }]>(h.journal, 'connection');
      const client = await h.login('/chat', sign({ sub: 'alice', name: 'Alice' }));
      assert.equal((await second)[0].socketId, client.id);
      assert.equal(h.app.get(SockjwtService).sessionCount, 1);
      assert.equal((await authenticateWithAck(client, sign({ sub: 'alice', name: 'Again' }))).ok, true);
      assert.deepEqual(await client.timeout(3000).emitWithAck('whoami', {}), { sub: 'alice', name: 'Again' });
      assert.deepEqual(h.journal.entries.filter((entry) => entry.hook === 'connection').map((entry) => entry.namespace).sort(), ['/chat', '/chat (second gateway)']);
    });
  }
});

describe('SockjwtModule.forRootAsync', () => {
  it('builds the options from ConfigService, in an app made by NestFactory.create', async (t) => {
    const journal = new Journal();
    const configSecret = 'a-secret-from-config-service-of-some-length';
    class AppModule {}
    const root = {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ JWT_SECRET: configSecret })] }),
        SockjwtModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({ secret: config.getOrThrow<string>('JWT_SECRET'), algorithms: ['HS256'], handshake: true }),
        }),
      ],
      providers: [{ provide: Journal, useValue: journal }, LobbyGateway, ChatGateway],
    };
    const h = await listen(t, await NestFactory.create(root, { logger: false }), journal, 'handshake');
    const data = await refusedWith(h, 'handshake', '/chat', sign({ sub: 'alice' }));
    assert.equal(data.reason, 'bad_signature');
    const client = await h.login('/chat', sign({ sub: 'alice' }, {}, configSecret));
    assert.deepEqual(await client.timeout(3000).emitWithAck('whoami', {}), { sub: 'alice' });
    assert.equal(h.app.get(SockjwtService).sessionCount, 1);
  });
});
