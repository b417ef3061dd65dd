import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { describe, it, type TestContext } from 'node:test';
import { authorize, type HandshakeOptions, type IssuerOptions } from '../src/index.js';
import { listenOnFreePort, signingKey, signJose, type SigningKey } from './key-support.js';
import { accepted, refusedWith, serverWith, startIdentityProvider, warnings, WELL_KNOWN } from './issuer-support.js';
import { connected, next, SECRET, startServer } from './support.js';

const AUD = 'chat';
const hang = () => {}; // never answers; the server's closeAllConnections() ends it after the test

describe('issuers: OpenID Connect discovery', () => {
  it('discovers lazily, then verifies from the cached document and key set with no further request', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const h = await serverWith(t, { main: { issuers: [{ issuer: idp.issuer('acme'), discovery: true, audience: AUD }] } });
    assert.deepEqual(idp.requests, [], 'nothing is fetched before a token needs it');
    assert.equal((await accepted(h, 'main', await key.sign({ iss: idp.issuer('acme'), aud: AUD, sub: 'ann' }))).sub, 'ann');
    assert.equal((await accepted(h, 'main', await key.sign({ iss: idp.issuer('acme'), aud: AUD, sub: 'bob' }))).sub, 'bob');
    assert.deepEqual(idp.requests, [`/acme${WELL_KNOWN}`, '/acme/jwks'], 'one document, one key set, then the caches');
  });

  it('concurrent handshakes on a cold cache share one discovery fetch', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const iss = idp.issuer('acme');
    const h = await serverWith(t, { main: { issuers: [{ issuer: iss, discovery: true, audience: AUD }] } });
    const tokens = await Promise.all(Array.from({ length: 6 }, (_, i) => key.sign({ iss, aud: AUD, sub: `u${i}` })));
    const claims = await Promise.all(tokens.map((token) => accepted(h, 'main', token)));
    assert.deepEqual(claims.map((c) => c.sub), ['u0', 'u1', 'u2', 'u3', 'u4', 'u5']);
    assert.equal(idp.requests.filter((path) => path.endsWith(WELL_KNOWN)).length, 1);
  });

  it('a rotation at the provider is picked up through the discovered jwks_uri', async (t) => {
    const [a, b] = [signingKey('ES256', 'a'), signingKey('ES256', 'b')];
    const idp = await startIdentityProvider(t, { acme: [a] });
    const iss = idp.issuer('acme');
    const h = await serverWith(t, { main: { issuers: [{ issuer: iss, discovery: { cooldownMs: 0 }, audience: AUD }] } });
    await accepted(h, 'main', await a.sign({ iss, aud: AUD }));
    idp.publish('acme', [b]);
    await accepted(h, 'main', await b.sign({ iss, aud: AUD }));
    assert.deepEqual(await refusedWith(h, 'main', await a.sign({ iss, aud: AUD })), ['invalid_token', 'no_matching_key']);
    assert.equal(idp.requests.filter((path) => path.endsWith(WELL_KNOWN)).length, 1, 'the document stays cached across rotations');
  });

  it('a provider that moves its jwks_uri gets a fresh key set, not the old cache', async (t) => {
    const [a, b] = [signingKey('ES256', 'a'), signingKey('ES256', 'b')];
    const idp = await startIdentityProvider(t, { acme: [a], moved: [b] });
    const iss = idp.issuer('acme');
    const h = await serverWith(t, { main: { issuers: [{ issuer: iss, discovery: { cacheMaxAgeMs: 0 }, audience: AUD }] } });
    await accepted(h, 'main', await a.sign({ iss, aud: AUD }));
    idp.amend('acme', { jwks_uri: `${idp.issuer('moved')}/jwks` });
    await accepted(h, 'main', await b.sign({ iss, aud: AUD }));
    assert.deepEqual(await refusedWith(h, 'main', await a.sign({ iss, aud: AUD })), ['invalid_token', 'no_matching_key']);
    assert.ok(idp.requests.includes('/moved/jwks'));
  });

  it('a provider down at start refuses with key_unavailable, pauses for the cooldown, then recovers', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const iss = idp.issuer('acme');
    const seen = warnings(t);
    const h = await serverWith(t, { main: { issuers: [{ issuer: iss, discovery: { cooldownMs: 60_000 }, audience: AUD }] }, quick: { issuers: [{ issuer: iss, discovery: { cooldownMs: 0 }, audience: AUD }] } });
    idp.respondWith((_request, response) => response.writeHead(503).end());
    const token = await key.sign({ iss, aud: AUD });
    assert.deepEqual(await refusedWith(h, 'main', token), ['invalid_secret', 'key_unavailable']);
    assert.deepEqual(await refusedWith(h, 'main', token), ['invalid_secret', 'key_unavailable']);
    assert.equal(idp.requests.length, 1, 'no second fetch within the cooldown');
    assert.ok(seen.some((warning) => warning.code === 'SOCKJWT_DISCOVERY_UNAVAILABLE' && /503/.test(warning.message)));
    idp.respondWith(undefined);
    assert.deepEqual(await refusedWith(h, 'main', token), ['invalid_secret', 'key_unavailable'], 'still paused');
    await accepted(h, 'quick', token);
  });

  it('a hanging discovery endpoint is refused within timeoutMs', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const iss = idp.issuer('acme');
    const h = await serverWith(t, { main: { issuers: [{ issuer: iss, discovery: { timeoutMs: 200 }, audience: AUD }] } });
    idp.respondWith(hang);
    const started = performance.now();
    assert.deepEqual(await refusedWith(h, 'main', await key.sign({ iss, aud: AUD })), ['invalid_secret', 'key_unavailable']);
    assert.ok(performance.now() - started < 2000);
  });

  it('keeps verifying with the last good document and keys while the provider is down (staleIfErrorMs)', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const iss = idp.issuer('acme');
    const timings = { cacheMaxAgeMs: 0, cooldownMs: 0 };
    const h = await serverWith(t, {
      stale: { issuers: [{ issuer: iss, discovery: timings, audience: AUD }] },
      strict: { issuers: [{ issuer: iss, discovery: { ...timings, staleIfErrorMs: 0 }, audience: AUD }] },
    });
    const token = await key.sign({ iss, aud: AUD });
    await accepted(h, 'stale', token);
    await accepted(h, 'strict', token);
    await idp.stop();
    await accepted(h, 'stale', token);
    assert.deepEqual(await refusedWith(h, 'strict', token), ['invalid_secret', 'key_unavailable']);
  });
});

