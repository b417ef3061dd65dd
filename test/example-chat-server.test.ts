// The chat example's server parts without a browser: config, passwords, refresh tokens, HTTP, socket.io.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { MemoryRevocationStore } from 'sockjwt';
import { buildClient } from '../examples/chat/build.js';
import { createChatServer, type ChatServer } from '../examples/chat/server/app.js';
import { readConfig, redactUrl } from '../examples/chat/server/config.js';
import { RefreshTokenStore, type EndedFamily, type RotateResult } from '../examples/chat/server/refresh-tokens.js';
import { loadUsers, UserDirectory } from '../examples/chat/server/users.js';
import type { TokenResponse } from '../examples/chat/shared/protocol.js';
import { next } from './support.js';

const seedUsers = loadUsers(new URL('../examples/chat/users.json', import.meta.url));
const CAROL = seedUsers.find((u) => u.username === 'carol')!.id;

describe('chat example: configuration from the environment', () => {
  it('has defaults that run with nothing set, and says the secret is random', () => {
    const config = readConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.accessTokenTtlSeconds, 60);
    assert.equal(config.refreshTokenTtlSeconds, 8 * 60 * 60);
    assert.equal(config.redisUrl, undefined);
    assert.ok(Buffer.from(config.jwtSecret, 'base64url').length >= 32);
    assert.notEqual(readConfig({}).jwtSecret, config.jwtSecret, 'a new random secret per run');
    assert.match(config.warnings.join('\n'), /JWT_SECRET is not set: using a random secret/);
    assert.ok(config.usersFile.endsWith('examples/chat/users.json'));
  });

  it('reads PORT, JWT_SECRET, token lifetimes and REDIS_URL', () => {
    const secret = 'x'.repeat(40);
    const config = readConfig({ PORT: '8080', JWT_SECRET: secret, ACCESS_TOKEN_TTL: '90s', REFRESH_TOKEN_TTL: '2h', REDIS_URL: 'redis://127.0.0.1:6379' });
    assert.deepEqual(
      { port: config.port, secret: config.jwtSecret, access: config.accessTokenTtlSeconds, refresh: config.refreshTokenTtlSeconds, redis: config.redisUrl, warnings: config.warnings },
      { port: 8080, secret, access: 90, refresh: 7200, redis: 'redis://127.0.0.1:6379', warnings: [] },
    );
    assert.equal(readConfig({ ACCESS_TOKEN_TTL: '30' }).accessTokenTtlSeconds, 30);
    assert.equal(readConfig({ ACCESS_TOKEN_TTL: '5m' }).accessTokenTtlSeconds, 300);
  });

  it('reads TRUST_PROXY as express\'s trust proxy: unset or false trusts none; true, a hop count, or addresses', () => {
    const trust = (value?: string) => readConfig(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy;
    assert.deepEqual([trust(), trust(''), trust('false'), trust('true'), trust('1'), trust('loopback, 10.0.0.0/8')], [undefined, undefined, undefined, true, 1, 'loopback, 10.0.0.0/8']);
  });

  it('refuses values it cannot use, and warns about a short secret', () => {
    assert.throws(() => readConfig({ PORT: 'eighty' }), /PORT must be an integer/);
    assert.throws(() => readConfig({ PORT: '70000' }), /PORT must be an integer/);
    assert.throws(() => readConfig({ ACCESS_TOKEN_TTL: 'soon' }), /ACCESS_TOKEN_TTL must be a whole number of seconds/);
    assert.throws(() => readConfig({ ACCESS_TOKEN_TTL: '1' }), /ACCESS_TOKEN_TTL must be at least 2 seconds/);
    assert.throws(() => readConfig({ REFRESH_TOKEN_TTL: '1.5s' }), /REFRESH_TOKEN_TTL must be a whole number/);
    assert.match(readConfig({ JWT_SECRET: 'short' }).warnings.join('\n'), /shorter than 32 bytes/);
  });

  it('never prints a Redis password', () => {
    assert.equal(redactUrl('redis://user:hunter2@cache:6379/0'), 'redis://user:***@cache:6379/0');
    assert.equal(redactUrl('redis://cache:6379'), 'redis://cache:6379');
  });
});

