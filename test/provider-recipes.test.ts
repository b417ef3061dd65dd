import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import type { Server } from 'socket.io';
import { authorize } from '../src/index.js';
import { signingKey, signJose, type SigningKey } from './key-support.js';
import { startIdentityProvider, warnings, type IdentityProvider } from './issuer-support.js';
import { connected, refusal, startServer, type Harness } from './support.js';

const GUIDE = readFileSync(new URL('../docs/identity-providers.md', import.meta.url), 'utf8');

const PLACEHOLDERS = ['YOUR_TENANT', 'KEYCLOAK_HOST', 'REALM', 'REGION', 'USER_POOL_ID', 'APP_CLIENT_ID', 'TENANT_ID', 'API_CLIENT_ID', 'PROJECT_ID', 'PROJECT_REF'];

/** The ```js block under `#### <heading>` in docs/identity-providers.md: the recipe as a user copies it. */
function recipe(heading: string): string {
  const start = GUIDE.indexOf(`\n#### ${heading}\n`);
  assert.ok(start >= 0, `docs/identity-providers.md has a recipe "${heading}"`);
  const block = /```js\n([\s\S]*?)```/.exec(GUIDE.slice(start));
  assert.ok(block, `the recipe "${heading}" has a js block`);
  return block[1]!;
}

/** Runs the recipe's code against a real socket.io server, with its placeholders replaced. */
function serverFromRecipe(t: TestContext, heading: string, replacements: Array<[string, string]>, env: Record<string, string> = {}): Promise<Harness> {
  let code = recipe(heading);
  for (const [placeholder, value] of replacements) {
    assert.ok(code.includes(placeholder), `the ${heading} recipe names ${placeholder}`);
    code = code.replaceAll(placeholder, value);
  }
  for (const placeholder of PLACEHOLDERS) assert.ok(!code.includes(placeholder), `the ${heading} recipe still names ${placeholder}`);
  const run = new Function('io', 'authorize', 'process', code) as (io: Server, a: typeof authorize, p: { env: Record<string, string> }) => void;
  return startServer(t, (io) => {
    run(io, authorize, { env });
    io.on('connection', (socket) => {
      for (const event of ['admin:ban', 'moderate:mute', 'chat:say']) socket.on(event, (ack: (answer: unknown) => void) => ack({ ok: true }));
    });
  });
}

/** Connects with `token` and emits `event`: the guard's verdict (`true`, or the refusal's code). */
async function guardVerdict(h: Harness, token: string, event: string): Promise<true | string> {
  const client = h.connect('/', { auth: { token } });
  await connected(client);
  const answer = (await client.timeout(3000).emitWithAck(event)) as { ok: boolean; data?: { code: string } };
  client.disconnect();
  return answer.ok ? true : answer.data!.code;
}

async function refusedWith(h: Harness, token: string): Promise<[string, string]> {
  const { data } = await refusal(h.connect('/', { auth: { token } }));
  return [data.code, data.reason];
}

/** A provider tenant whose local issuer is `path` below the provider's origin. */
async function tenant(t: TestContext, path: string, key: SigningKey): Promise<{ idp: IdentityProvider; iss: string }> {
  const idp = await startIdentityProvider(t, { [path]: [key] });
  return { idp, iss: idp.issuer(path) };
}

