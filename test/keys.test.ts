import assert from 'node:assert/strict';
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { authorize, type HandshakeOptions } from '../src/index.js';
import { accepted, assertMessageModeSelectsByKid, AUDIENCE, ISSUER, refused, serverWith, signingKey, signJose, tamper } from './key-support.js';
import { nowSeconds } from './support.js';

type Options = Partial<HandshakeOptions>;

const pemOf = (key: { export(options: { type: 'spki'; format: 'pem' }): string | Buffer }) => key.export({ type: 'spki', format: 'pem' }).toString();
const unsigned = (header: object, payload: object) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

const PUBLIC_KEY_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

describe('keys: every public-key algorithm, in every form of secret', () => {
  for (const alg of PUBLIC_KEY_ALGORITHMS) {
    it(`${alg}: whitespace-prefixed PEM (string, Buffer), KeyObject, JWK and JWK Set accept jose's token and refuse it tampered`, async (t) => {
      const key = signingKey(alg, `${alg}-current`);
      const neighbour = signingKey(alg, `${alg}-other`);
      const forms: Record<string, Options['secret']> = {
        pem: `\n\t  ${pemOf(key.publicKey)}`,
        buffer: Buffer.from(`  ${pemOf(key.publicKey)}`),
        keyobject: key.publicKey,
        jwk: key.jwk,
        set: { keys: [neighbour.jwk, key.jwk] },
      };
      const h = await serverWith(t, Object.fromEntries(Object.entries(forms).map(([form, secret]) => [form, { secret }])));
      const token = await key.sign({ sub: `signed-with-${alg}` });
      for (const form of Object.keys(forms)) {
        assert.equal((await accepted(h, form, token)).sub, `signed-with-${alg}`, form);
        assert.equal((await refused(h, form, tamper(token))).reason, 'bad_signature', form);
      }
    });
  }

  for (const alg of ['HS256', 'HS384', 'HS512']) {
    it(`${alg}: string, Buffer, secret KeyObject, oct JWK and an array of secrets accept jose's token`, async (t) => {
      const secret = `a-${alg}-secret-that-is-long-enough-for-hs512-0123456789abcdef`;
      const bytes = Buffer.from(secret);
      const h = await serverWith(t, {
        string: { secret },
        buffer: { secret: bytes },
        keyobject: { secret: createSecretKey(bytes) },
        jwk: { secret: { kty: 'oct', k: bytes.toString('base64url'), alg } },
        array: { secret: ['the-old-secret-0123456789', secret] },
      });
      const token = await signJose(bytes, { alg });
      for (const form of ['string', 'buffer', 'keyobject', 'jwk', 'array']) {
        assert.equal((await accepted(h, form, token)).sub, 'u-1', form);
        assert.equal((await refused(h, form, tamper(token))).reason, 'bad_signature', form);
      }
    });
  }
});

