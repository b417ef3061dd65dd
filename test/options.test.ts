import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { authorize, UnauthorizedError, isUnauthorizedError } from '../src/index.js';

const ok = { secret: 'shared-secret' };

describe('authorize(): bad options fail at construction, loudly', () => {
  const bad: Array<[string, unknown, ErrorConstructor]> = [
    ['no options', undefined, TypeError],
    ['no secret', {}, TypeError],
    ['an empty string secret', { secret: '' }, TypeError],
    ['an empty Buffer secret', { secret: Buffer.alloc(0) }, TypeError],
    ['a number secret', { secret: 42 }, TypeError],
    ['an unknown option (typo)', { ...ok, algorithm: ['HS256'] }, TypeError],
    ['algorithm none', { ...ok, algorithms: ['none'] }, TypeError],
    ['algorithm NoNe', { ...ok, algorithms: ['HS256', 'NoNe'] }, TypeError],
    ['an unknown algorithm', { ...ok, algorithms: ['HS1'] }, TypeError],
    ['an empty algorithm list', { ...ok, algorithms: [] }, TypeError],
    ['algorithms outside the key family', { ...ok, algorithms: ['RS256'] }, TypeError],
    ['a negative timeout', { ...ok, timeout: -1 }, RangeError],
    ['a zero timeout', { ...ok, timeout: 0 }, RangeError],
    ['a string timeout', { ...ok, timeout: '5000' }, RangeError],
    ['a NaN callback', { ...ok, callback: Number.NaN }, RangeError],
    ['a negative clockTolerance', { ...ok, clockTolerance: -5 }, RangeError],
    ['an unparseable maxAge', { ...ok, maxAge: 'soon' }, RangeError],
    ['a zero maxTokenLength', { ...ok, maxTokenLength: 0 }, RangeError],
    ['a negative verifiedTokenCache', { ...ok, verifiedTokenCache: -1 }, RangeError],
    ['a fractional verifiedTokenCache', { ...ok, verifiedTokenCache: 2.5 }, RangeError],
    ['decodedPropertyName clobbering socket.id', { ...ok, decodedPropertyName: 'id' }, TypeError],
    ['encodedPropertyName clobbering socket.data', { ...ok, encodedPropertyName: 'data' }, TypeError],
    ['an empty decodedPropertyName', { ...ok, decodedPropertyName: '' }, TypeError],
    ['a non-function customDecoded', { ...ok, customDecoded: 'x' }, TypeError],
    ['a non-function additional_auth', { ...ok, additional_auth: {} }, TypeError],
    ['an empty cookie name', { ...ok, handshake: true, cookie: '' }, TypeError],
    ['an unknown revocationFailMode', { ...ok, revocationFailMode: 'sometimes' }, TypeError],
    ['an unparseable PEM', { secret: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' }, TypeError],
  ];
  for (const [name, options, type] of bad) {
    it(`refuses ${name} with ${type.name}`, () => {
      assert.throws(() => authorize(options as never), (error: Error) => error instanceof type && error.message.startsWith('sockjwt:'));
    });
  }

  it('accepts every documented form of secret', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const secrets: unknown[] = [
      'shared',
      Buffer.from('shared'),
      createSecretKey(Buffer.from('shared')),
      publicKey,
      privateKey,
      publicKey.export({ type: 'spki', format: 'pem' }),
      (_r: unknown, _d: unknown, cb: (e: null, k: string) => void) => cb(null, 'k'),
      async () => 'k',
    ];
    for (const secret of secrets) {
      assert.equal(typeof authorize({ secret } as never), 'function');
      assert.equal(typeof authorize({ secret, handshake: true } as never), 'function');
    }
  });

  it('warns, without failing, about an option of the other mode (socketio-jwt ignored them)', async () => {
    const warning = new Promise<Error>((resolve) => process.once('warning', resolve));
    authorize({ ...ok, handshake: true, timeout: 1000 } as never);
    const emitted = await warning;
    assert.equal((emitted as Error & { code?: string }).code, 'SOCKJWT_OPTION_IGNORED');
    assert.match(emitted.message, /"timeout"/);
  });
});

describe('UnauthorizedError', () => {
  it('has the socketio-jwt data shape and never serialises its cause', () => {
    const cause = new Error('secret internals');
    const error = new UnauthorizedError('invalid_token', 'expired', 'jwt expired', { cause });
    assert.ok(isUnauthorizedError(error));
    assert.equal(error.name, 'UnauthorizedError');
    assert.equal(error.inner, cause);
    assert.deepEqual(error.data, { message: 'jwt expired', code: 'invalid_token', type: 'UnauthorizedError', reason: 'expired' });
    const wire = JSON.stringify(error);
    assert.deepEqual(JSON.parse(wire), { message: 'jwt expired', data: error.data });
    assert.ok(!wire.includes('internals'));
  });
});

describe('numeric options: one check, on the server and in sockjwt/client', () => {
  it('the server and the client refuse the same bad numbers with the same words', async () => {
    const { connect } = await import('../src/client/index.js');
    const client = (options: object) => connect('http://127.0.0.1:1', { getToken: () => 'token', autoConnect: false, ...options });
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, -1, '5']) {
      assert.throws(() => authorize({ ...ok, hookTimeoutMs: value } as never), { name: 'RangeError', message: /^sockjwt: "hookTimeoutMs" must be a finite number greater than 0$/ });
      assert.throws(() => client({ ackTimeoutMs: value }), { name: 'RangeError', message: /^sockjwt\/client: "ackTimeoutMs" must be a finite, non-negative number$/ });
    }
    assert.throws(() => client({ maxRetries: 1.5 }), { name: 'RangeError', message: /"maxRetries" must be a non-negative integer/ });
    assert.throws(() => authorize({ ...ok, rateLimit: { maxFailures: 1.5 } }), { name: 'RangeError', message: /"rateLimit.maxFailures" must be a positive integer/ });
  });

  it('a member given as undefined takes its default, as a missing one does', () => {
    assert.doesNotThrow(() => authorize({ ...ok, rateLimit: { maxFailures: undefined, windowMs: 1000 } }));
  });
});
