// The chat example as people will copy it (issue 19): arbitrary payloads, CSRF, limits, the
// rotation store, revocation of what a session issued, socket caps, logs. Real server, real
// socket.io-client, real sockjwt/client; no browser (test/example-chat.test.ts has that).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { connect as connectHelper, type AuthenticatedSocket } from '../src/client/index.js';
import { buildClient } from '../examples/chat/build.js';
import { ALGORITHM, AUDIENCE, ISSUER } from '../examples/chat/server/access-tokens.js';
import { createChatServer, type ChatServer } from '../examples/chat/server/app.js';
import { loadUsers } from '../examples/chat/server/users.js';
import type { PublicUser, TokenResponse } from '../examples/chat/shared/protocol.js';
import { connected, next } from './support.js';

const seedUsers = loadUsers(new URL('../examples/chat/users.json', import.meta.url));
const user = (username: string) => seedUsers.find((u) => u.username === username)!;
const ALICE = user('alice');
const BOB = user('bob');

/** A chat server for one suite, and clients that are all closed after it. */
function suiteServer(options: Partial<Parameters<typeof createChatServer>[0]> = {}) {
  const secret = randomBytes(32).toString('base64url');
  const log: string[] = [];
  const clients: { disconnect(): unknown }[] = [];
  const state = { server: undefined as unknown as ChatServer };
  before(async () => {
    await buildClient();
    state.server = await createChatServer({ jwtSecret: secret, users: seedUsers, log: (line) => log.push(line), ...options });
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    await state.server?.close();
  });
  /** An access token as /auth/login would sign it. */
  const mint = (who: typeof ALICE, life = 300) =>
    jwt.sign({ name: who.name, role: who.role }, secret, { algorithm: ALGORITHM, subject: who.id, issuer: ISSUER, audience: AUDIENCE, expiresIn: life, jwtid: randomBytes(8).toString('hex') });
  const socket = (token: string, reconnection = false): ClientSocket => {
    const client = connectClient(state.server.url, { auth: { token }, transports: ['websocket'], forceNew: true, reconnection });
    clients.push(client);
    return client;
  };
  const post = (path: string, init: { body?: object; cookie?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${state.server.url}${path}`, {
      method: 'POST',
      headers: { 'x-chat-csrf': '1', ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.cookie ? { cookie: init.cookie } : {}), ...init.headers },
      body: init.body ? JSON.stringify(init.body) : null,
    });
  const login = async (who: typeof ALICE) => {
    const response = await post('/auth/login', { body: { username: who.username, password: who.demoPassword } });
    assert.equal(response.status, 200, await response.clone().text());
    return { grant: (await response.json()) as TokenResponse, cookie: cookieOf(response)! };
  };
  return { state, log, clients, mint, socket, post, login };
}

const cookieOf = (response: Response) => {
  const value = /chat_refresh=([^;]*)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
  return value ? `chat_refresh=${value}` : undefined;
};

describe('chat example: arbitrary payloads on every event', () => {
  const s = suiteServer({ limits: { messagesPerSocket: { points: 10_000, durationSeconds: 1 }, messagesPerUser: { points: 10_000, durationSeconds: 1 } } });

  it('the server stays up and answers every event, whatever the arguments (fast-check, through socket.io-client)', async () => {
    const alice = s.socket(s.mint(ALICE)); // an admin: the admin:* handlers run too
    await connected(alice);
    const ask = (event: string, args: unknown[]) => alice.timeout(3000).emitWithAck(event, ...args) as Promise<{ ok: boolean; message?: string }>;
    // The payloads that ended the process before: objects whose toString is not a function.
    for (const event of ['join', 'admin:ban', 'admin:unban', 'message']) {
      const answer = await ask(event, [{ toString: 1 }]);
      assert.equal(answer.ok, false, event);
      assert.equal(typeof answer.message, 'string');
    }
    const events = ['join', 'message', 'signout-everywhere', 'admin:ban', 'admin:unban', 'authenticate', 'not-an-event'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...events), fc.array(fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: false }), { minLength: 1, maxLength: 3 }), fc.boolean(), async (event, args, withAck) => {
        if (!withAck || event === 'not-an-event') {
          alice.emit(event, ...args);
        } else {
          const answer = await ask(event, args);
          assert.equal(typeof answer, 'object');
          assert.equal(typeof answer.ok, 'boolean');
        }
        // Still up, still answering, still alice's socket.
        assert.equal((await ask('join', ['lobby'])).ok, true);
      }),
      { numRuns: 150 },
    );
    assert.equal(alice.connected, true);
    assert.deepEqual(s.log.filter((line) => line.startsWith('error')), [], 'no handler failed');
  });

  it('a message with a NUL, an escape or a right-to-left override is refused; a plain one goes through', async () => {
    const bob = s.socket(s.mint(BOB));
    await connected(bob);
    for (const text of ['hi\u0000there', 'evil\u202Egnp.exe', 'ansi \u001b[31mred', 'isolate \u2067x']) {
      const answer = (await bob.timeout(3000).emitWithAck('message', { room: 'lobby', text })) as { ok: boolean; message: string };
      assert.deepEqual(answer, { ok: false, message: 'A message cannot hold control characters or text-direction overrides.' }, JSON.stringify(text));
    }
    assert.deepEqual(await bob.timeout(3000).emitWithAck('message', { room: 'lobby', text: 'plain, and café ok' }), { ok: true });
  });
});

describe('chat example: cookie endpoints and CSRF', () => {
  const s = suiteServer();

  it('refuses /auth/refresh and /auth/logout without the page\'s header, from another origin or site; the cookie and the session survive', async () => {
    const { cookie } = await s.login(BOB);
    const attempts: Record<string, string>[] = [
      { 'x-chat-csrf': '' }, // a form: no custom header
      { origin: 'http://127.0.0.1:1' }, // another origin (same site: another port)
      { 'sec-fetch-site': 'same-site' }, // a sibling subdomain
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of attempts) {
      for (const path of ['/auth/logout', '/auth/refresh']) {
        const response = await s.post(path, { cookie, headers });
        assert.equal(response.status, 403, `${path} ${JSON.stringify(headers)}`);
        assert.deepEqual(await response.json(), { error: 'Refused: this request did not come from the chat page.' });
        assert.equal(response.headers.get('set-cookie'), null, 'the cookie is left alone');
      }
    }
    assert.equal((await s.post('/auth/refresh', { cookie })).status, 200, 'the session is intact');
  });

  it('a request that carries no cookie never clears it', async () => {
    for (const path of ['/auth/logout', '/auth/refresh']) {
      const response = await s.post(path);
      assert.equal(response.headers.get('set-cookie'), null, path);
    }
  });

  it('serves the page and app.js, and no source map', async () => {
    assert.equal((await fetch(`${s.state.server.url}/app.js`)).status, 200);
    assert.equal((await fetch(`${s.state.server.url}/`)).status, 200);
    assert.equal((await fetch(`${s.state.server.url}/app.js.map`)).status, 404);
  });
});

describe('chat example: behind a TLS-terminating proxy', () => {
  /** What the proxy passes on for https://chat.example: the browser's Origin, the original host and scheme. */
  const proxied = { host: 'chat.example', origin: 'https://chat.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example', 'sec-fetch-site': 'same-origin' };

  describe('with trustProxy (TRUST_PROXY) naming the proxy', () => {
    const s = suiteServer({ trustProxy: 'loopback' });

    it('sign-in and refresh through the proxy are accepted, and the refresh cookie is Secure', async () => {
      const login = await s.post('/auth/login', { body: { username: BOB.username, password: BOB.demoPassword }, headers: proxied });
      assert.equal(login.status, 200, await login.clone().text());
      assert.match(login.headers.get('set-cookie') ?? '', /; Secure/);
      const refreshed = await s.post('/auth/refresh', { cookie: cookieOf(login)!, headers: proxied });
      assert.equal(refreshed.status, 200, await refreshed.clone().text());
    });
  });

  describe('without it', () => {
    const s = suiteServer();

    it('every /auth/* POST is refused (the Origin is https, the server sees http): fail-closed, as the README warns', async () => {
      const login = await s.post('/auth/login', { body: { username: BOB.username, password: BOB.demoPassword }, headers: proxied });
      assert.equal(login.status, 403);
    });
  });
});

describe('chat example: rate limits', () => {
  const s = suiteServer({
    limits: {
      loginsPerAddress: { points: 1000, durationSeconds: 60 },
      refreshesPerUser: { points: 20, durationSeconds: 60 },
      concurrentPasswordChecks: 2,
      queuedPasswordChecks: 4,
    },
  });

  it('after 5 wrong passwords even the right one waits, with a clear message and Retry-After', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await s.post('/auth/login', { body: { username: 'carol', password: `guess-${i}` } })).status, 401);
    const right = await s.post('/auth/login', { body: { username: 'carol', password: user('carol').demoPassword } });
    assert.equal(right.status, 429);
    assert.match(((await right.json()) as { error: string }).error, /^Too many failed sign-ins for this account\. Try again in \d+ s\.$/);
    assert.ok(Number(right.headers.get('retry-after')) > 0);
  });

  it('12 concurrent wrong guesses for one account: 5 password checks at most, the other 7 answered 429 (the failure is counted before the check)', async () => {
    const users = s.state.server.users;
    const verify = users.verify;
    const checked: string[] = [];
    // A spy around the real scrypt check: it counts, it does not replace.
    users.verify = (username, password) => {
      checked.push(username);
      return verify.call(users, username, password);
    };
    try {
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => s.post('/auth/login', { body: { username: 'mallory', password: `guess-${i}` } })));
      const statuses = answers.map((r) => r.status).sort();
      assert.deepEqual(statuses, [...Array(5).fill(401), ...Array(7).fill(429)], statuses.join(' '));
      assert.equal(checked.length, 5, `${checked.length} password checks ran`);
    } finally {
      users.verify = verify;
    }
  });

  it('40 concurrent sign-ins: 2 password checks at a time, 4 waiting, the rest answered 503 at once (scrypt cannot fill the thread pool)', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => s.post('/auth/login', { body: { username: `nobody-${i}`, password: 'x' } })));
    const statuses = answers.map((r) => r.status);
    // Requests arrive over a few ms while the first checks finish, so a few more than 2 + 4 get a check.
    const checked = statuses.filter((status) => status === 401).length;
    assert.ok(checked >= 6 && checked <= 14, statuses.join(' '));
    assert.equal(statuses.filter((status) => status === 503).length, 40 - checked);
    const busy = answers[statuses.indexOf(503)]!;
    assert.deepEqual(await busy.json(), { error: 'The server is busy. Try again in a moment.' });
    assert.equal(busy.headers.get('retry-after'), '1');
  });

  it('a refresh flood is cut at the per-user limit and the rotation store stays bounded', async () => {
    const store = s.state.server.refreshTokens;
    const held = store.size;
    let { cookie } = await s.login(BOB);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await s.post('/auth/refresh', { cookie });
      statuses.push(response.status);
      cookie = cookieOf(response) ?? cookie;
    }
    assert.equal(statuses.filter((status) => status === 200).length, 20, statuses.join(' '));
    assert.ok(statuses.slice(20).every((status) => status === 429));
    // 20 rotations of one family: its current token, the previous one and 8 older hashes, not 21.
    assert.equal(store.size - held, 10, `${store.size - held} token hashes kept for one family`);
  });

  it('messages per socket: the sixth within 5 s is refused with a clear message and never broadcast', async () => {
    const alice = s.socket(s.mint(ALICE));
    const bob = s.socket(s.mint(BOB));
    await Promise.all([connected(alice), connected(bob)]);
    const seen: string[] = [];
    bob.on('message', (message: { text: string }) => seen.push(message.text));
    const answers: { ok: boolean; message?: string }[] = [];
    for (let i = 0; i < 8; i++) answers.push(await alice.timeout(3000).emitWithAck('message', { room: 'lobby', text: `flood ${i}` }));
    assert.deepEqual(answers.map((a) => a.ok), [true, true, true, true, true, false, false, false]);
    assert.match(answers[5]!.message!, /^You are sending messages too fast\. Wait \d+ s\.$/);
    await alice.timeout(3000).emitWithAck('join', 'lobby'); // a round trip: any broadcast has arrived
    assert.deepEqual(seen.filter((text) => text.startsWith('flood')), ['flood 0', 'flood 1', 'flood 2', 'flood 3', 'flood 4']);
  });

  it('messages per user: across 3 sockets of one user, the 11th within 5 s is refused though each socket is under its own limit', async () => {
    const carol = s.mint(user('carol'));
    const tabs = [s.socket(carol), s.socket(carol), s.socket(carol)];
    await Promise.all(tabs.map((tab) => connected(tab)));
    const send = (tab: ClientSocket, text: string) => tab.timeout(3000).emitWithAck('message', { room: 'lobby', text }) as Promise<{ ok: boolean; message?: string }>;
    const answers: { ok: boolean; message?: string }[] = [];
    // 4 + 4 + 2: no socket reaches its 5.
    for (const [tab, count] of [[0, 4], [1, 4], [2, 2]] as const) for (let i = 0; i < count; i++) answers.push(await send(tabs[tab]!, `tab ${tab} #${i}`));
    assert.deepEqual(answers.map((a) => a.ok), Array(10).fill(true));
    const eleventh = await send(tabs[2]!, 'one too many');
    assert.equal(eleventh.ok, false);
    assert.match(eleventh.message!, /^You are sending messages too fast\. Wait \d+ s\.$/);
  });
});

