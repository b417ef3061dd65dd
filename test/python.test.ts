import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { authorize, type JwtClaims } from '../src/index.js';
import { AUDIENCE, ISSUER, signingKey, tamper } from './key-support.js';
import { assertPythonImports, PYTHON } from './python-support.js';
import { connected, nowSeconds, refusal, startServer, type Harness } from './support.js';

const MODULES = ['socketio', 'jwt', 'cryptography', 'websocket', 'requests'];
const PACKAGES = 'python3-socketio python3-jwt python3-cryptography python3-websocket python3-requests';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const script = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const EXAMPLE = `${ROOT}examples/python-login/`;
const CHILD_TIMEOUT_MS = 15_000;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns a child that is killed after CHILD_TIMEOUT_MS, and when the test ends if still alive. */
function spawnChild(t: TestContext, command: string, args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  const child = spawn(command, args, { env: { ...process.env, ...env }, timeout: CHILD_TIMEOUT_MS });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** Runs a script to completion and collects its output. */
function run(t: TestContext, command: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Finished> {
  const child = spawnChild(t, command, args, options.env);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts a long-running server and resolves with the port from the first stdout line naming its URL. */
function startListening(t: TestContext, command: string, args: string[], env: Record<string, string>): Promise<number> {
  const child = spawnChild(t, command, args, env);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const port = /http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
      if (port) resolve(Number(port));
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}) before listening: ${stderr}`)));
  });
}

/** PyJWT signs; stdin carries the keys so they never appear in a process listing. */
async function mintWithPyJWT(t: TestContext, jobs: Array<{ alg: string; key: string; payload: object; headers?: object }>): Promise<string[]> {
  const result = await run(t, PYTHON, [script('python/mint.py')], { input: JSON.stringify(jobs) });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as string[];
}

type ClientLine = { event: string; claims?: JwtClaims; error?: { message: string; data: Record<string, string> } };

/** The python-socketio client, run to completion; its JSON lines, parsed. */
async function pythonClient(t: TestContext, url: string, mode: 'handshake' | 'message', token: string): Promise<ClientLine[]> {
  const result = await run(t, PYTHON, [script('python/client.py'), url, mode, token]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as ClientLine);
  assert.equal(lines.at(-1)?.event, 'done', result.stdout);
  return lines.slice(0, -1);
}

const claimsFor = (sub: string, extra: object = {}) => ({ sub, iss: ISSUER, aud: AUDIENCE, iat: nowSeconds(), exp: nowSeconds() + 600, ...extra });
const SHARED_SECRET = 'the-python-login-servers-SECRET_KEY-0123456789';

function whoamiServer(t: TestContext, configure: Parameters<typeof startServer>[1]): Promise<Harness> {
  return startServer(t, (io) => {
    configure(io);
    io.on('connection', (socket) => socket.on('whoami', (ack: (claims: unknown) => void) => ack(socket.data.decoded_token)));
  });
}

describe('Python interop (PyJWT, python-socketio)', () => {
  before(() => assertPythonImports({ modules: MODULES, packages: PACKAGES }));

  it('accepts tokens PyJWT signed with HS256, RS256, PS256, ES256, ES384 and EdDSA, and refuses them tampered', async (t) => {
    const keys = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'].map((alg) => signingKey(alg, `py-${alg}`));
    const pkcs8 = (key: (typeof keys)[number]) => key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const tokens = await mintWithPyJWT(t, [
      { alg: 'HS256', key: SHARED_SECRET, payload: claimsFor('py-HS256') },
      ...keys.map((key) => ({ alg: key.alg, key: pkcs8(key), payload: claimsFor(`py-${key.alg}`), headers: { kid: key.kid } })),
    ]);
    const h = await startServer(t, (io) => {
      io.of('/hmac').use(authorize({ handshake: true, secret: SHARED_SECRET, issuer: ISSUER, audience: AUDIENCE }));
      io.of('/set').use(authorize({ handshake: true, secret: { keys: keys.map((key) => key.jwk) }, issuer: ISSUER, audience: AUDIENCE }));
      for (const nsp of ['/hmac', '/set']) io.of(nsp).on('connection', (socket) => socket.on('whoami', (ack: (c: unknown) => void) => ack(socket.data.decoded_token)));
    });
    const expected = ['HS256', ...keys.map((key) => key.alg)];
    for (const [index, token] of tokens.entries()) {
      const nsp = index === 0 ? '/hmac' : '/set';
      const client = h.connect(nsp, { auth: { token } });
      await connected(client);
      assert.equal(((await client.emitWithAck('whoami')) as JwtClaims).sub, `py-${expected[index]}`);
      const error = await refusal(h.connect(nsp, { auth: { token: tamper(token) } }));
      assert.deepEqual([error.data.code, error.data.reason], ['invalid_token', 'bad_signature'], expected[index]);
    }
  });

  it('a python-socketio client authenticates in the handshake (auth={"token": ...}) and reads a refusal from connect_error', async (t) => {
    const [good, expired] = await mintWithPyJWT(t, [
      { alg: 'HS256', key: SHARED_SECRET, payload: claimsFor('py-user') },
      { alg: 'HS256', key: SHARED_SECRET, payload: claimsFor('py-user', { exp: nowSeconds() - 60 }) },
    ]);
    const h = await whoamiServer(t, (io) => io.use(authorize({ handshake: true, secret: SHARED_SECRET, issuer: ISSUER, audience: AUDIENCE })));

    const admitted = await pythonClient(t, h.url, 'handshake', good!);
    assert.deepEqual(admitted.map((line) => line.event), ['connect', 'whoami']);
    assert.equal(admitted[1]!.claims!.sub, 'py-user');

    for (const [token, reason] of [[tamper(good!), 'bad_signature'], [expired!, 'expired']] as const) {
      const [line, ...rest] = await pythonClient(t, h.url, 'handshake', token);
      assert.equal(line!.event, 'connect_error');
      assert.deepEqual(rest, []);
      assert.equal(line!.error!.data['code'], 'invalid_token');
      assert.equal(line!.error!.data['reason'], reason);
      assert.equal(line!.error!.data['type'], 'UnauthorizedError');
    }
  });

  it('a python-socketio client uses the authenticate message and reads a refusal from unauthorized', async (t) => {
    const key = signingKey('ES256', 'py-es');
    const [good, wrongAudience] = await mintWithPyJWT(t, [
      { alg: 'ES256', key: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), payload: claimsFor('py-msg'), headers: { kid: 'py-es' } },
      { alg: 'ES256', key: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), payload: claimsFor('py-msg', { aud: 'another-app' }), headers: { kid: 'py-es' } },
    ]);
    const h = await whoamiServer(t, (io) => io.on('connection', authorize({ secret: { keys: [key.jwk] }, issuer: ISSUER, audience: AUDIENCE })));

    const admitted = await pythonClient(t, h.url, 'message', good!);
    assert.deepEqual(admitted.map((line) => line.event), ['connect', 'authenticated', 'whoami']);
    assert.equal(admitted[2]!.claims!.sub, 'py-msg');

    const refused = await pythonClient(t, h.url, 'message', wrongAudience!);
    assert.deepEqual(refused.map((line) => line.event), ['connect', 'unauthorized']);
    assert.deepEqual([refused[1]!.error!.data['code'], refused[1]!.error!.data['reason']], ['invalid_token', 'claim_invalid']);
  });

  it('examples/python-login: the Python login service issues RS256 tokens that the Node server verifies via its JWKS, across a key rotation', async (t) => {
    assert.ok(existsSync(`${ROOT}dist/index.js`), 'the example imports the built package: run npm run build');
    const loginPort = await startListening(t, PYTHON, [`${EXAMPLE}login_server.py`], { PORT: '0' });
    const loginUrl = `http://127.0.0.1:${loginPort}`;
    const socketPort = await startListening(t, process.execPath, [`${EXAMPLE}server.mjs`], { PORT: '0', LOGIN_URL: loginUrl });
    const env = { LOGIN_URL: loginUrl, SOCKET_URL: `http://127.0.0.1:${socketPort}` };
    const client = (...args: string[]) => run(t, PYTHON, [`${EXAMPLE}client.py`, ...args], { env });

    const first = await client();
    assert.deepEqual([first.code, first.stdout.trim()], [0, 'hello ann'], first.stderr);

    const jwks = (await (await fetch(`${loginUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    const rotated = (await (await fetch(`${loginUrl}/rotate`, { method: 'POST' })).json()) as { kid: string };
    assert.ok(jwks.keys.some((key) => key.kid === rotated.kid), 'the next key was published before it signed anything');
    const afterRotation = await client('bob', 'battery staple');
    assert.deepEqual([afterRotation.code, afterRotation.stdout.trim()], [0, 'hello bob'], afterRotation.stderr);

    const badPassword = await client('bob', 'wrong');
    assert.deepEqual([badPassword.code, badPassword.stdout.trim()], [1, 'login failed: 401']);
  });
});