describe('issuers: several at once, selected by the exact iss', () => {
  it('each issuer has its own keys, audience and algorithms; a static-key issuer sits beside a discovered one', async (t) => {
    const users = signingKey('RS256', 'shared-kid');
    const idp = await startIdentityProvider(t, { users: [users] });
    const issuers: IssuerOptions[] = [
      { issuer: idp.issuer('users'), discovery: true, audience: AUD, algorithms: ['RS256'] },
      { issuer: 'urn:in-house:services', secret: SECRET, audience: 'jobs', algorithms: ['HS256'] },
    ];
    const h = await serverWith(t, { main: { issuers } });
    const service = (payload: Record<string, unknown>) => signJose(Buffer.from(SECRET), { alg: 'HS256' }, { iss: 'urn:in-house:services', ...payload });
    assert.equal((await accepted(h, 'main', await users.sign({ iss: idp.issuer('users'), aud: AUD, sub: 'ann' }))).sub, 'ann');
    assert.equal((await accepted(h, 'main', await service({ aud: 'jobs', sub: 'worker' }))).sub, 'worker');
    assert.deepEqual(await refusedWith(h, 'main', await service({ aud: AUD })), ['invalid_token', 'claim_invalid'], "the other issuer's audience");
    assert.deepEqual(await refusedWith(h, 'main', await users.sign({ iss: idp.issuer('users'), aud: 'jobs' })), ['invalid_token', 'claim_invalid']);
    // An HS256 token claiming the key-set issuer: its algorithms, not the service's, apply.
    const confused = await signJose(Buffer.from(SECRET), { alg: 'HS256' }, { iss: idp.issuer('users'), aud: AUD });
    assert.deepEqual(await refusedWith(h, 'main', confused), ['invalid_token', 'algorithm_not_allowed']);
  });

  it('a key of issuer A never verifies a token claiming issuer B, even under the same kid', async (t) => {
    const a = signingKey('ES256', 'same-kid');
    const b = signingKey('ES256', 'same-kid');
    const bOther = signingKey('ES256', 'b-only');
    const idp = await startIdentityProvider(t, { a: [a], b: [b], c: [bOther] });
    const h = await serverWith(t, {
      main: {
        issuers: ['a', 'b', 'c'].map((tenant) => ({ issuer: idp.issuer(tenant), discovery: { cooldownMs: 0 }, audience: AUD })),
      },
    });
    await accepted(h, 'main', await a.sign({ iss: idp.issuer('a'), aud: AUD })); // A's keys are cached now
    await accepted(h, 'main', await b.sign({ iss: idp.issuer('b'), aud: AUD }));
    assert.deepEqual(await refusedWith(h, 'main', await a.sign({ iss: idp.issuer('b'), aud: AUD })), ['invalid_token', 'bad_signature']);
    assert.deepEqual(await refusedWith(h, 'main', await a.sign({ iss: idp.issuer('c'), aud: AUD })), ['invalid_token', 'no_matching_key']);
  });

  it('an unknown issuer, a look-alike, a case or trailing-slash variant: claim_invalid, and nothing is fetched', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key], evil: [key] });
    const iss = idp.issuer('acme');
    const h = await serverWith(t, { main: { issuers: [{ issuer: iss, discovery: true, audience: AUD }] } });
    const port = new URL(idp.origin).port;
    const variants: unknown[] = [
      `${iss}/`, `${iss}//`, iss.toUpperCase(), iss.replace('acme', 'ACME'), iss.replace('http:', 'HTTP:'), ` ${iss}`, `${iss} `,
      `http://localhost:${port}/acme`, `http://127.0.0.1:${port}/acme/../acme`, `${iss}.evil`, `${iss}%2F`, idp.issuer('evil'),
      `${iss}${WELL_KNOWN}#`, `${iss}?x=1`, 'urn:nobody', '', undefined, 42, [iss], { iss },
    ];
    for (const variant of variants) {
      const token = await key.sign({ iss: variant, aud: AUD });
      assert.deepEqual(await refusedWith(h, 'main', token), ['invalid_token', 'claim_invalid'], `iss ${JSON.stringify(variant)}`);
    }
    assert.deepEqual(idp.requests, [], 'an unknown iss never causes a fetch, nor builds a URL');
  });

  it('a token that is no JWT, or whose payload is no object, is malformed, as on the single-issuer path', async (t) => {
    const idp = await startIdentityProvider(t, { acme: [signingKey('ES256', 'k1')] });
    const h = await serverWith(t, {
      main: { issuers: [{ issuer: idp.issuer('acme'), discovery: true, audience: AUD }] },
      single: { jwks: { uri: `${idp.issuer('acme')}/jwks` }, issuer: idp.issuer('acme'), audience: AUD },
    });
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const token of ['not-a-jwt', 'a.b', `${b64({ alg: 'ES256' })}.${b64([idp.issuer('acme')])}.c2ln`, `${b64({ alg: 'ES256' })}.${b64('text')}.c2ln`, `${b64({ alg: 'ES256' })}.e30x.c2ln`]) {
      assert.deepEqual(await refusedWith(h, 'main', token), ['invalid_token', 'malformed'], token);
      assert.deepEqual(await refusedWith(h, 'single', token), ['invalid_token', 'malformed'], token);
    }
    assert.deepEqual(idp.requests, []);
  });

  it('a token whose header points at keys (jku, x5u) or whose iss is __proto__ is refused, and nothing is fetched', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const h = await serverWith(t, { main: { issuers: [{ issuer: idp.issuer('acme'), discovery: true, audience: AUD }] } });
    assert.deepEqual(await refusedWith(h, 'main', await key.sign({ iss: '__proto__', aud: AUD })), ['invalid_token', 'claim_invalid']);
    assert.deepEqual(await refusedWith(h, 'main', await key.sign({ iss: 'constructor', aud: AUD })), ['invalid_token', 'claim_invalid']);
    const pointing = await key.sign({ iss: 'attacker', aud: AUD }, { jku: `${idp.origin}/acme/jwks`, x5u: `${idp.origin}/x` });
    assert.deepEqual(await refusedWith(h, 'main', pointing), ['invalid_token', 'claim_invalid']);
    assert.deepEqual(idp.requests, []);
  });
});