describe('identity provider recipes (docs/identity-providers.md), run as written against tokens shaped like each provider', () => {
  it('Auth0: aud array, azp, namespaced roles; the issuer ends with a slash', async (t) => {
    const key = signingKey('RS256', 'auth0-key');
    const idp = await startIdentityProvider(t, { '': [key] });
    const iss = `${idp.origin}/`;
    idp.amend('', { issuer: iss });
    const h = await serverFromRecipe(t, 'Auth0', [['https://YOUR_TENANT.auth0.com/', iss]]);
    const token = (roles: string[], aud: unknown = ['https://chat.example.com', `${iss}userinfo`]) =>
      key.sign({ iss, sub: 'auth0|ann', aud, azp: 'spa-client', scope: 'openid profile', 'https://chat.example.com/roles': roles });
    assert.equal(await guardVerdict(h, await token(['admin']), 'admin:ban'), true);
    assert.equal(await guardVerdict(h, await token([]), 'admin:ban'), 'forbidden');
    assert.equal(await guardVerdict(h, await token([]), 'chat:say'), true);
    assert.deepEqual(await refusedWith(h, await token(['admin'], 'https://billing.example.com')), ['invalid_token', 'claim_invalid']);
    assert.deepEqual(await refusedWith(h, await key.sign({ iss: idp.origin, aud: 'https://chat.example.com' })), ['invalid_token', 'claim_invalid'], 'the issuer without its slash is another issuer');
  });

  it('Keycloak: realm_access and resource_access roles, audience from a mapper', async (t) => {
    const key = signingKey('RS256', 'kc-key');
    const { iss } = await tenant(t, 'realms/chat', key);
    const h = await serverFromRecipe(t, 'Keycloak', [['https://KEYCLOAK_HOST/realms/REALM', iss]]);
    const token = (realmRoles: string[], clientRoles: string[], aud: unknown = ['chat-api', 'account']) =>
      key.sign({ iss, sub: 'f2c1', aud, azp: 'chat-web', typ: 'Bearer', realm_access: { roles: realmRoles }, resource_access: { 'chat-api': { roles: clientRoles }, account: { roles: ['view-profile'] } } });
    assert.equal(await guardVerdict(h, await token(['admin'], []), 'admin:ban'), true);
    assert.equal(await guardVerdict(h, await token(['user'], ['moderator']), 'admin:ban'), 'forbidden');
    assert.equal(await guardVerdict(h, await token(['user'], ['moderator']), 'moderate:mute'), true);
    assert.equal(await guardVerdict(h, await token(['admin'], []), 'moderate:mute'), 'forbidden');
    assert.deepEqual(await refusedWith(h, await token(['admin'], [], 'account')), ['invalid_token', 'claim_invalid'], 'no audience mapper: refused');
  });

  it('Cognito: access tokens without aud, checked by client_id and token_use; cognito:groups', async (t) => {
    const key = signingKey('RS256', 'cognito-key');
    const { iss } = await tenant(t, 'us-east-1_AbCdEf123', key);
    warnings(t); // the recipe's documented SOCKJWT_JWKS_UNSCOPED stays out of the test output's way
    const h = await serverFromRecipe(t, 'Amazon Cognito', [['https://cognito-idp.REGION.amazonaws.com/USER_POOL_ID', iss], ['APP_CLIENT_ID', '3n4b5urk1ft4fl3mg5e62d9ado']]);
    const token = (groups: string[], extra: Record<string, unknown> = {}) =>
      key.sign({ iss, aud: undefined, sub: 'a1b2', token_use: 'access', client_id: '3n4b5urk1ft4fl3mg5e62d9ado', scope: 'aws.cognito.signin.user.admin', 'cognito:groups': groups, username: 'ann', ...extra });
    assert.equal(await guardVerdict(h, await token(['admins']), 'admin:ban'), true);
    assert.equal(await guardVerdict(h, await token(['readers']), 'admin:ban'), 'forbidden');
    assert.deepEqual(await refusedWith(h, await token(['admins'], { token_use: 'id', aud: '3n4b5urk1ft4fl3mg5e62d9ado' })), ['invalid_token', 'rejected'], 'an ID token');
    assert.deepEqual(await refusedWith(h, await token(['admins'], { client_id: 'another-app' })), ['invalid_token', 'rejected']);
  });

  it('Entra ID v2: tenant issuer, tid, ver 2.0, app roles; a v1 token is another issuer', async (t) => {
    const key = signingKey('RS256', 'entra-key');
    const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const api = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
    const { iss, idp } = await tenant(t, `${tid}/v2.0`, key);
    const h = await serverFromRecipe(t, 'Microsoft Entra ID (v2.0 tokens)', [['https://login.microsoftonline.com/TENANT_ID/v2.0', iss], ['API_CLIENT_ID', api]]);
    const token = (roles: string[], extra: Record<string, unknown> = {}) =>
      key.sign({ iss, aud: api, tid, ver: '2.0', oid: 'c0ffee', azp: 'web-app', scp: 'chat.read', roles, ...extra });
    assert.equal(await guardVerdict(h, await token(['Chat.Admin']), 'admin:ban'), true);
    assert.equal(await guardVerdict(h, await token([]), 'admin:ban'), 'forbidden');
    assert.deepEqual(await refusedWith(h, await token(['Chat.Admin'], { iss: `${idp.origin}/${tid}/`, ver: '1.0' })), ['invalid_token', 'claim_invalid']);
    assert.deepEqual(await refusedWith(h, await token(['Chat.Admin'], { aud: `api://${api}` })), ['invalid_token', 'claim_invalid']);
  });

  it('Firebase: securetoken issuer, the project as audience, custom claims', async (t) => {
    const key = signingKey('RS256', 'firebase-key');
    const { iss } = await tenant(t, 'chat-project', key);
    const h = await serverFromRecipe(t, 'Firebase Authentication', [['https://securetoken.google.com/PROJECT_ID', iss], ['PROJECT_ID', 'chat-project']]);
    const token = (admin: boolean, aud = 'chat-project') =>
      key.sign({ iss, aud, sub: 'uid-ann', user_id: 'uid-ann', auth_time: Math.floor(Date.now() / 1000), firebase: { identities: {}, sign_in_provider: 'password' }, ...(admin ? { admin: true } : {}) });
    assert.equal(await guardVerdict(h, await token(true), 'admin:ban'), true);
    assert.equal(await guardVerdict(h, await token(false), 'admin:ban'), 'forbidden');
    assert.deepEqual(await refusedWith(h, await token(true, 'another-project')), ['invalid_token', 'claim_invalid']);
  });

  it('Supabase with its JWT secret: HS256, aud authenticated, app_metadata; the anon key is refused', async (t) => {
    const secret = 'super-secret-jwt-token-with-at-least-32-characters-long';
    const iss = 'https://abcdefghijklmnop.supabase.co/auth/v1';
    const h = await serverFromRecipe(t, 'Supabase (JWT secret)', [['https://PROJECT_REF.supabase.co/auth/v1', iss]], { SUPABASE_JWT_SECRET: secret });
    const token = (role: string | undefined) =>
      signJose(Buffer.from(secret), { alg: 'HS256', typ: 'JWT' }, { iss, aud: 'authenticated', sub: 'uuid-ann', role: 'authenticated', app_metadata: { provider: 'email', ...(role ? { role } : {}) }, user_metadata: {} });
    assert.equal(await guardVerdict(h, await token('admin'), 'admin:ban'), true);
    assert.equal(await guardVerdict(h, await token(undefined), 'admin:ban'), 'forbidden');
    const anon = await signJose(Buffer.from(secret), { alg: 'HS256', typ: 'JWT' }, { iss: 'supabase', ref: 'abcdefghijklmnop', role: 'anon', aud: undefined, sub: undefined });
    assert.deepEqual(await refusedWith(h, anon), ['invalid_token', 'claim_invalid']);
  });

  it('Supabase with signing keys: ES256 through its JWKS', async (t) => {
    const key = signingKey('ES256', 'supabase-key');
    const idp = await startIdentityProvider(t, { 'auth/v1': [key] });
    const iss = 'https://abcdefghijklmnop.supabase.co/auth/v1';
    const h = await serverFromRecipe(t, 'Supabase (signing keys)', [
      ['https://PROJECT_REF.supabase.co/auth/v1/.well-known/jwks.json', `${idp.issuer('auth/v1')}/jwks`],
      ['https://PROJECT_REF.supabase.co/auth/v1', iss],
    ]);
    const token = (role?: string) => key.sign({ iss, aud: 'authenticated', sub: 'uuid-ann', role: 'authenticated', app_metadata: role ? { role } : {} });
    assert.equal(await guardVerdict(h, await token('admin'), 'admin:ban'), true);
    assert.equal(await guardVerdict(h, await token(), 'admin:ban'), 'forbidden');
    assert.deepEqual(idp.requests, ['/auth/v1/jwks']);
  });
});
