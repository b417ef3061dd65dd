import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { connected, next, refusal, sign, type Ack, type WireError } from './support.js';

/**
 * examples/nest as a user builds it: tsc with emitDecoratorMetadata (constructor injection by
 * type) against the built package (`npm run build`), then run with node. tsc also checks the
 * example's types against both copies of socket.io (the app's and @nestjs/platform-socket.io's).
 */

const repository = fileURLToPath(new URL('..', import.meta.url));

describe('examples/nest', () => {
  it('compiles with tsc, admits tokens it issued, broadcasts, refuses a non-admin ban and drops a banned user', async (t) => {
    execFileSync(process.execPath, [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '-p', 'examples/nest/tsconfig.json'], { cwd: repository, stdio: 'pipe' });
    const server = spawn(process.execPath, ['examples/nest/dist/main.js'], { cwd: repository, env: { ...process.env, PORT: '0', JWT_SECRET: 'an-example-secret-of-reasonable-length' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const clients: ClientSocket[] = [];
    t.after(async () => {
      for (const client of clients) client.disconnect();
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        await once(server, 'exit');
      }
    });
    let output = '';
    server.stdout.setEncoding('utf8');
    const base = await new Promise<string>((resolve, reject) => {
      server.stdout.on('data', (chunk: string) => {
        output += chunk;
        const match = /listening on (http:\/\/\S+)/.exec(output);
        if (match?.[1]) resolve(match[1].replace('[::1]', '127.0.0.1'));
      });
      server.once('exit', (code) => reject(new Error(`the example exited (${code}): ${output}`)));
    });
    const join = async (name: string, role = 'member') => {
      const { token } = (await (await fetch(`${base}/token?name=${name}&role=${role}`)).json()) as { token: string };
      const client = connectClient(`${base}/chat`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
      clients.push(client);
      await connected(client);
      return client;
    };

    const stranger = connectClient(`${base}/chat`, { auth: { token: sign({ sub: 'x', name: 'x' }) }, transports: ['websocket'], reconnection: false, forceNew: true });
    clients.push(stranger);
    assert.equal((await refusal(stranger)).data.reason, 'bad_signature');

    const alice = await join('alice');
    const admin = await join('root', 'admin');
    const heard = next<[{ from: string; text: string }]>(admin, 'message');
    assert.deepEqual(await alice.timeout(3000).emitWithAck('message', 'hello'), { ok: true });
    assert.deepEqual((await heard)[0], { from: 'alice', text: 'hello' });

    const refused = (await alice.timeout(3000).emitWithAck('admin:ban', 'user-root')) as Ack;
    assert.deepEqual([refused.ok, refused.data?.code, refused.data?.reason], [false, 'forbidden', 'claim_required']);

    const dropped = next<[WireError]>(alice, 'unauthorized');
    assert.deepEqual(await admin.timeout(3000).emitWithAck('admin:ban', 'user-alice'), { ok: true, dropped: 1 });
    assert.equal((await dropped)[0].data.reason, 'revoked');
  });
});