describe('issuers: discovery documents that lie', () => {
  const lies: Array<[string, (origin: string, iss: string) => Record<string, unknown>]> = [
    ['another issuer', (_origin, iss) => ({ issuer: `${iss}-other` })],
    ['the issuer with a trailing slash', (_origin, iss) => ({ issuer: `${iss}/` })],
    ['the issuer in another case', (_origin, iss) => ({ issuer: iss.toUpperCase() })],
    ['no issuer', () => ({ issuer: undefined })],
    ['jwks_uri on plain http elsewhere', () => ({ jwks_uri: 'http://keys.example/jwks' })],
    ['jwks_uri on another loopback origin', (origin) => ({ jwks_uri: `http://localhost:${new URL(origin).port}/acme/jwks` })],
    ['jwks_uri with credentials', (origin) => ({ jwks_uri: origin.replace('http://', 'http://user:pw@') + '/acme/jwks' })],
    ['jwks_uri of another scheme', () => ({ jwks_uri: 'file:///etc/passwd' })],
    ['jwks_uri not a URL', () => ({ jwks_uri: '/acme/jwks' })],
    ['no jwks_uri', () => ({ jwks_uri: undefined })],
  ];
  for (const [name, lie] of lies) {
    it(`${name}: key_unavailable, and the key set is never fetched`, async (t) => {
      const key = signingKey('ES256', 'k1');
      const idp = await startIdentityProvider(t, { acme: [key] });
      const iss = idp.issuer('acme');
      idp.amend('acme', lie(idp.origin, iss));
      const seen = warnings(t);
      const h = await serverWith(t, { main: { issuers: [{ issuer: iss, discovery: true, audience: AUD }] } });
      assert.deepEqual(await refusedWith(h, 'main', await key.sign({ iss, aud: AUD })), ['invalid_secret', 'key_unavailable']);
      assert.deepEqual(idp.requests, [`/acme${WELL_KNOWN}`]);
      assert.ok(seen.some((warning) => warning.code === 'SOCKJWT_DISCOVERY_UNAVAILABLE'));
    });
  }

  it('a redirect, a body that is not a JSON object, or an oversized document: key_unavailable', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const iss = idp.issuer('acme');
    const h = await serverWith(t, { main: { issuers: [{ issuer: iss, discovery: { cooldownMs: 0 }, audience: AUD }] } });
    const token = await key.sign({ iss, aud: AUD });
    const answers = [
      (response: import('node:http').ServerResponse) => response.writeHead(302, { location: `${iss}${WELL_KNOWN}` }).end(),
      (response: import('node:http').ServerResponse) => response.writeHead(200).end('[1,2]'),
      (response: import('node:http').ServerResponse) => response.writeHead(200).end('not json'),
      (response: import('node:http').ServerResponse) => response.writeHead(200).end(JSON.stringify({ issuer: iss, jwks_uri: `${iss}/jwks`, pad: 'x'.repeat(300_000) })),
    ];
    for (const answer of answers) {
      idp.respondWith((_request, response) => answer(response));
      assert.deepEqual(await refusedWith(h, 'main', token), ['invalid_secret', 'key_unavailable']);
    }
    assert.ok(!idp.requests.includes('/acme/jwks'));
  });

  it('a document that lies after an honest one does not replace it while the last good one is fresh enough', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const iss = idp.issuer('acme');
    const h = await serverWith(t, { main: { issuers: [{ issuer: iss, discovery: { cacheMaxAgeMs: 0, cooldownMs: 0 }, audience: AUD }] } });
    const token = await key.sign({ iss, aud: AUD });
    await accepted(h, 'main', token);
    idp.amend('acme', { jwks_uri: 'http://keys.example/jwks' });
    await accepted(h, 'main', token); // the lie is refused; the last good jwks_uri stands
    assert.ok(!idp.requests.some((path) => path.includes('keys.example')));
  });
});