describe('keys: the key type decides the algorithms', () => {
  it('refuses the RS256 → HS256 confusion for a whitespace-prefixed PEM, a KeyObject, a JWK and a JWK Set', async (t) => {
    const rsa = signingKey('RS256', 'rsa-1');
    const pem = pemOf(rsa.publicKey);
    const h = await serverWith(t, {
      pem: { secret: `\r\n ${pem}` },
      keyobject: { secret: rsa.publicKey },
      jwk: { secret: rsa.jwk },
      set: { secret: { keys: [rsa.jwk] } },
    });
    // What an attacker would try: the public key's own bytes as the HMAC secret.
    const forgeries = [
      await signJose(Buffer.from(pem), { alg: 'HS256', kid: 'rsa-1' }),
      await signJose(Buffer.from(`\r\n ${pem}`), { alg: 'HS256', kid: 'rsa-1' }),
      await signJose(Buffer.from(JSON.stringify(rsa.jwk)), { alg: 'HS256', kid: 'rsa-1' }),
    ];
    for (const form of ['pem', 'keyobject', 'jwk', 'set']) {
      for (const forged of forgeries) {
        const error = await refused(h, form, forged);
        assert.deepEqual([error.code, error.reason], ['invalid_token', 'algorithm_not_allowed'], form);
      }
    }
    assert.equal((await accepted(h, 'set', await rsa.sign())).sub, 'u-1');
  });

  it('never accepts alg "none", whatever the form of the key', async (t) => {
    const ec = signingKey('ES256', 'ec-1');
    const h = await serverWith(t, {
      hmac: { secret: 'a-shared-secret-0123456789' },
      array: { secret: ['a-shared-secret-0123456789', ec.publicKey] },
      jwk: { secret: ec.jwk },
      set: { secret: { keys: [ec.jwk] } },
    });
    const token = unsigned({ alg: 'none', kid: 'ec-1' }, { sub: 'u-1', iss: ISSUER, aud: AUDIENCE, exp: nowSeconds() + 60 });
    for (const form of ['hmac', 'array', 'jwk', 'set']) {
      const error = await refused(h, form, token);
      assert.equal(error.code, 'invalid_token', form);
      assert.ok(['algorithm_not_allowed', 'bad_signature'].includes(error.reason), `${form}: ${error.reason}`);
    }
  });

  it('holds a JWK to its "alg": an RSA key marked RS256 refuses PS256 from the same private key', async (t) => {
    const rsa = signingKey('RS256', 'rsa-1');
    const unmarked = { ...rsa.jwk, alg: undefined };
    const h = await serverWith(t, { marked: { secret: rsa.jwk }, unmarked: { secret: unmarked }, set: { secret: { keys: [rsa.jwk] } } });
    const ps256 = await signJose(rsa.privateKey, { alg: 'PS256', kid: 'rsa-1' });
    assert.equal((await refused(h, 'marked', ps256)).reason, 'algorithm_not_allowed');
    assert.equal((await refused(h, 'set', ps256)).reason, 'no_matching_key');
    assert.equal((await accepted(h, 'unmarked', ps256)).sub, 'u-1');
  });

  it('refuses, at authorize(), keys that cannot verify the configured algorithms or are not signing keys', () => {
    const rsa = signingKey('RS256', 'rsa-1');
    const bad: Array<[string, unknown]> = [
      ['an RSA JWK with algorithms HS256', { secret: rsa.jwk, algorithms: ['HS256'] }],
      ['a JWK Set with algorithms HS256', { secret: { keys: [rsa.jwk] }, algorithms: ['HS256'] }],
      ['an encryption JWK', { secret: { ...rsa.jwk, use: 'enc' } }],
      ['a JWK whose alg does not fit it', { secret: { ...rsa.jwk, alg: 'ES256' } }],
      ['an unreadable JWK', { secret: { kty: 'RSA', n: 'x' } }],
      ['an oct JWK without k', { secret: { kty: 'oct' } }],
      ['an object that is no key', { secret: { key: 'value' } }],
      ['an empty JWK Set', { secret: { keys: [] } }],
      ['a JWK Set with a private key', { secret: { keys: [generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })] } }],
      ['a JWK Set with a shared secret', { secret: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }],
      ['a JWK Set with a broken member', { secret: { keys: [rsa.jwk, { kty: 'EC', crv: 'P-256', x: 'AA' }] } }],
      ['an empty array', { secret: [] }],
      ['an array with a function', { secret: ['k', () => 'k'] }],
      ['an array with an empty secret', { secret: ['k', ''] }],
      ['an array with a JWK Set', { secret: ['k', { keys: [rsa.jwk] }] }],
      ['an array mixing keys outside algorithms', { secret: ['k', rsa.publicKey], algorithms: ['HS256'] }],
    ];
    for (const [name, options] of bad) {
      assert.throws(() => authorize(options as never), (error: Error) => error instanceof TypeError && error.message.startsWith('sockjwt:'), name);
    }
  });
});