describe('chat example: per-address limits, at their defaults', () => {
  const s = suiteServer();

  it('sign-ins per address: the 11th in a minute is answered 429 with a clear message and Retry-After, whatever the account', async () => {
    // Ten accounts, one guess each: the per-account failure limit never applies.
    for (let i = 0; i < 10; i++) assert.equal((await s.post('/auth/login', { body: { username: `visitor-${i}`, password: 'x' } })).status, 401, `sign-in ${i + 1}`);
    const eleventh = await s.post('/auth/login', { body: { username: BOB.username, password: BOB.demoPassword } });
    assert.equal(eleventh.status, 429);
    assert.match(((await eleventh.json()) as { error: string }).error, /^Too many sign-in attempts from your network\. Try again in \d+ s\.$/);
    assert.ok(Number(eleventh.headers.get('retry-after')) > 0);
  });

  it('refreshes per address: made-up cookies count too; past the limit (60 a minute for 60 s tokens) 429 with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await s.post('/auth/refresh', { cookie: `chat_refresh=made-up-${i}` })).status);
    assert.deepEqual(statuses.slice(0, 60), Array(60).fill(401), 'unknown cookies: 401');
    assert.equal(statuses[60], 429);
    const over = await s.post('/auth/refresh', { cookie: 'chat_refresh=made-up' });
    assert.equal(over.status, 429);
    assert.match(((await over.json()) as { error: string }).error, /^Too many refreshes from your network\. Try again in \d+ s\.$/);
    assert.ok(Number(over.headers.get('retry-after')) > 0);
  });
});