describe('chat example: users', () => {
  it('the seed has an admin and two members, each demo password matching its scrypt hash', async () => {
    assert.deepEqual(
      seedUsers.map((u) => [u.username, u.role]),
      [
        ['alice', 'admin'],
        ['bob', 'member'],
        ['carol', 'member'],
      ],
    );
    const users = new UserDirectory(seedUsers);
    for (const user of seedUsers) {
      assert.deepEqual(await users.verify(user.username, user.demoPassword!), { id: user.id, name: user.name, role: user.role });
      assert.equal(await users.verify(user.username, `${user.demoPassword}!`), null);
    }
    assert.equal(await users.verify('mallory', 'wonderland'), null);
  });

  it('refuses a user file it cannot trust, and duplicate users', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-users-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'users.json');
    writeFileSync(file, JSON.stringify({ users: [{ ...seedUsers[1], password: 'builder' }] }));
    assert.throws(() => loadUsers(file), /users\[0\]: "password" must be \{ salt, hash \} in hex/);
    writeFileSync(file, JSON.stringify({ users: [{ ...seedUsers[1], role: 'root' }] }));
    assert.throws(() => loadUsers(file), /"role" must be "admin" or "member"/);
    assert.throws(() => new UserDirectory([...seedUsers, seedUsers[0]!]), /duplicate user "alice"/);
  });
});