describe('issuers: options are checked at authorize()', () => {
  const base = { issuer: 'https://login.example/', discovery: true as const, audience: AUD };
  const bad: Array<[string, Partial<HandshakeOptions>, RegExp]> = [
    ['with secret', { issuers: [base], secret: SECRET }, /"issuers" or "secret"/],
    ['with jwks', { issuers: [base], jwks: { uri: 'https://login.example/jwks' } }, /"issuers" or "jwks"/],
    ['with issuer', { issuers: [base], issuer: 'https://login.example/' }, /"issuers" or "issuer"/],
    ['empty', { issuers: [] }, /non-empty array/],
    ['listed twice', { issuers: [base, base] }, /listed twice/],
    ['no key source', { issuers: [{ issuer: 'x' }] }, /exactly one of/],
    ['two key sources', { issuers: [{ ...base, secret: SECRET }] }, /exactly one of/],
    ['a secret function', { issuers: [{ issuer: 'x', secret: (() => SECRET) as never }] }, /not a function/],
    ['an unknown entry option', { issuers: [{ ...base, audiance: AUD } as IssuerOptions] }, /unknown option "issuers\[0\]\.audiance"/],
    ['an unknown discovery option', { issuers: [{ ...base, discovery: { uri: 'https://x' } as never }] }, /unknown option "issuers\[0\]\.discovery\.uri"/],
    ['discovery of a non-URL issuer', { issuers: [{ ...base, issuer: 'acme' }] }, /issuers\[0\]\.issuer" must be an absolute/],
    ['discovery of an issuer with a query', { issuers: [{ ...base, issuer: 'https://login.example/?tenant=a' }] }, /no query or fragment/],
    ['discovery with credentials', { issuers: [{ ...base, issuer: 'https://u:p@login.example/' }] }, /must not hold credentials/],
    ['discovery: false', { issuers: [{ ...base, discovery: false as never }] }, /must be true or an object/],
    ['a bad timing', { issuers: [{ ...base, discovery: { timeoutMs: 0 } }] }, /issuers\[0\]\.discovery\.timeoutMs/],
    ['bad algorithms', { issuers: [{ ...base, algorithms: [] }] }, /issuers\[0\]\.algorithms/],
    ['a bad audience', { issuers: [{ ...base, audience: 42 as never }] }, /issuers\[0\]\.audience/],
  ];
  for (const [name, options, message] of bad) {
    it(`throws: ${name}`, () => assert.throws(() => authorize({ handshake: true, ...options } as HandshakeOptions), message));
  }

  it('warns about an issuer with remote keys and no audience', (t) => {
    const seen = warnings(t);
    authorize({ handshake: true, issuers: [{ issuer: 'https://login.example/', discovery: true }] });
    return new Promise<void>((resolve) => setImmediate(() => {
      assert.ok(seen.some((warning) => warning.code === 'SOCKJWT_JWKS_UNSCOPED'));
      resolve();
    }));
  });
});

describe('issuers: a live socket', () => {
  it('an in-band refresh may not move a socket to another issuer, even for the same sub', async (t) => {
    const [a, b] = [signingKey('ES256', 'a'), signingKey('ES256', 'b')];
    const idp = await startIdentityProvider(t, { a: [a], b: [b] });
    const h = await serverWith(t, { main: { issuers: ['a', 'b'].map((tenant) => ({ issuer: idp.issuer(tenant), discovery: true as const, audience: AUD })) } });
    const client = h.connect('/main', { auth: { token: await a.sign({ iss: idp.issuer('a'), aud: AUD, sub: '42' }) } });
    await connected(client);
    const renew = (token: string) => client.timeout(3000).emitWithAck('authenticate', { token }) as Promise<{ ok: boolean; data?: { reason: string } }>;
    const [other] = await Promise.all([renew(await b.sign({ iss: idp.issuer('b'), aud: AUD, sub: '42' })), next(client, 'unauthorized')]);
    assert.deepEqual([other.ok, other.data?.reason], [false, 'subject_mismatch']);
    assert.equal((await renew(await a.sign({ iss: idp.issuer('a'), aud: AUD, sub: '42' }))).ok, true, 'the same issuer and sub renew');
    assert.equal(client.connected, true);
  });
});

describe('issuers: defaults and message mode', () => {
  it('an issuer without its own audience, algorithms or typ takes the top-level ones', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const iss = idp.issuer('acme');
    const h = await serverWith(t, { main: { audience: AUD, typ: 'at+jwt', algorithms: ['ES256'], issuers: [{ issuer: iss, discovery: true }] } });
    await accepted(h, 'main', await key.sign({ iss, aud: AUD }, { typ: 'at+jwt' }));
    assert.deepEqual(await refusedWith(h, 'main', await key.sign({ iss, aud: 'other' }, { typ: 'at+jwt' })), ['invalid_token', 'claim_invalid']);
    assert.deepEqual(await refusedWith(h, 'main', await key.sign({ iss, aud: AUD }, { typ: 'JWT' })), ['invalid_token', 'claim_invalid']);
    assert.deepEqual(await refusedWith(h, 'main', await key.sign({ iss, aud: undefined }, { typ: 'at+jwt' })), ['invalid_token', 'claim_invalid']);
  });

  it('works in message mode: the authenticate message is verified through discovery', async (t) => {
    const key = signingKey('EdDSA', 'ed');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const iss = idp.issuer('acme');
    const h = await startServer(t, (io) => io.on('connection', authorize({ issuers: [{ issuer: iss, discovery: true, audience: AUD }] })));
    const good = h.connect('/');
    await next(good, 'connect');
    const authenticated = next(good, 'authenticated');
    good.emit('authenticate', { token: await key.sign({ iss, aud: AUD }) });
    await authenticated;
    const bad = h.connect('/');
    await next(bad, 'connect');
    const unauthorized = next<[{ data: { reason: string } }]>(bad, 'unauthorized');
    bad.emit('authenticate', { token: await key.sign({ iss: `${iss}/`, aud: AUD }) });
    assert.equal((await unauthorized)[0].data.reason, 'claim_invalid');
  });
});

