import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it, type TestContext } from 'node:test';
import { authorize, type HandshakeOptions, type JwksOptions } from '../src/index.js';
import { accepted, assertMessageModeSelectsByKid, AUDIENCE, ISSUER, refused, serverWith, signingKey, signJose, startJwksServer, timed, type JwksServer, type Respond } from './key-support.js';
import { startServer, type Harness } from './support.js';

/** A socket.io server whose handshake verifies against `endpoint`, one namespace per `jwks` variant. */
function serverFor(t: TestContext, endpoint: JwksServer, variants: Record<string, Partial<JwksOptions>>, extra: Partial<HandshakeOptions> = {}): Promise<Harness> {
  const namespaces = Object.fromEntries(Object.entries(variants).map(([name, jwks]) => [name, { jwks: { uri: endpoint.uri, ...jwks }, ...extra }]));
  return serverWith(t, namespaces);
}

/** Process warnings emitted while the test runs. */
function warnings(t: TestContext): Array<Error & { code?: string }> {
  const seen: Array<Error & { code?: string }> = [];
  const listener = (warning: Error) => seen.push(warning);
  process.on('warning', listener);
  t.after(() => process.off('warning', listener));
  return seen;
}

const hang: Respond = () => {}; // never answers; the server's closeAllConnections() ends it after the test

describe('jwks: keys chosen by kid, rotated without a restart', () => {
  it('fetches on the first token, caches, and picks up a key published later; a retired kid stops verifying', async (t) => {
    const a = signingKey('RS256', 'a');
    const b = signingKey('ES256', 'b');
    const endpoint = await startJwksServer(t, [a]);
    const h = await serverFor(t, endpoint, { main: { cooldownMs: 0 } });
    assert.equal(endpoint.requests.length, 0, 'nothing is fetched before a token needs it');

    assert.equal((await accepted(h, 'main', await a.sign({ sub: 'ann' }))).sub, 'ann');
    assert.equal((await accepted(h, 'main', await a.sign({ sub: 'bob' }))).sub, 'bob');
    assert.deepEqual(endpoint.requests, ['/.well-known/jwks.json'], 'one fetch, then the cache');

    endpoint.publish([a, b]); // rotation: a new key appears
    assert.equal((await accepted(h, 'main', await b.sign({ sub: 'cat' }))).sub, 'cat');
    assert.equal(endpoint.requests.length, 2, 'the unknown kid caused exactly one refetch');

    endpoint.publish([b]); // the old key is retired
    const unknown = await refused(h, 'main', await b.sign({}, { kid: 'nobody' }));
    assert.deepEqual([unknown.code, unknown.reason], ['invalid_token', 'no_matching_key']);
    assert.equal(endpoint.requests.length, 3);
    assert.equal((await refused(h, 'main', await a.sign())).reason, 'no_matching_key');
  });

  it('works in message mode', async (t) => {
    const key = signingKey('EdDSA', 'ed');
    const endpoint = await startJwksServer(t, [key]);
    await assertMessageModeSelectsByKid(t, { jwks: { uri: endpoint.uri } }, key, 'other');
  });

  it('refetches for unknown kids at most once per cooldown, however many arrive', async (t) => {
    const a = signingKey('ES256', 'a');
    const b = signingKey('ES256', 'b');
    const endpoint = await startJwksServer(t, [a]);
    const h = await serverFor(t, endpoint, { long: { cooldownMs: 60_000 } });
    await accepted(h, 'long', await a.sign());
    const storm = await Promise.all(Array.from({ length: 10 }, async () => refused(h, 'long', await a.sign({}, { kid: randomUUID() }))));
    assert.deepEqual(new Set(storm.map((error) => error.reason)), new Set(['no_matching_key']));
    endpoint.publish([a, b]);
    // A key published during the cooldown waits for it: publish keys before signing with them.
    assert.equal((await refused(h, 'long', await b.sign())).reason, 'no_matching_key');
    assert.equal(endpoint.requests.length, 1);
  });

  it('after the cooldown, one refetch serves every concurrent handshake with the new kid', async (t) => {
    const a = signingKey('ES256', 'a');
    const b = signingKey('ES256', 'b');
    const endpoint = await startJwksServer(t, [a]);
    const h = await serverFor(t, endpoint, { short: { cooldownMs: 300 } });
    await accepted(h, 'short', await a.sign());
    endpoint.publish([a, b]);
    await delay(350); // the cooldown itself is under test: it is measured in time
    const tokens = await Promise.all(Array.from({ length: 5 }, (_, i) => b.sign({ sub: `user-${i}` })));
    const claims = await Promise.all(tokens.map((token) => accepted(h, 'short', token)));
    assert.deepEqual(claims.map((c) => c.sub), ['user-0', 'user-1', 'user-2', 'user-3', 'user-4']);
    assert.equal(endpoint.requests.length, 2);
  });

  it('refuses an alg outside the allow-list, HS256 and none before any fetch', async (t) => {
    const rsa = signingKey('RS256', 'r');
    const ec = signingKey('ES256', 'e');
    const endpoint = await startJwksServer(t, [rsa, ec]);
    const h = await serverFor(t, endpoint, { rs: {} }, { algorithms: ['RS256'] });
    const unsigned = (header: object) => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;
    const tokens = [await ec.sign(), await signJose(Buffer.from(JSON.stringify(rsa.jwk)), { alg: 'HS256', kid: 'r' }), unsigned({ alg: 'none', kid: 'r' })];
    // The unsigned one is refused earlier still, for having no signature (jsonwebtoken's `jwt signature is required`).
    assert.deepEqual(await Promise.all(tokens.map(async (token) => (await refused(h, 'rs', token)).reason)), ['algorithm_not_allowed', 'algorithm_not_allowed', 'bad_signature']);
    assert.equal(endpoint.requests.length, 0);
    assert.equal((await accepted(h, 'rs', await rsa.sign())).sub, 'u-1');
  });
});