describe('chat example: refresh tokens', () => {
  const rotated = (result: RotateResult): string => {
    assert.ok(result.ok, `refused: ${!result.ok && result.reason}`);
    return result.token;
  };

  it('rotate on use; two tabs refreshing at once get the same successor; a later replay ends the family and revokes its access tokens', () => {
    let now = 1_000_000;
    const ended: EndedFamily[] = [];
    const store = new RefreshTokenStore({ ttlMs: 60_000, reuseGraceMs: 10_000, now: () => now, onFamilyEnded: (family) => ended.push(family) });
    const first = store.issue('bob');
    store.noteAccessToken(first.family, { jti: 'a1', exp: now / 1000 + 60 });
    const second = rotated(store.rotate(first.token));
    assert.notEqual(second, first.token);

    now += 5_000; // the other tab, with the same cookie, within the grace: the same successor, no second chain
    assert.equal(rotated(store.rotate(first.token)), second, 'no fork: one current token per family');
    const third = rotated(store.rotate(second));
    assert.equal(store.size, 3, 'current, previous and one retired hash');

    now += 5_001; // the first token again, rotated more than the grace ago: a copy
    assert.deepEqual(store.rotate(first.token), { ok: false, reason: 'reused' });
    assert.deepEqual(store.rotate(third), { ok: false, reason: 'unknown' }, 'the family ended');
    assert.deepEqual(ended.map((f) => [f.sub, f.why, f.accessTokens.map((t) => t.jti)]), [['bob', 'reused', ['a1']]]);
    assert.equal(store.size, 0);
  });

  it('tabs sharing a cookie jar: a token two rotations old, still in flight within the grace, gets the current token (no fork, no false alarm)', () => {
    let now = 0;
    const ended: EndedFamily[] = [];
    const store = new RefreshTokenStore({ ttlMs: 600_000, reuseGraceMs: 10_000, now: () => now, onFamilyEnded: (family) => ended.push(family) });
    const login = store.issue('bob');
    const second = rotated(store.rotate(login.token)); // tab A
    now += 300;
    const third = rotated(store.rotate(second)); // tab B, which already had A's new cookie
    now += 300;
    assert.equal(rotated(store.rotate(login.token)), third, 'tab C\'s request, sent with the login cookie before A answered');
    assert.equal(ended.length, 0, 'no false alarm');
    now = 10_001; // the login token was rotated more than the grace ago: now it is a copy
    assert.deepEqual(store.rotate(login.token), { ok: false, reason: 'reused' });
    assert.deepEqual(ended.map((f) => f.why), ['reused']);
  });

  it('a replay of a forked chain is caught: the previous token, or any older one, after the grace', () => {
    let now = 0;
    const store = new RefreshTokenStore({ ttlMs: 600_000, reuseGraceMs: 10_000, now: () => now });
    const login = store.issue('bob');
    const next = rotated(store.rotate(login.token));
    now += 10_001;
    assert.deepEqual(store.rotate(login.token), { ok: false, reason: 'reused' });
    assert.deepEqual(store.rotate(next), { ok: false, reason: 'unknown' });
  });

  it('a family lives ttlMs from its login however often it rotates (absolute lifetime)', () => {
    let now = 0;
    const store = new RefreshTokenStore({ ttlMs: 10_000, now: () => now });
    let token = store.issue('bob').token;
    for (now = 1_000; now < 10_000; now += 1_000) {
      const grant = store.rotate(token);
      assert.ok(grant.ok);
      assert.equal(grant.expiresAt, 10_000, 'the cookie\'s end does not move');
      token = grant.token;
    }
    assert.deepEqual(store.rotate(token), { ok: false, reason: 'expired' });
  });

  it('stays bounded: 5,000 rotations of one family keep 10 hashes; families are capped per user and in all', () => {
    const ended: EndedFamily[] = [];
    const store = new RefreshTokenStore({ ttlMs: 3_600_000, maxFamiliesPerUser: 3, maxFamilies: 5, onFamilyEnded: (family) => ended.push(family) });
    let token = store.issue('bob').token;
    for (let i = 0; i < 5000; i++) token = rotated(store.rotate(token));
    assert.equal(store.size, 10, 'current, previous and 8 retired');
    for (let i = 0; i < 3; i++) store.issue('bob');
    assert.equal(store.familyCount, 3, 'the oldest of bob\'s families made room');
    assert.deepEqual(store.rotate(token), { ok: false, reason: 'unknown' });
    for (const sub of ['carol', 'dan', 'erin']) store.issue(sub);
    assert.equal(store.familyCount, 5);
    assert.deepEqual(ended.map((f) => f.why), ['evicted', 'evicted']);
  });

  it('end per device (revoke) or per user (revokeSubject); sweep forgets expired families', () => {
    let now = 0;
    const ended: string[] = [];
    const store = new RefreshTokenStore({ ttlMs: 1000, now: () => now, onFamilyEnded: (family) => ended.push(family.why) });
    const old = store.issue('bob');
    now = 1000;
    assert.deepEqual(store.rotate(old.token), { ok: false, reason: 'expired' });

    const laptop = store.issue('bob');
    const phone = store.issue('bob');
    const other = store.issue('carol');
    store.revoke(laptop.token);
    assert.deepEqual(ended, ['signed-out']);
    assert.deepEqual(store.rotate(laptop.token), { ok: false, reason: 'unknown' });
    assert.equal(store.revokeSubject('bob'), 1);
    assert.deepEqual(store.rotate(phone.token), { ok: false, reason: 'unknown' });
    assert.ok(store.rotate(other.token).ok);

    now = 10_000;
    store.sweep();
    assert.equal(store.size, 0);
  });
});

