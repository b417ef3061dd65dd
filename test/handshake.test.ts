import assert from 'node:assert/strict';
import { generateKeyPairSync, createSecretKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { authorize } from '../src/index.js';
import { connected, next, nowSeconds, refusal, SECRET, sign, startServer } from './support.js';

const PAYLOAD = { sub: 'u-1', name: 'Ann', role: 'admin' };

function handshakeServer(t: Parameters<typeof startServer>[0], options: Record<string, unknown> = {}) {
  return startServer(t, (io) => {
    io.use(authorize({ secret: SECRET, handshake: true, ...options }));
    io.on('connection', (socket) => {
      socket.on('whoami', (ack: (value: unknown) => void) =>
        ack({ decoded: (socket as any).decoded_token, data: socket.data, encoded: (socket as any).encoded_token }),
      );
    });
  });
}

async function whoami(client: ReturnType<Awaited<ReturnType<typeof startServer>>['connect']>) {
  return (await client.emitWithAck('whoami')) as { decoded: any; data: any; encoded: unknown };
}

describe('handshake mode: token sources', () => {
  it('accepts the v4 auth payload and attaches claims, the raw token only on the socket', async (t) => {
    const h = await handshakeServer(t);
    const token = sign(PAYLOAD);
    const client = h.connect('/', { auth: { token } });
    await connected(client);
    const { decoded, data, encoded } = await whoami(client);
    assert.equal(decoded.sub, 'u-1');
    assert.equal(decoded.name, 'Ann');
    assert.deepEqual(data, { decoded_token: decoded });
    assert.equal(encoded, token);

    const [remote] = await h.io.fetchSockets();
    assert.equal(remote?.data.decoded_token.sub, 'u-1');
    assert.ok(!JSON.stringify(remote?.data).includes(token), 'raw token must never be in socket.data');
  });

  for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
    it(`accepts "Authorization: ${scheme} <token>"`, async (t) => {
      const h = await handshakeServer(t);
      const client = h.connect('/', { extraHeaders: { Authorization: `${scheme} ${sign(PAYLOAD)}` } });
      await connected(client);
      assert.equal((await whoami(client)).decoded.sub, 'u-1');
    });
  }

  for (const header of ['Bearer', `Bearer ${'x'} extra`, 'Bearer  double-space']) {
    it(`refuses the header "${header}" with credentials_bad_format`, async (t) => {
      const h = await handshakeServer(t);
      const error = await refusal(h.connect('/', { extraHeaders: { Authorization: header } }));
      assert.equal(error.data.code, 'credentials_bad_format');
      assert.equal(error.data.reason, 'malformed');
    });
  }

  it('accepts the token query parameter (the seeds\' clients)', async (t) => {
    const h = await handshakeServer(t);
    const client = h.connect('/', { query: { token: sign(PAYLOAD) } });
    await connected(client);
    assert.equal((await whoami(client)).decoded.name, 'Ann');
  });

  it('ignores the query parameter when queryToken is false', async (t) => {
    const h = await handshakeServer(t, { queryToken: false });
    const error = await refusal(h.connect('/', { query: { token: sign(PAYLOAD) } }));
    assert.equal(error.data.code, 'credentials_required');
    assert.equal(error.data.reason, 'missing');
  });

  it('takes the first source found: auth before header before query', async (t) => {
    const h = await handshakeServer(t);
    const good = sign({ sub: 'from-auth' });
    const first = h.connect('/', { auth: { token: good }, extraHeaders: { Authorization: 'Bearer garbage' }, query: { token: 'garbage' } });
    await connected(first);
    assert.equal((await whoami(first)).decoded.sub, 'from-auth');

    const second = h.connect('/', { extraHeaders: { Authorization: `Bearer ${sign({ sub: 'from-header' })}` }, query: { token: 'garbage' } });
    await connected(second);
    assert.equal((await whoami(second)).decoded.sub, 'from-header');

    const third = h.connect('/', { auth: { token: 'garbage' }, query: { token: good } });
    assert.equal((await refusal(third)).data.code, 'invalid_token');
  });

  it('reads a configured cookie', async (t) => {
    const h = await handshakeServer(t, { cookie: 'access_token' });
    const client = h.connect('/', { extraHeaders: { Cookie: `theme=dark; access_token=${sign(PAYLOAD)}` } });
    await connected(client);
    assert.equal((await whoami(client)).decoded.sub, 'u-1');
    const without = h.connect('/', { extraHeaders: { Cookie: 'theme=dark' } });
    assert.equal((await refusal(without)).data.code, 'credentials_required');
  });

  it('auth_header_required accepts only the Bearer header', async (t) => {
    const h = await handshakeServer(t, { auth_header_required: true });
    const token = sign(PAYLOAD);
    assert.equal((await refusal(h.connect('/', { auth: { token } }))).data.code, 'missing_authorization_header');
    assert.equal((await refusal(h.connect('/', { query: { token } }))).data.code, 'missing_authorization_header');
    assert.equal((await refusal(h.connect('/', { extraHeaders: { Authorization: `Basic ${token}` } }))).data.code, 'credentials_bad_format');
    const client = h.connect('/', { extraHeaders: { Authorization: `Bearer ${token}` } });
    await connected(client);
  });

  it('refuses a handshake without a token with credentials_required and the wire shape of socketio-jwt', async (t) => {
    const h = await handshakeServer(t);
    const error = await refusal(h.connect('/'));
    assert.equal(typeof error.message, 'string');
    assert.ok(error.message.length > 10);
    assert.deepEqual(Object.keys(error.data).sort(), ['code', 'message', 'reason', 'type']);
    assert.deepEqual(error.data, { message: error.message, code: 'credentials_required', type: 'UnauthorizedError', reason: 'missing' });
  });

  it('required: false lets an anonymous socket in but still refuses a bad token', async (t) => {
    const h = await handshakeServer(t, { required: false });
    const anonymous = h.connect('/');
    await connected(anonymous);
    assert.equal((await whoami(anonymous)).decoded, undefined);
    assert.equal((await refusal(h.connect('/', { auth: { token: 'nope' } }))).data.code, 'invalid_token');
  });
});