describe('chat example: a copied refresh token, replayed (no reuse grace, so the replay need not wait 10 s)', () => {
  const s = suiteServer({ refreshReuseGraceMs: 0 });

  it('a reused refresh token ends its family: the sockets it fed are dropped, every access token it issued refused', async () => {
    const { grant, cookie: first } = await s.login(BOB);
    const second = cookieOf(await s.post('/auth/refresh', { cookie: first }))!;
    const refreshed = await s.post('/auth/refresh', { cookie: second });
    const latest = ((await refreshed.json()) as TokenResponse).token;
    const live = s.socket(latest);
    await connected(live);
    const dropped = next<[{ data: { reason: string } }]>(live, 'unauthorized');
    assert.equal((await s.post('/auth/refresh', { cookie: first })).status, 401, 'the stolen first cookie, replayed');
    assert.equal((await dropped)[0].data.reason, 'revoked');
    for (const token of [grant.token, latest]) {
      const [refused] = await next<[Error & { data: { reason: string } }]>(s.socket(token), 'connect_error');
      assert.equal(refused.data.reason, 'revoked');
    }
    assert.ok(s.log.some((line) => /ended: a refresh token was reused \(3 access token\(s\) revoked\)/.test(line)), s.log.join('\n'));
  });
});

describe('chat example: sessions end together with what they issued', () => {
  const s = suiteServer({ limits: { loginsPerAddress: { points: 1000, durationSeconds: 60 } } });

  it('/auth/logout drops the live sockets of that session and refuses its access tokens; other sessions stay', async () => {
    const laptop = await s.login(BOB);
    const phone = await s.login(BOB);
    const onLaptop = s.socket(laptop.grant.token);
    const onPhone = s.socket(phone.grant.token);
    await Promise.all([connected(onLaptop), connected(onPhone)]);
    const dropped = next<[{ data: { reason: string } }]>(onLaptop, 'unauthorized');
    assert.equal((await s.post('/auth/logout', { cookie: laptop.cookie })).status, 204);
    assert.equal((await dropped)[0].data.reason, 'revoked');
    const [late] = await next<[Error & { data: { reason: string } }]>(s.socket(laptop.grant.token), 'connect_error');
    assert.equal(late.data.reason, 'revoked', 'the access token no longer opens a socket');
    assert.equal(await onPhone.timeout(3000).emitWithAck('join', 'lobby').then((a: { ok: boolean }) => a.ok), true, 'the other device is untouched');
  });

  it('two tabs refreshing with the same cookie at once get the same new cookie: no second chain', async () => {
    const { cookie } = await s.login(BOB);
    const [a, b] = await Promise.all([s.post('/auth/refresh', { cookie }), s.post('/auth/refresh', { cookie })]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal(cookieOf(a), cookieOf(b));
  });

  it('one user\'s sockets are capped (8); a burst of them makes a few presence broadcasts, not one per socket', async () => {
    const watcher = s.socket(s.mint(ALICE));
    await connected(watcher);
    await next(watcher, 'presence');
    const lists: PublicUser[][] = [];
    watcher.on('presence', (list: PublicUser[]) => lists.push(list));
    const token = s.mint(user('carol'));
    await Promise.all(Array.from({ length: 8 }, () => connected(s.socket(token))));
    for (let i = 0; i < 4; i++) {
      const [error] = await next<[Error & { data?: { code?: string } }]>(s.socket(token), 'connect_error');
      assert.equal(error.data?.code, 'too_many_sockets');
      assert.match(error.message, /already has 8 connections open here/);
    }
    // A sentinel user comes online last: the list that shows them is sent after (or with) every
    // broadcast still due for Carol's sockets, since there is one presence timer.
    const sentinel = { ...BOB, id: 'u-sentinel', name: 'Sentinel' };
    const seen = new Promise<void>((resolve) => {
      const check = () => lists.some((list) => list.some((u) => u.id === sentinel.id)) && resolve();
      watcher.on('presence', check);
    });
    await connected(s.socket(s.mint(sentinel)));
    await seen;
    assert.ok(lists.some((list) => list.some((u) => u.id === user('carol').id)), 'Carol was shown online');
    assert.ok(lists.length >= 1 && lists.length <= 4, `${lists.length} presence broadcasts for 8 sockets and the sentinel's`);
  });

  it('a username with a newline and escape codes is quoted in the log, never a line of its own', async () => {
    await s.post('/auth/login', { body: { username: 'bob\n12:00 alice logged in\u001b[2K', password: 'x' } });
    const line = s.log.find((entry) => entry.startsWith('login refused for'))!;
    assert.equal(line, 'login refused for "bob\\u000a12:00 alice logged in\\u001b[2k": wrong username or password');
  });
});

describe('chat example: the socket cap when handshakes pass its check together', () => {
  const s = suiteServer();

  it('10 handshakes held past the check, then released: 8 stay, the other 2 are told too_many_sockets before they are dropped', async () => {
    // After the cap's own middleware: holds each handshake until all 10 have passed the check.
    const held: (() => void)[] = [];
    let allHeld: () => void = () => {};
    const ready = new Promise<void>((resolve) => (allHeld = resolve));
    s.state.server.io.use((_socket, next) => {
      held.push(() => next());
      if (held.length === 10) allHeld();
    });
    const token = s.mint({ ...BOB, id: 'u-burst', name: 'Burst' });
    const outcomes = Array.from({ length: 10 }, () => {
      const socket = s.socket(token);
      return new Promise<string>((resolve) => {
        let told = 'no reason';
        socket.on('connect_error', (error: Error & { data?: { code?: string } }) => resolve(`refused: ${error.data?.code}`));
        socket.on('unauthorized', (wire: { data?: { code?: string; message?: string } }) => (told = `${wire.data?.code}: ${wire.data?.message}`));
        socket.on('disconnect', () => resolve(`dropped, ${told}`));
        // A drop happens in the connection handler, before any event is answered: an answer means it stays.
        socket.on('connect', () => void socket.timeout(3000).emitWithAck('join', 'lobby').then(() => resolve('kept'), () => undefined));
      });
    });
    await ready;
    for (const release of held) release();
    const results = await Promise.all(outcomes);
    assert.equal(results.filter((outcome) => outcome === 'kept').length, 8, results.join('\n'));
    assert.deepEqual(
      results.filter((outcome) => outcome !== 'kept'),
      Array(2).fill('dropped, too_many_sockets: This account already has 8 connections open here. Close a tab and try again.'),
    );
  });
});

describe('chat example: ACCESS_TOKEN_TTL=3, as the README suggests trying it', () => {
  const s = suiteServer({ accessTokenTtlSeconds: 3 });
  let socket: AuthenticatedSocket | undefined;
  after(() => socket?.disconnect());

  it('refreshes in place past sockjwt\'s default of 10 a minute: same socket id, no reconnection, no refusal', async () => {
    const { grant, cookie: loginCookie } = await s.login(ALICE);
    let cookie = loginCookie;
    let first = true;
    const firstToken = grant.token;
    socket = connectHelper(s.state.server.url, {
      transports: ['websocket'],
      forceNew: true,
      getToken: async () => {
        if (first) {
          first = false;
          return firstToken;
        }
        const response = await s.post('/auth/refresh', { cookie });
        if (response.status !== 200) throw new Error(`refresh: ${response.status}`);
        cookie = cookieOf(response)!;
        return ((await response.json()) as TokenResponse).token;
      },
    });
    const refusals: string[] = [];
    let connects = 0;
    socket.on('connect', () => connects++);
    socket.session.on('unauthorized', (error) => refusals.push(error.reason));
    await next(socket.session, 'authenticated');
    const id = socket.id;
    await new Promise<void>((resolve, reject) => {
      let refreshes = 0;
      socket!.session.on('authenticated', ({ refreshed }) => {
        if (refreshed && ++refreshes === 12) resolve();
      });
      socket!.session.on('stopped', reject);
    });
    assert.deepEqual(refusals, []);
    assert.equal(connects, 1);
    assert.equal(socket.id, id);
  });
});

describe('chat example: ACCESS_TOKEN_TTL=5 with as many tabs as the socket cap allows (8), default limits', () => {
  const s = suiteServer({ accessTokenTtlSeconds: 5 });
  const sockets: AuthenticatedSocket[] = [];
  after(() => sockets.forEach((socket) => socket.disconnect()));

  it('8 tabs of one user sharing one cookie jar refresh in place 13 times each (past 4 tabs\' worth of the per-user budget): no 429, same socket ids, no reconnection', async () => {
    const { cookie: loginCookie } = await s.login(ALICE);
    let cookie = loginCookie; // the browser's cookie jar, shared by every tab
    // The first refusal, failed refresh or stop ends the test at once (not after the helpers' back-offs).
    let failed: (error: Error) => void = () => {};
    const failure = new Promise<never>((_, reject) => (failed = reject));
    const refreshStatuses: number[] = [];
    // What the page's getToken does: POST /auth/refresh (on load too), keep the rotated cookie.
    const getToken = async () => {
      const response = await s.post('/auth/refresh', { cookie });
      refreshStatuses.push(response.status);
      if (response.status !== 200) {
        const error = new Error(`refresh ${refreshStatuses.length}: ${response.status} ${await response.text()}`);
        failed(error);
        throw error;
      }
      cookie = cookieOf(response) ?? cookie;
      return ((await response.json()) as TokenResponse).token;
    };
    const connects: number[] = [];
    const ids: (string | undefined)[] = [];
    const doneRefreshing: Promise<void>[] = [];
    for (let tab = 0; tab < 8; tab++) {
      const socket = connectHelper(s.state.server.url, { transports: ['websocket'], forceNew: true, getToken });
      sockets.push(socket);
      connects.push(0);
      socket.on('connect', () => {
        connects[tab]!++;
        ids[tab] ??= socket.id;
      });
      socket.session.on('unauthorized', (error) => failed(new Error(`tab ${tab} refused: ${error.reason}`)));
      doneRefreshing.push(
        new Promise<void>((resolve) => {
          let refreshes = 0;
          socket.session.on('authenticated', ({ refreshed }) => {
            if (refreshed && ++refreshes === 13) resolve();
          });
          socket.session.on('stopped', (error) => failed(new Error(`tab ${tab} stopped: ${error.reason} ${error.message}`)));
        }),
      );
    }
    await Promise.race([Promise.all(doneRefreshing), failure]);
    assert.deepEqual(refreshStatuses.filter((status) => status !== 200), [], 'every /auth/refresh answered 200');
    assert.ok(refreshStatuses.length >= 8 * 14, `${refreshStatuses.length} refreshes`);
    assert.deepEqual(connects, Array(8).fill(1), 'one connection per tab');
    sockets.forEach((socket, tab) => assert.equal(socket.id, ids[tab], `tab ${tab} kept its socket id`));
  });
});