/** An https JWK Set on an origin of its own; it records the headers of every request. */
async function startTlsKeyServer(t: TestContext, keys: readonly SigningKey[]): Promise<{ uri: string; seen: IncomingHttpHeaders[] }> {
  const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
  const seen: IncomingHttpHeaders[] = [];
  const server = createHttpsServer({ key: fixture('tls-test-only.key'), cert: fixture('tls-test-only.pem') }, (request, response) => {
    seen.push(request.headers);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((key) => key.jwk) }));
  });
  const { port } = await listenOnFreePort(t, server);
  // The certificate is self-signed: trusted for this test only (Node 20 has no per-process CA API).
  const previous = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
  process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
  t.after(() => (previous === undefined ? delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'] : (process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = previous)));
  return { uri: `https://127.0.0.1:${port}/jwks`, seen };
}

describe('issue 24: discovery deadline, headers, metadata URL', () => {
  it('issue 24 #1: a cold discovery has one deadline: slow document + hanging key set → key_unavailable, before the hold times out', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const iss = idp.issuer('acme');
    const timeoutMs = 1000;
    const timers = new Set<NodeJS.Timeout>();
    t.after(() => timers.forEach(clearTimeout));
    idp.respondWith((request, response) => {
      if (request.url !== `/acme${WELL_KNOWN}`) return; // the key set hangs
      // The deadline is what this test is about: the document answers after 0.6 × timeoutMs.
      const timer = setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: iss, jwks_uri: `${iss}/jwks` })), 0.6 * timeoutMs);
      timers.add(timer);
    });
    // The verdict is an order between two of the server's timers, not a latency: one deadline for
    // the document and the key set (1 × timeoutMs) ends before the socket's hold (1.4 ×); two in
    // a row (0.6 + 1) would not, and the client would be told authentication_timeout.
    const h = await startServer(t, (io) => io.on('connection', authorize({ timeout: 1.4 * timeoutMs, issuers: [{ issuer: iss, discovery: { timeoutMs }, audience: AUD }] })));
    const client = h.connect('/');
    await next(client, 'connect');
    const token = await key.sign({ iss, aud: AUD });
    const unauthorized = next<[{ data: { code: string; reason: string } }]>(client, 'unauthorized', 4 * timeoutMs);
    client.emit('authenticate', { token });
    const [error] = await unauthorized;
    assert.deepEqual([error.data.code, error.data.reason], ['invalid_secret', 'key_unavailable']);
    assert.deepEqual(idp.requests, [`/acme${WELL_KNOWN}`, '/acme/jwks']);
  });

  it('issue 24 #2: discovery.headers go to the issuer\'s origin, not to a jwks_uri on another origin', async (t) => {
    const key = signingKey('ES256', 'k1');
    const keys = await startTlsKeyServer(t, [key]);
    const idp = await startIdentityProvider(t, { acme: [key], home: [key] });
    idp.amend('acme', { jwks_uri: keys.uri });
    const headers = { authorization: 'Bearer discovery-secret', 'x-api-key': 'k-123' };
    const h = await serverWith(t, {
      away: { issuers: [{ issuer: idp.issuer('acme'), discovery: { headers }, audience: AUD }] },
      home: { issuers: [{ issuer: idp.issuer('home'), discovery: { headers }, audience: AUD }] },
    });
    await accepted(h, 'away', await key.sign({ iss: idp.issuer('acme'), aud: AUD }));
    await accepted(h, 'home', await key.sign({ iss: idp.issuer('home'), aud: AUD }));
    assert.equal(keys.seen.length, 1, 'the key set on the other origin was fetched');
    assert.deepEqual([keys.seen[0]!['authorization'], keys.seen[0]!['x-api-key']], [undefined, undefined], 'no configured header reaches another origin');
    assert.deepEqual(idp.requests.map((path, i) => [path, idp.requestHeaders[i]!['authorization'], idp.requestHeaders[i]!['x-api-key']]), [
      [`/acme${WELL_KNOWN}`, 'Bearer discovery-secret', 'k-123'],
      [`/home${WELL_KNOWN}`, 'Bearer discovery-secret', 'k-123'],
      ['/home/jwks', 'Bearer discovery-secret', 'k-123'],
    ], 'the issuer\'s own origin gets them, document and key set');
  });

  it('issue 24 #3: discovery.url fetches the metadata from that URL (RFC 8414 oauth-authorization-server)', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key] });
    const iss = idp.issuer('acme');
    const RFC8414 = '/.well-known/oauth-authorization-server';
    idp.respondWith((request, response) => {
      const json = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (request.url === `${RFC8414}/acme`) return json({ issuer: iss, jwks_uri: `${iss}/jwks` });
      if (request.url === '/acme/jwks') return json({ keys: [key.jwk] });
      response.writeHead(404).end();
    });
    const h = await serverWith(t, {
      main: { issuers: [{ issuer: iss, discovery: { url: `${idp.origin}${RFC8414}/acme` }, audience: AUD }] },
      asUrl: { issuers: [{ issuer: iss, discovery: { url: new URL(`${idp.origin}${RFC8414}/acme`) }, audience: AUD }] },
    });
    assert.equal((await accepted(h, 'main', await key.sign({ iss, aud: AUD, sub: 'ann' }))).sub, 'ann');
    assert.equal((await accepted(h, 'asUrl', await key.sign({ iss, aud: AUD, sub: 'bob' }))).sub, 'bob');
    assert.ok(!idp.requests.some((path) => path.endsWith(WELL_KNOWN)), 'the OpenID well-known path is never asked');
  });

  it('issue 24 #3: a document at discovery.url naming another issuer is refused as a mismatch', async (t) => {
    const key = signingKey('ES256', 'k1');
    const idp = await startIdentityProvider(t, { acme: [key], other: [key] });
    const seen = warnings(t);
    // The other tenant's honest document: its issuer is not the configured one.
    const h = await serverWith(t, { main: { issuers: [{ issuer: idp.issuer('acme'), discovery: { url: `${idp.issuer('other')}${WELL_KNOWN}` }, audience: AUD }] } });
    assert.deepEqual(await refusedWith(h, 'main', await key.sign({ iss: idp.issuer('acme'), aud: AUD })), ['invalid_secret', 'key_unavailable']);
    assert.deepEqual(idp.requests, [`/other${WELL_KNOWN}`], 'the key set is never fetched');
    assert.ok(seen.some((warning) => warning.code === 'SOCKJWT_DISCOVERY_UNAVAILABLE' && /not the configured one/.test(warning.message)));
  });

  const badUrls: Array<[string, unknown, RegExp]> = [
    ['not a URL', 'acme', /"issuers\[0\]\.discovery\.url" must be an absolute http\(s\) URL/],
    ['another scheme', 'file:///etc/passwd', /"issuers\[0\]\.discovery\.url" must be an http\(s\) URL/],
    ['credentials', 'https://u:p@login.example/.well-known/openid-configuration', /"issuers\[0\]\.discovery\.url" must not hold credentials/],
  ];
  for (const [name, url, message] of badUrls) {
    it(`issue 24 #3: discovery.url is checked at authorize(): ${name}`, () => {
      assert.throws(() => authorize({ handshake: true, issuers: [{ issuer: 'https://login.example/', discovery: { url: url as string }, audience: AUD }] }), message);
    });
  }
});