describe('handshake mode: token failures carry code and reason', () => {
  const now = nowSeconds();
  const cases: Array<{ name: string; token: unknown; options?: Record<string, unknown>; code?: string; reason: string }> = [
    { name: 'bad signature', token: sign(PAYLOAD, {}, 'another-secret'), reason: 'bad_signature' },
    { name: 'expired', token: sign({ ...PAYLOAD, exp: now - 10 }), reason: 'expired' },
    { name: 'not yet valid', token: sign(PAYLOAD, { notBefore: 60 }), reason: 'not_yet_valid' },
    { name: 'garbage', token: 'not-a-jwt', reason: 'malformed' },
    { name: 'two segments', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0', reason: 'malformed' },
    { name: 'a number instead of a string', token: 42, reason: 'malformed' },
    { name: 'an object instead of a string', token: { nested: true }, reason: 'malformed' },
    { name: 'algorithm outside the allow-list', token: sign(PAYLOAD, { algorithm: 'HS512' }), options: { algorithms: ['HS256'] }, reason: 'algorithm_not_allowed' },
    { name: 'alg none', token: sign(PAYLOAD, { algorithm: 'none' }, ''), reason: 'bad_signature' },
    { name: 'wrong audience', token: sign({ ...PAYLOAD, aud: 'other' }), options: { audience: 'chat' }, reason: 'claim_invalid' },
    { name: 'missing audience when one is required', token: sign(PAYLOAD), options: { audience: 'chat' }, reason: 'claim_invalid' },
    { name: 'wrong issuer', token: sign({ ...PAYLOAD, iss: 'evil' }), options: { issuer: ['https://login.example'] }, reason: 'claim_invalid' },
    { name: 'wrong subject', token: sign(PAYLOAD), options: { subject: 'u-2' }, reason: 'claim_invalid' },
    { name: 'wrong jwtid', token: sign({ ...PAYLOAD, jti: 'a' }), options: { jwtid: 'b' }, reason: 'claim_invalid' },
    { name: 'older than maxAge', token: sign({ ...PAYLOAD, iat: now - 7200 }), options: { maxAge: '1h' }, reason: 'expired' },
    { name: 'maxAge without iat', token: sign(PAYLOAD, { noTimestamp: true }), options: { maxAge: 60 }, reason: 'claim_invalid' },
    { name: 'expired beyond clockTolerance', token: sign({ ...PAYLOAD, exp: now - 30 }), options: { clockTolerance: 10 }, reason: 'expired' },
    { name: 'longer than maxTokenLength', token: sign({ ...PAYLOAD, pad: 'x'.repeat(300) }), options: { maxTokenLength: 200 }, reason: 'too_large' },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.code ?? 'invalid_token'}/${c.reason}`, async (t) => {
      const h = await handshakeServer(t, c.options);
      const error = await refusal(h.connect('/', { auth: { token: c.token } }));
      assert.equal(error.data.code, c.code ?? 'invalid_token');
      assert.equal(error.data.reason, c.reason);
      assert.equal(error.data.type, 'UnauthorizedError');
    });
  }

  it('the default maxTokenLength (8 KiB) refuses a 9 KiB token before parsing it', async (t) => {
    const h = await handshakeServer(t);
    const error = await refusal(h.connect('/', { auth: { token: 'a'.repeat(9 * 1024) } }));
    assert.equal(error.data.reason, 'too_large');
  });

  it('accepts what the claim options allow', async (t) => {
    const now = nowSeconds();
    const h = await handshakeServer(t, { audience: [/^chat/], issuer: 'https://login.example', subject: 'u-1', jwtid: 'j-1', maxAge: 60, clockTolerance: 10 });
    const token = sign({ ...PAYLOAD, aud: ['chat-eu'], iss: 'https://login.example', jti: 'j-1', exp: now - 5 });
    const client = h.connect('/', { auth: { token } });
    await connected(client);
  });

  it('ignoreExpiration accepts an expired token (documented as unsafe)', async (t) => {
    const h = await handshakeServer(t, { ignoreExpiration: true });
    await connected(h.connect('/', { auth: { token: sign({ ...PAYLOAD, exp: nowSeconds() - 100 }) } }));
  });
});

describe('handshake mode: keys', () => {
  it('accepts a Buffer and a secret KeyObject', async (t) => {
    const buffer = Buffer.from('bytes-of-a-secret-0123456789abcdef');
    for (const secret of [buffer, createSecretKey(buffer)]) {
      const h = await handshakeServer(t, { secret });
      await connected(h.connect('/', { auth: { token: sign(PAYLOAD, {}, buffer) } }));
    }
  });

  it('verifies RS256 with a PEM public key and ES256 with a public KeyObject', async (t) => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const h1 = await handshakeServer(t, { secret: rsaPem });
    await connected(h1.connect('/', { auth: { token: sign(PAYLOAD, { algorithm: 'RS256' }, rsa.privateKey) } }));

    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const h2 = await handshakeServer(t, { secret: ec.publicKey });
    await connected(h2.connect('/', { auth: { token: sign(PAYLOAD, { algorithm: 'ES256' }, ec.privateKey) } }));
    const wrongCurve = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const error = await refusal(h2.connect('/', { auth: { token: sign(PAYLOAD, { algorithm: 'ES384' }, wrongCurve.privateKey) } }));
    assert.equal(error.data.reason, 'algorithm_not_allowed');
  });

  it('never uses a public key as an HMAC secret (RS256 → HS256 confusion)', async (t) => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const h = await handshakeServer(t, { secret: `\n  ${pem}` });
    const forged = sign(PAYLOAD, { algorithm: 'HS256' }, pem);
    const error = await refusal(h.connect('/', { auth: { token: forged } }));
    assert.equal(error.data.code, 'invalid_token');
    assert.equal(error.data.reason, 'algorithm_not_allowed');
    assert.throws(() => authorize({ secret: pem, handshake: true, algorithms: ['HS256'] }), TypeError);
  });
});

describe('handshake mode: secret functions', () => {
  const SECRETS: Record<string, string> = { alice: 'secret-of-alice-0123456789', bob: 'secret-of-bob-0123456789' };

  it('(request, decoded, callback) picks a per-user secret and sees the request', async (t) => {
    let sawRequest = false;
    const h = await handshakeServer(t, {
      secret: (request: any, decoded: any, callback: any) => {
        sawRequest = typeof request.headers === 'object';
        callback(null, SECRETS[decoded.user]);
      },
    });
    await connected(h.connect('/', { auth: { token: sign({ user: 'alice' }, {}, SECRETS['alice']) } }));
    assert.ok(sawRequest);
    const error = await refusal(h.connect('/', { auth: { token: sign({ user: 'bob' }, {}, SECRETS['alice']) } }));
    assert.equal(error.data.reason, 'bad_signature');
    const unknownUser = await refusal(h.connect('/', { auth: { token: sign({ user: 'eve' }, {}, 'x') } }));
    assert.equal(unknownUser.data.code, 'invalid_secret');
  });

  it('(request, header, payload, callback) selects by kid', async (t) => {
    const h = await handshakeServer(t, {
      secret: (_request: unknown, header: any, payload: any, callback: any) => {
        assert.equal(typeof payload, 'object');
        callback(null, SECRETS[header.kid]);
      },
    });
    await connected(h.connect('/', { auth: { token: sign({ sub: 'x' }, { keyid: 'bob' }, SECRETS['bob']) } }));
  });

  it('a Promise-returning function works, and its rejection is invalid_secret/key_unavailable', async (t) => {
    const h = await handshakeServer(t, {
      secret: async (_request: unknown, decoded: any) => {
        if (decoded.user === 'boom') throw new Error('vault unreachable');
        return SECRETS[decoded.user];
      },
    });
    await connected(h.connect('/', { auth: { token: sign({ user: 'alice' }, {}, SECRETS['alice']) } }));
    const error = await refusal(h.connect('/', { auth: { token: sign({ user: 'boom' }, {}, 'x') } }));
    assert.equal(error.data.code, 'invalid_secret');
    assert.equal(error.data.reason, 'key_unavailable');
  });

  it('a function that throws, errs or gives an empty key refuses with invalid_secret', async (t) => {
    const behaviours: Record<string, (cb: (e: unknown, k?: unknown) => void) => void> = {
      throws: () => {
        throw new Error('bug');
      },
      errs: (cb) => cb(new Error('nope')),
      empty: (cb) => cb(null, ''),
      nothing: (cb) => cb(null),
    };
    const h = await handshakeServer(t, { secret: (_r: unknown, decoded: any, cb: any) => behaviours[decoded.mode]!(cb) });
    for (const mode of Object.keys(behaviours)) {
      const error = await refusal(h.connect('/', { auth: { token: sign({ mode }) } }));
      assert.equal(error.data.code, 'invalid_secret', mode);
    }
    const malformed = await refusal(h.connect('/', { auth: { token: 'a.b' } }));
    assert.equal(malformed.data.code, 'invalid_token');
    assert.equal(malformed.data.reason, 'malformed');
  });
});

describe('handshake mode: hooks and names', () => {
  it('customDecoded (sync and async) replaces the claims; property names are configurable', async (t) => {
    const h = await startServer(t, (io) => {
      io.of('/sync').use(authorize({ secret: SECRET, handshake: true, customDecoded: (d) => ({ id: d.sub }), decodedPropertyName: 'user', encodedPropertyName: 'jwt' }));
      io.of('/async').use(authorize({ secret: SECRET, handshake: true, customDecoded: async (d) => ({ name: String(d['name']).toUpperCase() }) }));
      for (const nsp of ['/sync', '/async']) {
        io.of(nsp).on('connection', (socket) => socket.on('get', (ack) => ack({ user: (socket as any).user, jwt: (socket as any).jwt, decoded: (socket as any).decoded_token, data: socket.data })));
      }
    });
    const token = sign(PAYLOAD);
    const sync = h.connect('/sync', { auth: { token } });
    await connected(sync);
    assert.deepEqual(await sync.emitWithAck('get'), { user: { id: 'u-1' }, jwt: token, data: { user: { id: 'u-1' } } });
    const asyncClient = h.connect('/async', { auth: { token } });
    await connected(asyncClient);
    const got = (await asyncClient.emitWithAck('get')) as any;
    assert.deepEqual(got.decoded, { name: 'ANN' });
  });

  it('additional_auth: callback success, callback error with code, Promise forms', async (t) => {
    const h = await handshakeServer(t, {
      additional_auth: (decoded: any, onSuccess: () => void, onError: (e: string, code?: string) => void) => {
        if (decoded.mode === 'ok') return onSuccess();
        if (decoded.mode === 'banned') return onError('user is banned', 'banned');
        if (decoded.mode === 'plain') return onError('nope');
        if (decoded.mode === 'async-ok') return Promise.resolve(true);
        if (decoded.mode === 'async-false') return Promise.resolve(false);
        return Promise.reject(new Error('db down'));
      },
    });
    await connected(h.connect('/', { auth: { token: sign({ mode: 'ok' }) } }));
    await connected(h.connect('/', { auth: { token: sign({ mode: 'async-ok' }) } }));
    const banned = await refusal(h.connect('/', { auth: { token: sign({ mode: 'banned' }) } }));
    assert.deepEqual([banned.data.code, banned.data.reason, banned.message], ['banned', 'rejected', 'user is banned']);
    for (const mode of ['plain', 'async-false', 'async-error']) {
      const error = await refusal(h.connect('/', { auth: { token: sign({ mode }) } }));
      assert.equal(error.data.code, 'unknown', mode);
      assert.equal(error.data.reason, 'rejected', mode);
    }
  });

  it('a throwing customDecoded refuses with unknown/internal and keeps serving', async (t) => {
    const h = await handshakeServer(t, { customDecoded: () => { throw new Error('bug'); } });
    const error = await refusal(h.connect('/', { auth: { token: sign(PAYLOAD) } }));
    assert.deepEqual([error.data.code, error.data.reason], ['unknown', 'internal']);
    assert.ok(!error.message.includes('bug'), 'internal error text stays on the server');
  });

  it('namespaces: a public "/", a handshake-mode "/admin_hs"', async (t) => {
    const h = await startServer(t, (io) => {
      io.of('/admin_hs').use(authorize({ secret: SECRET, handshake: true }));
    });
    await connected(h.connect('/'));
    assert.equal((await refusal(h.connect('/admin_hs'))).data.code, 'credentials_required');
    await connected(h.connect('/admin_hs', { auth: { token: sign(PAYLOAD) } }));
  });
});

describe('handshake mode: the next event after refusal', () => {
  it('a refused client is not connected and receives nothing', async (t) => {
    const h = await handshakeServer(t);
    const client = h.connect('/', { auth: { token: 'bad' } });
    await refusal(client);
    assert.equal(client.connected, false);
    await assert.rejects(next(client, 'connect', 200));
  });
});

describe('handshake mode: transports and misuse', () => {
  it('reads the Bearer header and the auth payload over HTTP long-polling too', async (t) => {
    const h = await handshakeServer(t);
    const viaHeader = h.connect('/', { transports: ['polling'], extraHeaders: { Authorization: `Bearer ${sign(PAYLOAD)}` } });
    await connected(viaHeader);
    assert.equal((await whoami(viaHeader)).decoded.sub, 'u-1');
    const viaAuth = h.connect('/', { transports: ['polling'], auth: { token: sign({ sub: 'u-2' }) } });
    await connected(viaAuth);
    assert.equal((await whoami(viaAuth)).decoded.sub, 'u-2');
    assert.equal((await refusal(h.connect('/', { transports: ['polling'] }))).data.code, 'credentials_required');
  });

  it('used as a connection listener by mistake, it drops the socket and warns instead of crashing', async (t) => {
    const warning = new Promise<Error & { code?: string }>((resolve) => process.once('warning', resolve));
    const h = await startServer(t, (io) => {
      io.on('connection', authorize({ secret: SECRET, handshake: true }) as never);
    });
    const client = h.connect('/', { auth: { token: sign(PAYLOAD) } });
    const [reason] = await next<[string]>(client, 'disconnect');
    assert.equal(reason, 'io server disconnect');
    assert.equal((await warning).code, 'SOCKJWT_MISUSED');
  });
});

describe('signature spelling', () => {
  it('a signature whose last character differs only in unused bits is refused (bad_signature), as jsonwebtoken does', async (t) => {
    const h = await startServer(t, (io) => io.use(authorize({ secret: SECRET, handshake: true })));
    const token = sign({ sub: 'u-1' });
    // HS256: 32 bytes in 43 characters, so the last one carries 2 unused bits.
    const last = token.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
    const respelled = token.slice(0, -1) + twin;
    assert.equal(Buffer.from(respelled.split('.')[2]!, 'base64url').equals(Buffer.from(token.split('.')[2]!, 'base64url')), true, 'the same signature bytes');
    assert.equal((await refusal(h.connect('/', { auth: { token: respelled } }))).data.reason, 'bad_signature');
    await connected(h.connect('/', { auth: { token } }));
  });
});