describe('jwks: the endpoint fails, the server does not', () => {
  const TIMEOUT_MS = 400;
  const failures: Record<string, (endpoint: JwksServer, decoy: JwksServer) => void | Promise<void>> = {
    'slow (no answer)': (endpoint) => endpoint.respondWith(hang),
    'slow (headers, then a stalled body)': (endpoint) => endpoint.respondWith((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).write('{"keys": [')),
    'HTTP 500': (endpoint) => endpoint.respondWith((_req, res) => res.writeHead(500).end('boom')),
    'not JSON': (endpoint) => endpoint.respondWith((_req, res) => res.writeHead(200).end('<html>login</html>')),
    'JSON that is no key set': (endpoint) => endpoint.respondWith((_req, res) => res.writeHead(200).end('{"keys": "nope"}')),
    'a redirect (never followed)': (endpoint, decoy) => endpoint.respondWith((_req, res) => res.writeHead(302, { location: decoy.uri }).end()),
    'down (connection refused)': (endpoint) => endpoint.stop(),
  };

  for (const [name, fail] of Object.entries(failures)) {
    it(`${name}: an unknown kid is invalid_secret/key_unavailable within the timeout; cached kids keep working`, async (t) => {
      const seen = warnings(t);
      const a = signingKey('ES256', 'a');
      const endpoint = await startJwksServer(t, [a]);
      const decoy = await startJwksServer(t, [signingKey('ES256', 'x')]);
      const h = await serverFor(t, endpoint, { main: { timeoutMs: TIMEOUT_MS, cooldownMs: 0 } });
      await accepted(h, 'main', await a.sign());
      await fail(endpoint, decoy);

      const token = await a.sign({}, { kid: 'x' });
      const { value: error, ms } = await timed(() => refused(h, 'main', token));
      assert.deepEqual([error.code, error.reason], ['invalid_secret', 'key_unavailable']);
      assert.ok(ms < TIMEOUT_MS + 1500, `answered in ${Math.round(ms)} ms`);
      if (name.startsWith('slow')) assert.ok(ms >= TIMEOUT_MS - 50, `a slow endpoint is given its ${TIMEOUT_MS} ms (${Math.round(ms)} ms)`);
      else assert.equal(endpoint.requests.length, name.startsWith('down') ? 1 : 2, 'the refetch was attempted');

      const stillIn = await a.sign({ sub: 'still-in' });
      const { value: claims, ms: cachedMs } = await timed(() => accepted(h, 'main', stillIn));
      assert.equal(claims.sub, 'still-in');
      assert.ok(cachedMs < TIMEOUT_MS, `a cached kid does not wait for the endpoint (${Math.round(cachedMs)} ms)`);
      assert.equal(decoy.requests.length, 0);
      assert.ok(seen.some((warning) => warning.code === 'SOCKJWT_JWKS_UNAVAILABLE'), 'the operator is told');
    });
  }

  it('down from the start: refused, then no fetch during the pause, then recovers on its own', async (t) => {
    warnings(t);
    const a = signingKey('ES256', 'a');
    const endpoint = await startJwksServer(t, [a]);
    endpoint.respondWith((_req, res) => res.writeHead(503).end());
    const h = await serverFor(t, endpoint, { main: { cooldownMs: 300 } });
    assert.equal((await refused(h, 'main', await a.sign())).reason, 'key_unavailable');
    const again = await Promise.all([refused(h, 'main', await a.sign()), refused(h, 'main', await a.sign())]);
    assert.deepEqual(again.map((error) => error.reason), ['key_unavailable', 'key_unavailable']);
    assert.equal(endpoint.requests.length, 1, 'an outage is not hammered by every handshake');

    endpoint.respondWith(undefined);
    await delay(350); // the pause under test is a length of time
    assert.equal((await accepted(h, 'main', await a.sign())).sub, 'u-1');
    assert.equal(endpoint.requests.length, 2);
  });

  it('during the pause after a failed refetch, cached kids keep working without a fetch', async (t) => {
    warnings(t);
    const a = signingKey('ES256', 'a');
    const endpoint = await startJwksServer(t, [a]);
    const h = await serverFor(t, endpoint, { main: { cooldownMs: 300 } });
    await accepted(h, 'main', await a.sign());
    await delay(350); // let the cooldown after the successful fetch pass, so an unknown kid refetches
    endpoint.respondWith((_req, res) => res.writeHead(503).end());
    assert.equal((await refused(h, 'main', await a.sign({}, { kid: 'new' }))).reason, 'key_unavailable');
    assert.equal((await accepted(h, 'main', await a.sign({ sub: 'cached' }))).sub, 'cached');
    assert.equal((await refused(h, 'main', await a.sign({}, { kid: 'new' }))).reason, 'key_unavailable');
    assert.equal(endpoint.requests.length, 2, 'one successful fetch, one failed refetch, then the pause');
  });

  it('past its max age, the last key set keeps verifying while fetching fails, for staleIfErrorMs', async (t) => {
    warnings(t);
    const a = signingKey('ES256', 'a');
    const endpoint = await startJwksServer(t, [a]);
    const h = await serverFor(t, endpoint, { stale: { cacheMaxAgeMs: 200 }, strict: { cacheMaxAgeMs: 200, staleIfErrorMs: 0 } });
    await accepted(h, 'stale', await a.sign());
    await accepted(h, 'strict', await a.sign());
    endpoint.respondWith((_req, res) => res.writeHead(503).end());
    await delay(250); // past cacheMaxAgeMs
    assert.equal((await accepted(h, 'stale', await a.sign({ sub: 'during-outage' }))).sub, 'during-outage');
    assert.equal((await refused(h, 'strict', await a.sign())).reason, 'key_unavailable');
    assert.equal(endpoint.requests.length, 4, 'both tried to refresh');
  });
});

