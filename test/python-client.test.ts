import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { Server } from 'socket.io';
import { before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { authorize, type AuthorizeOptions } from '../src/index.js';
import { assertPythonImports, HELPER_MODULES, PYTHON } from './python-support.js';
import { outputOf, SECRET, startServer } from './support.js';

const script = (path: string) => fileURLToPath(new URL(path, import.meta.url));

function runPython(t: TestContext, args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(PYTHON, args, { timeout: timeoutMs });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return outputOf(child);
}

interface HelperLine {
  event: 'authenticated' | 'unauthorized' | 'stopped';
  exp?: number | null;
  expires_in_s?: number | null;
  refreshed?: boolean;
  reason?: string;
}

/** A real sockjwt server in `mode` with `options`; the URL of its default namespace. */
async function sockjwtServer(t: TestContext, mode: 'handshake' | 'message', options: Partial<AuthorizeOptions>): Promise<string> {
  const h = await startServer(t, (io) => {
    if (mode === 'handshake') io.use(authorize({ secret: SECRET, handshake: true, ...options } as AuthorizeOptions & { handshake: true }) as never);
    else io.on('connection', authorize({ secret: SECRET, ...options } as AuthorizeOptions) as never);
  });
  return `${h.url}/`;
}

/** test/python/lifetime_client.py: the helper's events until `until`, a refusal or a stop. */
async function helperEvents(t: TestContext, args: { url: string; flavour: 'sync' | 'async'; mode: 'handshake' | 'message'; until: 'refreshed' | 'authenticated'; authenticatedFirst?: boolean; signedOut?: boolean; connectAfterDrop?: boolean; expS?: number }): Promise<HelperLine[]> {
  const flags = [...(args.authenticatedFirst ? ['authenticated-first'] : []), ...(args.signedOut ? ['signed-out-after-first'] : []), ...(args.connectAfterDrop ? ['connect-after-drop'] : [])];
  const argv = [script('python/lifetime_client.py'), args.url, args.flavour, args.mode, SECRET, args.until, ...flags];
  const child = spawn(PYTHON, argv, { timeout: 40_000, env: { ...process.env, ...(args.expS ? { SOCKJWT_TEST_EXP_S: String(args.expS) } : {}) } });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const result = await outputOf(child);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as HelperLine);
}

describe('the Python client helper (clients/python) against a real sockjwt server', () => {
  before(() => assertPythonImports(HELPER_MODULES));

  it('bounds get_token with token_timeout_s, prefers expiresInMs to the local clock, and reads refusals as the spec says', async (t) => {
    const result = await runPython(t, [script('python/session_checks.py')]);
    assert.equal(result.code, 0, result.stderr);
    const checks = JSON.parse(result.stdout) as Record<string, unknown>;
    // A get_token that never answers: 3 calls (the first, then max_retries = 2), each cut at 0.3 s, then a stop.
    const sync = checks['sync_token_timeout'] as { reason: string; calls: number; seconds: number };
    assert.deepEqual([sync.reason, sync.calls], ['token_timeout', 3]);
    assert.ok(sync.seconds >= 0.3 * 3 + 0.25 + 0.5 && sync.seconds < 5, `stopped after ${sync.seconds} s`);
    const asyncio = checks['async_token_timeout'] as { reason: string; seconds: number };
    assert.equal(asyncio.reason, 'token_timeout');
    assert.ok(asyncio.seconds >= 0.3 * 2 + 0.25 && asyncio.seconds < 5, `stopped after ${asyncio.seconds} s`);
    // get_token raising an error with retryable = False (signed out): one call, then a stop, as in sockjwt/client.
    assert.deepEqual(checks['sync_signed_out'], { reason: 'token_unavailable', calls: 1 });
    assert.deepEqual(checks['async_signed_out'], { reason: 'token_unavailable', calls: 1 });
    // The server's expiresInMs (4 s) wins over an exp 1000 s away on the client's clock.
    assert.equal(checks['expires_in_ms_preferred'], 4);
    assert.equal(checks['refresh_in_s'], 2);
    // The 1 s floor (protocol.md 8.2): a maxSessionMs-capped life does not halve into a refresh storm.
    assert.equal(checks['refresh_in_s_floor'], 1);
    assert.equal(checks['refresh_in_s_floor_at_zero'], 1);
    assert.equal(checks['exp_fallback'], 100);
    assert.equal(checks['expires_in_ms_null_never'], true);
    assert.equal(checks['token_fallback'], 123);
    assert.equal(checks['retry_after_s'], 1.5);
    assert.equal(checks['retry_delay_rate_limited'], 1.5);
    assert.equal(checks['retry_delay_expired_first'], 0);
    assert.equal(checks['retry_delay_expired_second'], 2);
    assert.deepEqual(checks['unknown_reason'], ['reconnect after back-off', 'retry refresh']);
    assert.equal(checks['not_sockjwt'], null);
  });
});