describe('chat example: HTTP and socket.io', () => {
  let server: ChatServer;
  const clients: ClientSocket[] = [];
  const revocationStore = new MemoryRevocationStore();
  let configured = 0;

  before(async () => {
    await buildClient();
    server = await createChatServer({
      jwtSecret: randomBytes(32).toString('base64url'),
      users: seedUsers,
      revocationStore,
      // Many sign-ins from 127.0.0.1 here; the limits have their own tests.
      limits: { loginsPerAddress: { points: 1000, durationSeconds: 60 } },
      configureIo: (io) => {
        configured++;
        assert.equal(typeof io.adapter, 'function');
      },
      log: () => {},
    });
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await server?.close();
  });

  /** As the page sends it: under /auth, with the CSRF header. */
  const post = (path: string, body?: object, cookie?: string, headers: Record<string, string> = { 'x-chat-csrf': '1' }) =>
    fetch(`${server.url}/auth${path}`, {
      method: 'POST',
      headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}) },
      body: body ? JSON.stringify(body) : null,
    });
  const refreshCookie = (response: Response) => /chat_refresh=([^;]*)/.exec(response.headers.get('set-cookie') ?? '')?.[1];

  async function login(username: string, password: string): Promise<{ grant: TokenResponse; cookie: string }> {
    const response = await post('/login', { username, password });
    assert.equal(response.status, 200);
    return { grant: (await response.json()) as TokenResponse, cookie: `chat_refresh=${refreshCookie(response)}` };
  }

  function connect(token: string): ClientSocket {
    const client = connectClient(server.url, { auth: { token }, transports: ['websocket'], forceNew: true, reconnection: false });
    clients.push(client);
    return client;
  }

  it('calls configureIo once, before serving, with the socket.io server', () => {
    assert.equal(configured, 1);
  });

  it('POST /login: a clear 401 for a wrong password, 400 without fields, 415 unless JSON', async () => {
    const wrong = await post('/login', { username: 'bob', password: 'nope' });
    assert.equal(wrong.status, 401);
    assert.deepEqual(await wrong.json(), { error: 'Wrong username or password.' });
    assert.equal(refreshCookie(wrong), undefined);

    const empty = await post('/login', { username: 'bob' });
    assert.equal(empty.status, 400);
    assert.deepEqual(await empty.json(), { error: 'Enter a username and a password.' });

    const form = await fetch(`${server.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=bob&password=builder' });
    assert.equal(form.status, 415);
  });

  it('POST /login: an access token with sub, name, role, jti, and an httpOnly SameSite=Strict refresh cookie', async () => {
    const response = await post('/login', { username: 'Bob ', password: 'builder' });
    assert.equal(response.status, 200);
    const setCookie = response.headers.get('set-cookie')!;
    assert.match(setCookie, /^chat_refresh=[\w-]{43}; Max-Age=28(?:800|79\d); Path=\/auth; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    const { token, expiresAt, user } = (await response.json()) as TokenResponse;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.deepEqual(user, { id: 'uR4tY8nB', name: 'Bob', role: 'member' });
    assert.equal(claims['sub'], 'uR4tY8nB', 'the public id, never the login name');
    assert.equal(claims['name'], 'Bob');
    assert.equal(claims['role'], 'member');
    assert.match(String(claims['jti']), /^[0-9a-f-]{36}$/);
    assert.equal(claims['exp'], (claims['iat'] as number) + 60);
    assert.equal(expiresAt, (claims['exp'] as number) * 1000);
  });

  it('POST /refresh: a new access token and a rotated cookie; none without a cookie', async () => {
    const { grant, cookie } = await login('carol', 'carols');
    const refreshed = await post('/refresh', undefined, cookie);
    assert.equal(refreshed.status, 200);
    const next = (await refreshed.json()) as TokenResponse;
    assert.notEqual(next.token, grant.token);
    assert.notEqual(`chat_refresh=${refreshCookie(refreshed)}`, cookie, 'rotated');

    const none = await post('/refresh');
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), { error: 'Not signed in.' });
    const bogus = await post('/refresh', undefined, 'chat_refresh=bogus');
    assert.equal(bogus.status, 401);
    assert.match(bogus.headers.get('set-cookie')!, /^chat_refresh=; Path=\/auth; Expires=Thu, 01 Jan 1970/, 'the dead cookie is cleared');
  });

  it('POST /logout ends the refresh token of this device only', async () => {
    const laptop = await login('carol', 'carols');
    const phone = await login('carol', 'carols');
    assert.equal((await post('/logout', undefined, laptop.cookie)).status, 204);
    assert.equal((await post('/refresh', undefined, laptop.cookie)).status, 401);
    assert.equal((await post('/refresh', undefined, phone.cookie)).status, 200);
  });

  it('socket.io: the access token connects; presence carries the names from the claims', async () => {
    const { grant } = await login('alice', 'wonderland');
    const client = connect(grant.token);
    const [users] = await next<[{ id: string; name: string; role: string }[]]>(client, 'presence');
    assert.deepEqual(users.find((u) => u.id === 'u7Qm2xK9'), { id: 'u7Qm2xK9', name: 'Alice', role: 'admin' });
    assert.ok(!JSON.stringify(users).includes('alice'), 'display names and public ids: never a login name');
  });

  it('socket.io: a token signed with another secret, or sent in the query string, is refused', async () => {
    const { grant } = await login('bob', 'builder');
    const forged = grant.token.slice(0, grant.token.lastIndexOf('.') + 1) + Buffer.from('x'.repeat(32)).toString('base64url');
    const [error] = await next<[Error & { data: { reason: string } }]>(connect(forged), 'connect_error');
    assert.equal(error.data.reason, 'bad_signature');

    const viaQuery = connectClient(server.url, { query: { token: grant.token }, transports: ['websocket'], forceNew: true, reconnection: false });
    clients.push(viaQuery);
    const [missing] = await next<[Error & { data: { code: string } }]>(viaQuery, 'connect_error');
    assert.equal(missing.data.code, 'credentials_required');
  });

  it('socket.io: a member\'s admin:ban is refused by the event guard; an admin\'s ban revokes and blocks login', async () => {
    const bob = connect((await login('bob', 'builder')).grant.token);
    await next(bob, 'connect');
    const refusal = (await bob.timeout(3000).emitWithAck('admin:ban', CAROL)) as { ok: boolean; data: { code: string; reason: string } };
    assert.deepEqual([refusal.ok, refusal.data.code, refusal.data.reason], [false, 'forbidden', 'claim_required']);
    assert.equal(server.users.isBanned(CAROL), false);

    const carolLogin = await login('carol', 'carols');
    const carol = connect(carolLogin.grant.token);
    await next(carol, 'connect');
    const alice = connect((await login('alice', 'wonderland')).grant.token);
    await next(alice, 'connect');
    const ending = next<[{ reason: string; by: string }]>(carol, 'session-ending');
    const unauthorized = next<[{ data: { reason: string } }]>(carol, 'unauthorized');
    assert.deepEqual(await alice.timeout(3000).emitWithAck('admin:ban', CAROL), { ok: true });
    assert.deepEqual((await ending)[0], { reason: 'banned', by: 'Alice' });
    assert.equal((await unauthorized)[0].data.reason, 'revoked');

    const again = await post('/login', { username: 'carol', password: 'carols' });
    assert.equal(again.status, 403);
    assert.deepEqual(await again.json(), { error: 'This account has been banned by an admin.' });
    assert.equal((await post('/refresh', undefined, carolLogin.cookie)).status, 401, 'her refresh tokens ended');
    assert.equal(revocationStore.isRevoked({ sub: CAROL, iat: carolLogin.grant.expiresAt / 1000 - 60 }), true, 'the rule is in the given store');

    // A token minted before the ban, presented again, is refused at the handshake.
    const [late] = await next<[Error & { data: { reason: string } }]>(connect(carolLogin.grant.token), 'connect_error');
    assert.equal(late.data.reason, 'revoked');

    assert.deepEqual(await alice.timeout(3000).emitWithAck('admin:unban', CAROL), { ok: true });
    assert.equal(server.users.isBanned(CAROL), false);
  });

  it('refuses to start without a secret', async () => {
    await assert.rejects(createChatServer({ jwtSecret: '', users: seedUsers }), /"jwtSecret" is required/);
  });
});
