import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { authorize, UnauthorizedError, type AuthorizeOptions } from '../src/index.js';
import { connected, next, refusal, SECRET, sign, startServer, type WireError } from './support.js';

// What socketio-jwt 4.6.2 did that its users rely on, beyond its own test suite (test/compat/).

type Unauthorized = [WireError, (() => void) | undefined];

/** alg: none, no signature: the token of socketio-jwt's own "unsigned token" tests. */
const UNSIGNED = 'eyJhbGciOiJub25lIiwiY3R5IjoiSldUIn0.eyJuYW1lIjoiSm9obiBGb28ifQ.';
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function server(t: Parameters<typeof startServer>[0], options: AuthorizeOptions) {
  return startServer(t, (io) => {
    if (options.handshake === true) io.use(authorize(options));
    else io.on('connection', authorize(options));
    io.on('connection', (socket: Socket) => socket.on('whoami', (ack: (claims: unknown) => void) => ack(socket.data.decoded_token)));
  });
}

async function messageRefusal(client: ClientSocket, payload: unknown): Promise<WireError> {
  await connected(client);
  const outcome = next<Unauthorized>(client, 'unauthorized');
  client.emit('authenticate', payload);
  return (await outcome)[0];
}

async function whoami(client: ClientSocket): Promise<Record<string, unknown>> {
  return (await client.timeout(3000).emitWithAck('whoami')) as Record<string, unknown>;
}

describe('socketio-jwt drop-in: an unsigned token', () => {
  for (const handshake of [true, false]) {
    const mode = handshake ? 'handshake' : 'message';
    it(`${mode} mode: refused with jsonwebtoken's text before any secret function runs (3 and 4 parameters)`, async (t) => {
      const seen: unknown[] = [];
      const three = (_request: unknown, decoded: unknown, callback: (error: null, key: string) => void) => (seen.push(decoded), callback(null, SECRET));
      const four = (_request: unknown, _header: unknown, payload: unknown, callback: (error: null, key: string) => void) => (seen.push(payload), callback(null, SECRET));
      for (const secret of [three, four]) {
        const h = await server(t, { secret, handshake } as AuthorizeOptions);
        const error = handshake ? (await refusal(h.connect('/', { query: { token: UNSIGNED } }))) : await messageRefusal(h.connect(), { token: UNSIGNED });
        assert.equal(error.message, 'jwt signature is required');
        assert.deepEqual({ ...error.data }, { message: 'jwt signature is required', code: 'invalid_token', type: 'UnauthorizedError', reason: 'bad_signature' });
      }
      assert.deepEqual(seen, [], 'no secret function saw the unsigned claims');
    });
  }

  it('a static secret gives the same text', async (t) => {
    const h = await server(t, { secret: SECRET, handshake: true });
    const error = await refusal(h.connect('/', { auth: { token: UNSIGNED } }));
    assert.equal(error.data.message, 'jwt signature is required');
    assert.equal(error.data.code, 'invalid_token');
  });

  it('alg: none with a signature never reaches the secret function either', async (t) => {
    let calls = 0;
    const h = await server(t, { handshake: true, secret: (_r, _d, callback) => (calls++, callback(null, SECRET)) });
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory' })}.c2lnbmF0dXJl`;
    const error = await refusal(h.connect('/', { auth: { token } }));
    assert.deepEqual([error.data.code, error.data.reason, calls], ['invalid_token', 'algorithm_not_allowed', 0]);
  });
});

describe("socketio-jwt drop-in: auth_header_required", () => {
  it("says socketio-jwt's 'Server requires Authorization Header'", async (t) => {
    const h = await server(t, { secret: SECRET, handshake: true, auth_header_required: true });
    const error = await refusal(h.connect('/', { query: { token: sign({ sub: 'u' }) } }));
    assert.deepEqual({ ...error.data }, { message: 'Server requires Authorization Header', code: 'missing_authorization_header', type: 'UnauthorizedError', reason: 'missing' });
  });
});

describe('socketio-jwt drop-in: no token in the handshake', () => {
  it("says socketio-jwt's 'no token provided'", async (t) => {
    const h = await server(t, { secret: SECRET, handshake: true });
    const error = await refusal(h.connect('/'));
    assert.deepEqual({ ...error.data }, { message: 'no token provided', code: 'credentials_required', type: 'UnauthorizedError', reason: 'missing' });
  });
});

