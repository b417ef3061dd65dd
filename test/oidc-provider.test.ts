import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DiscoveryOptions, IssuerOptions } from '../src/index.js';
import { accepted, refusedWith, serverWith } from './issuer-support.js';
import { CLIENT_ID, providerKey, RESOURCE, startOpenIdProvider } from './oidc-provider-support.js';
import { connected } from './support.js';

const WELL_KNOWN = '/.well-known/openid-configuration';

/** The provider's access tokens: discovery, its resource as audience, and `typ: at+jwt`. */
function accessTokens(issuer: string, discovery: true | DiscoveryOptions = true): IssuerOptions[] {
  return [{ issuer, discovery, audience: RESOURCE, typ: 'at+jwt', algorithms: ['ES256'] }];
}

describe('a real OpenID Provider (oidc-provider): discovery, access tokens, ID tokens', () => {
  it('a client-credentials access token (at+jwt, resource indicator) connects through discovery and JWKS', async (t) => {
    const op = await startOpenIdProvider(t, [providerKey('k1')]);
    const h = await serverWith(t, { api: { issuers: accessTokens(op.issuer) } });
    const claims = await accepted(h, 'api', await op.accessToken());
    assert.deepEqual([claims.iss, claims.aud, claims['client_id'], claims['scope']], [op.issuer, RESOURCE, CLIENT_ID, 'chat']);
    await accepted(h, 'api', await op.accessToken());
    assert.deepEqual(op.requests.filter((path) => !path.startsWith('/token')), [WELL_KNOWN, '/jwks'], 'discovered and fetched once');
  });

  it("typ: 'at+jwt' refuses the provider's ID token; a namespace for ID tokens takes it", async (t) => {
    const op = await startOpenIdProvider(t, [providerKey('k1')]);
    const h = await serverWith(t, {
      api: { issuers: accessTokens(op.issuer) },
      login: { issuers: [{ issuer: op.issuer, discovery: true, audience: CLIENT_ID }] },
    });
    const idToken = await op.idToken('alice');
    assert.deepEqual(await refusedWith(h, 'api', idToken), ['invalid_token', 'claim_invalid']);
    assert.equal((await accepted(h, 'login', idToken)).sub, 'alice');
    // And the other way round: an access token is not for the login namespace's audience.
    assert.deepEqual(await refusedWith(h, 'login', await op.accessToken()), ['invalid_token', 'claim_invalid']);
  });

  it('an access token for another resource is refused by audience', async (t) => {
    const op = await startOpenIdProvider(t, [providerKey('k1')]);
    const h = await serverWith(t, { api: { issuers: accessTokens(op.issuer) } });
    assert.deepEqual(await refusedWith(h, 'api', await op.accessToken('https://billing.example.com')), ['invalid_token', 'claim_invalid']);
  });

  it('key rotation at the provider (new key published, old one retired) without restarting socket.io', async (t) => {
    const [k1, k2] = [providerKey('k1'), providerKey('k2')];
    const op = await startOpenIdProvider(t, [k1]);
    // cacheMaxAgeMs 0: every token re-reads the key set, so a retirement shows at once.
    const h = await serverWith(t, { api: { issuers: accessTokens(op.issuer, { cooldownMs: 0, cacheMaxAgeMs: 0 }) } });
    const old = await op.accessToken();
    const live = h.connect('/api', { auth: { token: old } });
    await connected(live);

    op.rotate([k2, k1]); // the new key signs; the old one is still published
    const fresh = await op.accessToken();
    assert.equal(JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString()).kid, 'k2');
    await accepted(h, 'api', fresh);
    await accepted(h, 'api', old);

    op.rotate([k2]); // the old key is retired
    assert.deepEqual(await refusedWith(h, 'api', old), ['invalid_token', 'no_matching_key']);
    await accepted(h, 'api', fresh);
    assert.equal(live.connected, true, 'a live socket is not touched by a rotation');
  });

  it('provider down at start: key_unavailable; once it is up, tokens verify with no restart', async (t) => {
    const op = await startOpenIdProvider(t, [providerKey('k1')]);
    const token = await op.accessToken();
    op.down();
    const h = await serverWith(t, { api: { issuers: accessTokens(op.issuer, { cooldownMs: 0 }) } });
    assert.deepEqual(await refusedWith(h, 'api', token), ['invalid_secret', 'key_unavailable']);
    op.up();
    await accepted(h, 'api', token);
  });

  it('provider down during a run: cached keys keep verifying, live sockets stay; a key it never published is key_unavailable', async (t) => {
    const op = await startOpenIdProvider(t, [providerKey('k1')]);
    const h = await serverWith(t, { api: { issuers: accessTokens(op.issuer, { cooldownMs: 0 }) } });
    const live = h.connect('/api', { auth: { token: await op.accessToken() } });
    await connected(live);
    const second = await op.accessToken();
    op.rotate([providerKey('k9')]);
    const unknownKid = await op.accessToken();
    op.down();
    await accepted(h, 'api', second);
    assert.deepEqual(await refusedWith(h, 'api', unknownKid), ['invalid_secret', 'key_unavailable']);
    assert.equal(live.connected, true, 'the live socket stayed');
    op.up();
    await accepted(h, 'api', unknownKid);
  });
});