describe('jwks: a token cannot choose where keys come from', () => {
  it('jku, x5u and an embedded jwk are never fetched nor used, with jwks, a JWK Set or a PEM', async (t) => {
    const legit = signingKey('ES256', 'legit');
    const evil = signingKey('ES256', 'evil');
    const attacker = await startJwksServer(t, [evil]);
    const endpoint = await startJwksServer(t, [legit]);
    const pem = legit.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const h = await startServer(t, (io) => {
      const variants: Record<string, Partial<HandshakeOptions>> = { jwks: { jwks: { uri: endpoint.uri, cooldownMs: 0 } }, set: { secret: { keys: [legit.jwk] } }, pem: { secret: pem } };
      for (const [name, options] of Object.entries(variants)) io.of(`/${name}`).use(authorize({ handshake: true, issuer: ISSUER, audience: AUDIENCE, ...options }));
    });
    const forged = [
      await evil.sign({}, { jku: attacker.uri }),
      await evil.sign({}, { x5u: attacker.uri.replace('jwks.json', 'cert.pem') }),
      await evil.sign({}, { jwk: evil.jwk }),
      await evil.sign({}, { kid: 'legit', jwk: evil.jwk, jku: attacker.uri }),
      await signJose(evil.privateKey, { alg: 'ES256', jku: attacker.uri, jwk: evil.jwk }),
    ];
    for (const name of ['jwks', 'set', 'pem']) {
      for (const token of forged) {
        const error = await refused(h, name, token);
        assert.equal(error.code, 'invalid_token', name);
        assert.ok(['no_matching_key', 'bad_signature'].includes(error.reason), `${name}: ${error.reason}`);
      }
    }
    assert.equal(attacker.requests.length, 0, 'the attacker-named URLs were never requested');
    assert.ok(endpoint.requests.length >= 1, 'the configured endpoint was the one asked');
  });
});