describe("socketio-jwt drop-in: additional_auth's onError({ code, message })", () => {
  it('passes the object form\'s message and code to the client, in both modes', async (t) => {
    const additional_auth = (decoded: { sub?: string }, _onSuccess: () => void, onError: (error: { code: string; message: string }) => void) =>
      onError({ code: 'banned', message: `user ${decoded.sub} is banned` });
    const hs = await server(t, { secret: SECRET, handshake: true, additional_auth });
    const handshakeError = await refusal(hs.connect('/', { auth: { token: sign({ sub: 'ann' }) } }));
    assert.deepEqual([handshakeError.data.code, handshakeError.data.message, handshakeError.data.reason], ['banned', 'user ann is banned', 'rejected']);
    const ms = await server(t, { secret: SECRET, additional_auth });
    const messageError = await messageRefusal(ms.connect(), { token: sign({ sub: 'bob' }) });
    assert.deepEqual([messageError.data.code, messageError.data.message], ['banned', 'user bob is banned']);
  });

  it("the second argument wins over the object's code, as in socketio-jwt; no code at all is 'unknown'", async (t) => {
    const h1 = await server(t, { secret: SECRET, handshake: true, additional_auth: (_d, _s, onError) => onError({ code: 'banned', message: 'no' }, 'suspended') });
    assert.deepEqual([(await refusal(h1.connect('/', { auth: { token: sign({ sub: 'a' }) } }))).data.code], ['suspended']);
    const h2 = await server(t, { secret: SECRET, handshake: true, additional_auth: (_d, _s, onError) => onError({ message: 'no' }) });
    const error = await refusal(h2.connect('/', { auth: { token: sign({ sub: 'a' }) } }));
    assert.deepEqual([error.data.code, error.data.message], ['unknown', 'no']);
  });
});

describe('socketio-jwt drop-in: cookie in message mode', () => {
  it('an authenticate without a token reads the configured cookie; no warning about the option', async (t) => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    const h = await server(t, { secret: SECRET, cookie: 'access_token' });
    await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
    assert.deepEqual(warnings.filter((message) => message.includes('"cookie"')), []);

    const client = h.connect('/', { extraHeaders: { Cookie: `theme=dark; access_token=${sign({ sub: 'from-cookie' })}` } });
    await connected(client);
    const authenticated = next(client, 'authenticated');
    client.emit('authenticate', {});
    await authenticated;
    assert.equal((await whoami(client))['sub'], 'from-cookie');

    // A token in the message still wins, so an in-band refresh replaces the cookie's token.
    const refreshed = await client.timeout(3000).emitWithAck('authenticate', { token: sign({ sub: 'from-cookie', v: 2 }) });
    assert.equal((refreshed as { ok: boolean }).ok, true);
    assert.equal((await whoami(client))['v'], 2);
  });

  it('the cookie header is hidden from serialisation of the handshake; no cookie is refused as socketio-jwt did', async (t) => {
    let handshakeJson = '';
    const h = await startServer(t, (io) => {
      io.on('connection', authorize({ secret: SECRET, cookie: 'access_token' }));
      io.on('authenticated', (socket: Socket) => (handshakeJson = JSON.stringify(socket.handshake)));
    });
    const token = sign({ sub: 'c' });
    const client = h.connect('/', { extraHeaders: { Cookie: `access_token=${token}` } });
    await connected(client);
    const authenticated = next(client, 'authenticated');
    client.emit('authenticate');
    await authenticated;
    assert.ok(handshakeJson.length > 0 && !handshakeJson.includes(token));

    const error = await messageRefusal(h.connect('/', { extraHeaders: { Cookie: 'theme=dark' } }), {});
    assert.deepEqual([error.data.code, error.data.message], ['invalid_token', 'invalid token datatype']);
  });
});

describe("socketio-jwt drop-in: new UnauthorizedError(code, { message })", () => {
  it("builds socketio-jwt's error: data, inner, and what the client receives", async (t) => {
    const inner = { message: 'account closed' };
    const error = new UnauthorizedError('account_closed', inner);
    assert.ok(error instanceof Error);
    assert.equal(error.message, 'account closed');
    assert.equal(error.inner, inner);
    assert.deepEqual(error.data, { message: 'account closed', code: 'account_closed', type: 'UnauthorizedError', reason: 'rejected' });

    const h = await server(t, { secret: SECRET, handshake: true, additional_auth: async () => Promise.reject(new UnauthorizedError('account_closed', { message: 'account closed' })) });
    const received = await refusal(h.connect('/', { auth: { token: sign({ sub: 'a' }) } }));
    assert.deepEqual([received.data.code, received.data.message, received.data.reason], ['account_closed', 'account closed', 'rejected']);
  });
});

describe('socketio-jwt drop-in: the messages docs/reference.md promises to keep', () => {
  it('every message in the table of stable messages is one src/errors/refusals.ts still builds, word for word', () => {
    const readme = readFileSync(new URL('../docs/reference.md', import.meta.url), 'utf8');
    const start = readme.indexOf('| message | code / reason | wording of |');
    assert.ok(start >= 0, 'docs/reference.md has the table of stable messages');
    const rows = readme.slice(start).split('\n').slice(2);
    const messages = rows.slice(0, rows.findIndex((row) => !row.startsWith('|'))).map((row) => /^\| `([^`]+)` \|/.exec(row)?.[1]);
    assert.ok(messages.length >= 10 && messages.every(Boolean), 'each row starts with a message in backticks');
    // Every refusal is built in one module (test/errors-module.test.ts), so that is where to look.
    const source = readFileSync(new URL('../src/errors/refusals.ts', import.meta.url), 'utf8');
    assert.deepEqual(messages.filter((message) => !source.includes(`'${message}'`)), []);
  });
});