describe('keys: choosing from a JWK Set', () => {
  it('chooses by kid; an unknown kid, or a kid whose key does not fit the alg, is no_matching_key', async (t) => {
    const a = signingKey('ES256', 'a');
    const b = signingKey('ES256', 'b');
    const rsa = signingKey('RS256', 'r');
    const h = await serverWith(t, { set: { secret: { keys: [a.jwk, b.jwk, rsa.jwk] } } });
    assert.equal((await accepted(h, 'set', await a.sign({ sub: 'by-a' }))).sub, 'by-a');
    assert.equal((await accepted(h, 'set', await b.sign({ sub: 'by-b' }))).sub, 'by-b');
    assert.equal((await accepted(h, 'set', await rsa.sign({ sub: 'by-r' }))).sub, 'by-r');
    // The right kid with another key's signature is a bad signature, not a key search.
    assert.equal((await refused(h, 'set', await a.sign({}, { kid: 'b' }))).reason, 'bad_signature');
    for (const token of [await a.sign({}, { kid: 'unknown' }), await a.sign({}, { kid: 'r' })]) {
      const error = await refused(h, 'set', token);
      assert.deepEqual([error.code, error.reason], ['invalid_token', 'no_matching_key']);
    }
  });

  it('without a kid, tries each key whose type fits the alg, and only those', async (t) => {
    const a = signingKey('ES256', 'a');
    const b = signingKey('ES256', 'b');
    const stranger = signingKey('ES256', 'a');
    const ed = signingKey('EdDSA', 'e');
    const h = await serverWith(t, { set: { secret: { keys: [a.jwk, b.jwk] } } });
    const withoutKid = (key: typeof a) => signJose(key.privateKey, { alg: key.alg });
    assert.equal((await accepted(h, 'set', await withoutKid(b))).sub, 'u-1');
    assert.equal((await refused(h, 'set', await withoutKid(stranger))).reason, 'bad_signature');
    assert.equal((await refused(h, 'set', await withoutKid(ed))).reason, 'no_matching_key');
    // An expired token from the second key says "expired": the signature matched, so the search stopped.
    const expired = await signJose(b.privateKey, { alg: 'ES256' }, { exp: nowSeconds() - 60 });
    assert.equal((await refused(h, 'set', expired)).reason, 'expired');
  });

  it('works in message mode too', async (t) => {
    const key = signingKey('EdDSA', 'ed-1');
    await assertMessageModeSelectsByKid(t, { secret: { keys: [key.jwk] } }, key, 'ed-2');
  });
});

describe('keys: rotation without a JWK Set', () => {
  it('an array of HMAC secrets accepts old and new tokens, in order; the signature decides, then the claims', async (t) => {
    const NEW = 'the-new-secret-0123456789abcdef';
    const OLD = 'the-old-secret-0123456789abcdef';
    const h = await serverWith(t, { rotating: { secret: [NEW, OLD] } });
    assert.equal((await accepted(h, 'rotating', await signJose(Buffer.from(NEW), { alg: 'HS256' }, { sub: 'new' }))).sub, 'new');
    assert.equal((await accepted(h, 'rotating', await signJose(Buffer.from(OLD), { alg: 'HS384' }, { sub: 'old' }))).sub, 'old');
    assert.equal((await refused(h, 'rotating', await signJose(Buffer.from('some-other-secret-0123456789'), { alg: 'HS256' }))).reason, 'bad_signature');
    const expiredOld = await signJose(Buffer.from(OLD), { alg: 'HS256' }, { exp: nowSeconds() - 60 });
    assert.equal((await refused(h, 'rotating', expiredOld)).reason, 'expired');
  });

  it('an array may mix families: each key verifies only its own algorithms', async (t) => {
    const SECRET = 'a-shared-secret-0123456789';
    const rsa = signingKey('RS256', 'r');
    const pem = pemOf(rsa.publicKey);
    const h = await serverWith(t, { mixed: { secret: [SECRET, pem] } });
    assert.equal((await accepted(h, 'mixed', await rsa.sign({ sub: 'rsa' }))).sub, 'rsa');
    assert.equal((await accepted(h, 'mixed', await signJose(Buffer.from(SECRET), { alg: 'HS256' }, { sub: 'hmac' }))).sub, 'hmac');
    assert.equal((await refused(h, 'mixed', await signJose(Buffer.from(pem), { alg: 'HS256' }))).reason, 'bad_signature');
  });

  it('a secret function may answer with a JWK', async (t) => {
    const key = signingKey('ES384', 'k');
    const h = await serverWith(t, {
      fn: { secret: (_request: unknown, header: { kid?: string }, _payload: unknown, callback: (error: unknown, key?: unknown) => void) => callback(null, header.kid === 'k' ? key.jwk : undefined) } as Options,
    });
    assert.equal((await accepted(h, 'fn', await key.sign())).sub, 'u-1');
    assert.equal((await accepted(h, 'fn', await key.sign({ sub: 'again' }))).sub, 'again');
    assert.equal((await refused(h, 'fn', await key.sign({}, { kid: 'x' }))).reason, 'key_unavailable');
  });
});