describe('the Python helper: lifetimes the server states (docs/protocol.md 3.2, 8.2)', () => {
  for (const flavour of ['sync', 'async'] as const) {
    it(`${flavour}: refreshes in place a token without exp whose life the server states (maxAge 3 s, handshake mode)`, async (t) => {
      const url = await sockjwtServer(t, 'handshake', { maxAge: 3 });
      const lines = await helperEvents(t, { url, flavour, mode: 'handshake', until: 'refreshed' });
      // Only the server's `authenticated` (expiresInMs ≈ 3000) can schedule this refresh: the token has no exp.
      assert.deepEqual(lines.map((line) => [line.event, line.refreshed ?? line.reason]), [['authenticated', false], ['authenticated', true]], JSON.stringify(lines));
    });
  }

  it('sync: an `authenticated` that reaches the helper before `connect` is kept (the refresh is scheduled from it)', async (t) => {
    const url = await sockjwtServer(t, 'handshake', { maxAge: 3 });
    const lines = await helperEvents(t, { url, flavour: 'sync', mode: 'handshake', until: 'refreshed', authenticatedFirst: true });
    assert.deepEqual(lines.map((line) => [line.event, line.refreshed ?? line.reason]), [['authenticated', false], ['authenticated', true]], JSON.stringify(lines));
  });

  it('sync: a `connect` heard after its transport dropped (no `disconnect` follows it) is a lost connection: the helper reconnects', async (t) => {
    // The server cuts the first connection's transport as it admits it; the helper hears that
    // connection's `connect` only afterwards (python-socketio handles each packet on its own thread).
    let connections = 0;
    const h = await startServer(t, (io) => {
      io.use(authorize({ secret: SECRET, handshake: true }) as never);
      io.on('connection', (socket) => {
        if (connections++ === 0) socket.conn.close();
      });
    });
    const lines = await helperEvents(t, { url: `${h.url}/`, flavour: 'sync', mode: 'handshake', until: 'authenticated', connectAfterDrop: true });
    assert.deepEqual(lines.map((line) => line.event), ['authenticated'], JSON.stringify(lines));
    assert.equal(connections, 2, 'the helper connected again after the drop');
  });

  for (const flavour of ['sync', 'async'] as const) {
    it(`${flavour}: get_token raising SignedOut during a refresh stops the helper at once (token_unavailable), not at expiry`, async (t) => {
      const url = await sockjwtServer(t, 'handshake', { maxAge: 3 });
      const lines = await helperEvents(t, { url, flavour, mode: 'handshake', until: 'refreshed', signedOut: true });
      assert.deepEqual(lines.map((line) => [line.event, line.refreshed ?? line.reason]), [['authenticated', false], ['stopped', 'token_unavailable']], JSON.stringify(lines));
    });
  }

  for (const flavour of ['sync', 'async'] as const) {
    it(`${flavour}: expiresInMs null means the server never drops the socket for its lifetime: no refresh, whatever exp says`, async (t) => {
      // ignoreExpiration: the server admits the token and states expiresInMs: null although it has an exp.
      const url = await sockjwtServer(t, 'message', { ignoreExpiration: true });
      const lines = await helperEvents(t, { url, flavour, mode: 'message', until: 'authenticated', expS: 60 });
      assert.equal(lines.length, 1, JSON.stringify(lines));
      assert.equal(lines[0]!.event, 'authenticated');
      assert.equal(typeof lines[0]!.exp, 'number');
      assert.equal(lines[0]!.expires_in_s, null, 'no end, so no refresh is scheduled');
    });
  }
});

/**
 * A sockjwt server (handshake mode) on `port` (0: a free one). `tokens` gets the `n` claim of each
 * admitted token; `events` gets 'the helper ended its TCP connection' when a client's FIN arrives.
 */
async function restartableServer(port: number, tokens: number[], events: string[]) {
  const http = createServer();
  const io = new Server(http);
  io.use(authorize({ secret: SECRET, handshake: true }) as never);
  io.on('connection', (socket) => tokens.push((socket.data as { decoded_token: { n: number } }).decoded_token.n));
  http.on('connection', (raw) => raw.once('end', () => events.push('the helper ended its TCP connection')));
  http.listen(port, '127.0.0.1');
  await once(http, 'listening');
  return { io, port: (http.address() as AddressInfo).port };
}

describe('the Python helper across a graceful server restart (issue 24 #5)', () => {
  before(() => assertPythonImports(HELPER_MODULES));

  for (const flavour of ['sync', 'async'] as const) {
    it(`${flavour}: io.close() ends because the helper closed its socket (not the server's 30 s close timer), and it reconnects to the restarted server with a fresh token`, async (t) => {
      const tokens: number[] = [];
      const events: string[] = [];
      const first = await restartableServer(0, tokens, events);
      const argv = [script('python/lifetime_client.py'), `http://127.0.0.1:${first.port}/`, flavour, 'handshake', SECRET, 'reconnected'];
      const child = spawn(PYTHON, argv, { timeout: 60_000 });
      let second: Awaited<ReturnType<typeof restartableServer>> | undefined;
      t.after(async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await Promise.all([first.io.close(), second?.io.close()]);
      });
      const output = outputOf(child);
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      assert.equal((JSON.parse(line) as HelperLine).event, 'authenticated');
      // Graceful: socket.io closes every engine.io socket (a websocket close frame), then waits for
      // the HTTP server's connections to end. ws destroys a connection whose peer never ends it
      // only after 30 s; a helper that closes its transport ends it first.
      await first.io.close();
      events.push('io.close() resolved');
      assert.deepEqual(events, ['the helper ended its TCP connection', 'io.close() resolved']);
      second = await restartableServer(first.port, tokens, events);
      const result = await output;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(tokens.length, 2, `two connections, one per server: ${JSON.stringify(tokens)}`);
      assert.ok(tokens[1]! > tokens[0]!, `a fresh token for the restarted server: ${JSON.stringify(tokens)}`);
    });
  }
});