describe('jwks: options', () => {
  const uri = 'https://login.example/.well-known/jwks.json';
  const scoped = { issuer: ISSUER, audience: AUDIENCE };

  it('refuses bad jwks options at authorize()', () => {
    const bad: Array<[string, unknown, ErrorConstructor]> = [
      ['both secret and jwks', { secret: 'k', jwks: { uri } }, TypeError],
      ['jwks that is not an object', { jwks: uri }, TypeError],
      ['no uri', { jwks: {} }, TypeError],
      ['a relative uri', { jwks: { uri: '/jwks.json' } }, TypeError],
      ['a file: uri', { jwks: { uri: 'file:///etc/keys.json' } }, TypeError],
      ['credentials in the uri', { jwks: { uri: 'https://user:pass@login.example/jwks.json' } }, TypeError],
      ['an unknown sub-option (typo)', { jwks: { uri, cacheMaxAge: 1000 } }, TypeError],
      ['headers that are not strings', { jwks: { uri, headers: { 'x-api-key': 42 } } }, TypeError],
      ['HMAC algorithms only', { jwks: { uri }, algorithms: ['HS256'] }, TypeError],
      ['a zero timeout', { jwks: { uri, timeoutMs: 0 } }, RangeError],
      ['a fractional timeout', { jwks: { uri, timeoutMs: 1.5 } }, RangeError],
      ['a negative cooldown', { jwks: { uri, cooldownMs: -1 } }, RangeError],
      ['a NaN max age', { jwks: { uri, cacheMaxAgeMs: Number.NaN } }, RangeError],
      ['a string staleIfErrorMs', { jwks: { uri, staleIfErrorMs: '1h' } }, RangeError],
    ];
    for (const [name, options, type] of bad) {
      assert.throws(
        () => authorize({ handshake: true, ...scoped, ...(options as object) } as never),
        (error: Error) => error instanceof type && error.message.startsWith('sockjwt:'),
        name,
      );
    }
  });

  it('accepts a URL object and every documented sub-option', () => {
    const middleware = authorize({
      handshake: true,
      ...scoped,
      jwks: { uri: new URL(uri), cacheMaxAgeMs: 60_000, cooldownMs: 5_000, timeoutMs: 2_000, staleIfErrorMs: 0, headers: { 'x-api-key': 'k' } },
    });
    assert.equal(typeof middleware, 'function');
  });

  it('warns about plain http off loopback, and about jwks without issuer and audience', (t) => {
    const seen = warnings(t);
    return new Promise<void>((resolve) => {
      authorize({ handshake: true, ...scoped, jwks: { uri: 'http://127.0.0.1:9/jwks.json' } });
      authorize({ handshake: true, ...scoped, jwks: { uri: 'http://keys.internal/jwks.json' } });
      authorize({ handshake: true, jwks: { uri } });
      // Warnings are emitted on the next tick.
      process.nextTick(() => {
        assert.deepEqual(seen.map((warning) => warning.code).sort(), ['SOCKJWT_JWKS_INSECURE', 'SOCKJWT_JWKS_UNSCOPED']);
        assert.match(seen.find((warning) => warning.code === 'SOCKJWT_JWKS_INSECURE')!.message, /keys\.internal/);
        resolve();
      });
    });
  });
});
