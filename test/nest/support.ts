import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type { INestApplication, ModuleMetadata, Type } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { SockjwtIoAdapter, SockjwtModule, type SockjwtModuleOptions } from '../../src/nest/index.js';
import { ChatGateway, Journal, LobbyGateway } from './gateways.js';
import { SockjwtService } from '../../src/nest/index.js';
import { uniquePrefix } from '../redis-support.js';
import { authenticateWithAck, connected, next, nowSeconds, refusal, SECRET, sign, type Mode, type WireError } from '../support.js';

/** A real Nest app (gateways on '/' and '/chat') on port 0, and real socket.io-client sockets to it. */

export const NAMESPACES = ['/', '/chat'] as const;

export interface NestHarness {
  app: INestApplication;
  journal: Journal;
  /** http://127.0.0.1:<port> */
  url: string;
  connect(namespace: string, token?: string): ClientSocket;
  /** Connects and authenticates in the mode's way; resolves once the gateway's handleConnection has run for it. */
  login(namespace: string, token: string): Promise<ClientSocket>;
}

export function moduleOptions(mode: Mode, extra: Partial<SockjwtModuleOptions> = {}): SockjwtModuleOptions {
  return (mode === 'handshake' ? { secret: SECRET, algorithms: ['HS256'], handshake: true, ...extra } : { secret: SECRET, algorithms: ['HS256'], ...extra }) as SockjwtModuleOptions;
}

export async function listen(t: TestContext, app: INestApplication, journal: Journal, mode: Mode, adapter = new SockjwtIoAdapter(app)): Promise<NestHarness> {
  app.useWebSocketAdapter(adapter);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const clients: ClientSocket[] = [];
  t.after(async () => {
    for (const client of clients) client.disconnect();
    await app.close();
  });
  const connect = (namespace: string, token?: string) => {
    const auth = mode === 'handshake' && token !== undefined ? { auth: { token } } : {};
    const client = connectClient(`http://127.0.0.1:${port}${namespace}`, { transports: ['websocket'], reconnection: false, forceNew: true, ...auth });
    clients.push(client);
    return client;
  };
  const login = async (namespace: string, token: string) => {
    const admitted = next<[{ socketId: string }]>(journal, 'connection');
    const client = connect(namespace, token);
    await connected(client);
    if (mode === 'message') {
      const ack = await authenticateWithAck(client, token);
      assert.equal(ack.ok, true, `authenticate refused: ${ack.data?.reason}`);
    }
    const [entry] = await admitted;
    assert.equal(entry.socketId, client.id);
    return client;
  };
  return { app, journal, url: `http://127.0.0.1:${port}`, connect, login };
}

/** Built by @nestjs/testing. `sockjwt`: SockjwtModule.forRoot/forRootAsync, default forRoot in the mode; `adapter`: default SockjwtIoAdapter. */
export async function nestApp(t: TestContext, mode: Mode, build: { extra?: Partial<SockjwtModuleOptions>; sockjwt?: NonNullable<ModuleMetadata['imports']>[number]; adapter?: (app: INestApplication) => Promise<SockjwtIoAdapter>; httpAdapter?: AbstractHttpAdapter; gateways?: Type[] } = {}): Promise<NestHarness> {
  const journal = new Journal();
  const moduleRef = await Test.createTestingModule({
    imports: [build.sockjwt ?? SockjwtModule.forRoot(moduleOptions(mode, build.extra))],
    providers: [{ provide: Journal, useValue: journal }, ...(build.gateways ?? [LobbyGateway, ChatGateway])],
  }).compile();
  const app = build.httpAdapter ? moduleRef.createNestApplication(build.httpAdapter, { logger: false }) : moduleRef.createNestApplication({ logger: false });
  return listen(t, app, journal, mode, await build.adapter?.(app));
}

/** How a refused token ends, in the mode's way: `connect_error` or `unauthorized`. */
export async function refusedWith(h: NestHarness, mode: Mode, namespace: string, token: string): Promise<WireError['data']> {
  const client = h.connect(namespace, token);
  if (mode === 'handshake') return (await refusal(client)).data;
  await connected(client);
  const gone = next(client, 'disconnect');
  const [error, ack] = (await Promise.all([next<[WireError, (() => void) | undefined]>(client, 'unauthorized'), client.emit('authenticate', { token })]))[0];
  ack?.(); // the client has read the refusal: the server may disconnect now
  await gone;
  return error.data;
}

export const noneToken = (): string => {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'mallory', exp: nowSeconds() + 3600 })}.`;
};

/** Two nodes sharing one key prefix (their revocation rules are theirs alone); alice and bob logged in on B's '/chat'. */
export async function twoNodesAliceAndBobOnB(node: (keyPrefix: string) => Promise<NestHarness>) {
  const keyPrefix = uniquePrefix();
  const a = await node(keyPrefix);
  const b = await node(keyPrefix);
  const alice = await b.login('/chat', sign({ sub: 'alice' }));
  const aliceId = alice.id;
  const bob = await b.login('/chat', sign({ sub: 'bob' }));
  return { a, b, alice, aliceId, bob };
}

/** A revokes alice, who has no socket on A: she is dropped on B as `revoked`, B's gateway hears it, bob stays. */
export async function revokeAliceFromA({ a, b, alice, aliceId, bob }: Awaited<ReturnType<typeof twoNodesAliceAndBobOnB>>): Promise<void> {
  const dropped = next<[WireError]>(alice, 'unauthorized', 5000);
  const heard = next<[{ namespace: string; socketId: string }]>(b.journal, 'disconnect', 5000);
  assert.equal(await a.app.get(ChatGateway).sockjwt.revoke({ sub: 'alice' }), 0, 'node A has no socket of alice');
  const [error] = await dropped;
  assert.equal(error.data.reason, 'revoked');
  const [entry] = await heard;
  assert.deepEqual([entry.namespace, entry.socketId], ['/chat', aliceId]);
  assert.equal(b.app.get(SockjwtService).sessionCount, 1);
  assert.equal(bob.connected, true);
}
