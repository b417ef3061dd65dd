// The chat example (examples/chat) in a real browser: Debian's Chromium driven by playwright-core.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it, type TestContext } from 'node:test';
import jwt from 'jsonwebtoken';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildClient } from '../examples/chat/build.js';
import { AUDIENCE, ISSUER } from '../examples/chat/server/access-tokens.js';
import { createChatServer, type ChatServer } from '../examples/chat/server/app.js';
import { hashPassword, loadUsers } from '../examples/chat/server/users.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Short, so a token expires (and is refreshed) during the test. */
const ACCESS_TOKEN_TTL_SECONDS = 4;
const RESULTS = new URL('../test-results/', import.meta.url);
const seedUsers = loadUsers(new URL('../examples/chat/users.json', import.meta.url));
const password = (username: string) => seedUsers.find((u) => u.username === username)!.demoPassword!;

// The functions given to page.waitForFunction() run in the page; this file is compiled without the DOM lib.
declare const document: { querySelector(selector: string): { textContent: string | null; value?: string; form?: { requestSubmit(): void } } | null };

/** Processes under this one whose command line is Debian's chromium. */
function chromiumProcesses(): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...parentOf.keys()].filter((pid) => descends(pid) && isChromium(pid));
}

function isChromium(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.includes('chromium');
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('examples/chat in Chromium', () => {
  let server: ChatServer;
  let browser: Browser;
  const serverLog: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (npm test's pretest does)`);
    await buildClient();
    // A fourth user, only for the test that signs out everywhere: revoking a subject also
    // refuses the tokens issued in the same second, which must not touch the other tests.
    const erin = { id: 'uErin001', username: 'erin', name: 'Erin', role: 'member' as const, password: await hashPassword('erin-password') };
    // And one whose sign-ins the rate-limit test spends.
    const frank = { id: 'uFrank01', username: 'frank', name: 'Frank', role: 'member' as const, password: await hashPassword('frank-password') };
    server = await createChatServer({
      jwtSecret: randomBytes(32).toString('base64url'),
      accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS,
      users: [...seedUsers, erin, frank],
      // Every page signs in from 127.0.0.1: more than the default 10 a minute in this suite.
      limits: {
        loginsPerAddress: { points: 200, durationSeconds: 60 },
        // The sixth message on a socket is refused however slowly this machine types the first five.
        messagesPerSocket: { points: 5, durationSeconds: 600 },
      },
      log: (line) => serverLog.push(line),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A new browser context (its own cookies: another person) on the page, closed after the test. */
  async function openPage(t: TestContext): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 720 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
    });
    t.after(() => assert.deepEqual(problems, [], 'the page ran without errors'));
    await page.goto(server.url);
    return page;
  }

  async function fillLogin(page: Page, username: string, secret: string): Promise<void> {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function signIn(t: TestContext, username: string, secret = password(username)): Promise<Page> {
    const page = await openPage(t);
    await fillLogin(page, username, secret);
    await connected(page);
    return page;
  }

  const connected = (page: Page) => page.locator('#connection-state[data-state="connected"]').waitFor();
  const messageBox = (page: Page) => page.getByLabel('Message', { exact: true });

  async function say(page: Page, text: string): Promise<void> {
    await messageBox(page).fill(text);
    await messageBox(page).press('Enter');
  }

  it('two users log in and exchange messages, and see each other online', async (t) => {
    const alice = await signIn(t, 'alice');
    const bob = await signIn(t, 'bob');
    await alice.locator('#online li', { hasText: 'Bob' }).waitFor();
    await bob.locator('#online li', { hasText: 'Alice' }).waitFor();

    await say(alice, `Hi Bob! My token lives ${ACCESS_TOKEN_TTL_SECONDS} seconds and is refreshed in place.`);
    await bob.locator('#messages li', { hasText: 'Hi Bob!' }).waitFor();
    await say(bob, 'Hello Alice, same socket here the whole time.');
    await alice.locator('#messages li', { hasText: 'Hello Alice' }).waitFor();

    assert.equal(await bob.locator('#messages li', { hasText: 'Hi Bob!' }).locator('.from').textContent(), 'Alice', 'the sender name comes from the claims');
    assert.equal(await alice.locator('#whoami').textContent(), 'Signed in as Aliceadmin', 'name and role badge from the token');
    // For the screenshot: at least one in-place refresh in the session panel.
    await alice.waitForFunction(() => Number(document.querySelector('#refresh-count')!.textContent) >= 1, undefined, { timeout: 5000 });
    mkdirSync(RESULTS, { recursive: true });
    await alice.screenshot({ path: new URL('chat.png', RESULTS).pathname });
  });

  it('a wrong password shows the error and stays on the sign-in form', async (t) => {
    const page = await openPage(t);
    await fillLogin(page, 'carol', 'not-her-password');
    await page.locator('#login-error', { hasText: 'Wrong username or password.' }).waitFor();
    assert.equal(await page.locator('#login-view').isVisible(), true);
    assert.equal(await page.locator('#chat-view').isVisible(), false);
  });

  it('a token that expires is refreshed in place: same socket, no disconnect', async (t) => {
    const page = await signIn(t, 'alice');
    const socketId = await page.locator('#socket-id').textContent();
    await page.locator('#token-remaining[data-expires-at]').waitFor();
    const firstExpiry = Number(await page.locator('#token-remaining').getAttribute('data-expires-at'));
    const firstJti = await page.locator('#token-jti').textContent();

    // Past the first token's expiry, with at least two in-place refreshes behind us.
    await page.waitForFunction(
      (deadline) => Date.now() > deadline && Number(document.querySelector('#refresh-count')!.textContent) >= 2,
      firstExpiry + 500,
      { timeout: 10_000, polling: 100 },
    );
    assert.equal(await page.locator('#socket-id').textContent(), socketId, 'the socket was never replaced');
    assert.equal(await page.locator('#reconnects').textContent(), '0');
    assert.equal(await page.locator('#connection-state').getAttribute('data-state'), 'connected');
    assert.notEqual(await page.locator('#token-jti').textContent(), firstJti, 'a new token is in use');
    assert.ok(Number(await page.locator('#token-remaining').getAttribute('data-expires-at')) > firstExpiry);
    assert.equal(await page.locator('#session-log li', { hasText: 'Disconnected' }).count(), 0);
    assert.match((await page.locator('#token-remaining').textContent())!, new RegExp(`^expires in [0-${ACCESS_TOKEN_TTL_SECONDS}] s$`));

    // And the refreshed socket still talks.
    await say(page, 'still here after my first token expired');
    await page.locator('#messages li', { hasText: 'still here after my first token expired' }).waitFor();
  });

  it('a session that cannot be refreshed ends with a clear message: expired, or refused', async (t) => {
    // Two tabs of bob's whose /refresh is replaced: one gets 401s, the other a forged token.
    const expiring = await signIn(t, 'bob');
    const forged = await signIn(t, 'bob');
    await expiring.route('**/refresh', (route) => route.fulfill({ status: 401, json: { error: 'Your session has ended. Please sign in again.' } }));
    const forgery = jwt.sign({ name: 'Bob', role: 'member' }, 'not-the-server-secret', {
      subject: 'uR4tY8nB',
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: ACCESS_TOKEN_TTL_SECONDS,
      jwtid: 'forged',
    });
    await forged.route('**/refresh', (route) =>
      route.fulfill({ json: { token: forgery, expiresAt: Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000, user: { id: 'uR4tY8nB', name: 'Bob', role: 'member' } } }),
    );

    await expiring.locator('#session-banner[data-state="expired"]', { hasText: 'Your session has ended. Please sign in again.' }).waitFor({ timeout: 10_000 });
    await forged.locator('#session-banner[data-state="refused"]', { hasText: 'The server refused this session: invalid signature (invalid_token, bad_signature).' }).waitFor({ timeout: 10_000 });
    await forged.locator('#session-log li', { hasText: 'Refused: invalid signature (bad_signature)' }).first().waitFor();
    for (const page of [expiring, forged]) assert.equal(await page.locator('#connection-state').getAttribute('data-state'), 'ended');
  });

  it('a member cannot join the admin room; an admin is in it', async (t) => {
    const bob = await signIn(t, 'bob');
    await bob.getByRole('button', { name: '# admin' }).click();
    const notice = bob.locator('#room-notice[data-tone="refused"]');
    await notice.waitFor();
    assert.match((await notice.textContent())!, /room "admin" requires claims this token does not have \(forbidden, claim_required\)/);
    assert.equal(await messageBox(bob).isDisabled(), true, 'no composer for a room bob is not in');

    const alice = await signIn(t, 'alice');
    await alice.getByRole('button', { name: '# admin' }).click();
    await say(alice, 'admins only');
    await alice.locator('#messages li', { hasText: 'admins only' }).waitFor();
  });

  it('an admin bans a user: the banned page shows the revocation, and login is refused while banned', async (t) => {
    const carol = await signIn(t, 'carol');
    const alice = await signIn(t, 'alice');
    await alice.getByRole('button', { name: 'Ban Carol', exact: true }).click();

    const banner = carol.locator('#session-banner[data-state="revoked"]');
    await banner.waitFor();
    assert.equal(await banner.locator('#session-banner-text').textContent(), 'Alice banned your account: this session was revoked.');
    assert.equal(await carol.locator('#connection-state').getAttribute('data-state'), 'ended');
    assert.equal(await messageBox(carol).isDisabled(), true);
    await alice.locator('#banned li', { hasText: 'Carol' }).waitFor();
    await alice.locator('#online li', { hasText: 'Carol' }).waitFor({ state: 'detached' });

    await carol.getByRole('button', { name: 'Sign in again' }).click();
    await fillLogin(carol, 'carol', password('carol'));
    await carol.locator('#login-error', { hasText: 'This account has been banned by an admin.' }).waitFor();

    await alice.getByRole('button', { name: 'Unban Carol', exact: true }).click();
    await alice.locator('#banned li', { hasText: 'Nobody is banned.' }).waitFor();
    assert.ok(serverLog.includes('u7Qm2xK9 banned uH3pL6wZ (1 socket(s) dropped)'), serverLog.join('\n'));
  });

  it('"Sign out everywhere" revokes every session of the user', async (t) => {
    const laptop = await signIn(t, 'erin', 'erin-password');
    const phone = await signIn(t, 'erin', 'erin-password');
    await laptop.getByRole('button', { name: 'Sign out everywhere' }).click();

    await laptop.locator('#session-banner[data-state="revoked"]', { hasText: 'You signed out everywhere: every session of yours was revoked' }).waitFor();
    await phone.locator('#session-banner[data-state="revoked"]', { hasText: 'You signed out everywhere from another window' }).waitFor();
    // The phone's refresh cookie is dead too: a reload lands on the sign-in form.
    await phone.reload();
    await phone.locator('#login-view').waitFor();
  });

  it('a page on another local origin cannot sign the user out: its form posts to the cookie endpoints change nothing', async (t) => {
    const bob = await signIn(t, 'bob');
    const context = bob.context();
    const cookieBefore = (await context.cookies()).find((c) => c.name === 'chat_refresh');
    assert.ok(cookieBefore, 'signed in with a refresh cookie');
    // The attacker's pages: one auto-submitting form per endpoint (old and current paths).
    const targets = ['/auth/logout', '/auth/refresh', '/logout', '/refresh'];
    const attacker = createServer((req, res) => {
      const target = targets[Number(new URL(req.url ?? '/', 'http://x').searchParams.get('t'))] ?? '/';
      res.setHeader('content-type', 'text/html');
      res.end(`<form id="f" method="post" action="${server.url}${target}"><input name="x" value="1"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      attacker.closeAllConnections(); // Chromium keeps its connections alive
      return new Promise<void>((resolve) => attacker.close(() => resolve()));
    });
    const port = (attacker.address() as AddressInfo).port;
    // Same site, another origin (a sibling, as far as cookies go), and another site.
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      for (let i = 0; i < targets.length; i++) {
        const tab = await context.newPage();
        await tab.goto(`${origin}/?t=${i}`);
        await tab.waitForURL(`${server.url}${targets[i]}`);
        await tab.close();
      }
    }
    const cookieAfter = (await context.cookies()).find((c) => c.name === 'chat_refresh');
    assert.ok(cookieAfter, 'the refresh cookie is still there');
    // And the session behind it is alive: the page still refreshes in place and talks.
    const refreshes = Number(await bob.locator('#refresh-count').textContent());
    await bob.waitForFunction((n) => Number(document.querySelector('#refresh-count')!.textContent) > n, refreshes, { timeout: 8000 });
    await say(bob, 'still signed in after the attack');
    await bob.locator('#messages li', { hasText: 'still signed in after the attack' }).waitFor();
    assert.equal(await bob.locator('#connection-state').getAttribute('data-state'), 'connected');
  });

  it('rate limits answer in the page with a clear message: failed sign-ins, and messages sent too fast', async (t) => {
    const page = await openPage(t);
    for (let i = 0; i < 5; i++) {
      await fillLogin(page, 'frank', `wrong-${i}`);
      await page.locator('#login-error', { hasText: 'Wrong username or password.' }).waitFor();
      await page.evaluate(() => (document.querySelector('#login-error')!.textContent = ''));
    }
    await fillLogin(page, 'frank', 'frank-password');
    await page.locator('#login-error', { hasText: /^Too many failed sign-ins for this account\. Try again in \d+ s\.$/ }).waitFor();

    const carol = await signIn(t, 'carol');
    for (let i = 0; i < 4; i++) await say(carol, `quick ${i}`);
    // A fast typist: 'quick 4' is sent and 'quick 5' typed in one go, before the answer to 'quick 4'
    // (which follows its broadcast) arrives. The answer must not empty the box holding 'quick 5'.
    await carol.evaluate(() => {
      const box = document.querySelector('#message-input')!;
      box.value = 'quick 4';
      box.form!.requestSubmit();
      box.value = 'quick 5';
    });
    await carol.locator('#messages li', { hasText: 'quick 4' }).waitFor();
    assert.equal(await messageBox(carol).inputValue(), 'quick 5');
    await messageBox(carol).press('Enter');
    await carol.locator('#room-notice[data-tone="refused"]', { hasText: /^Not sent: You are sending messages too fast\. Wait \d+ s\.$/ }).waitFor();
    assert.equal(await carol.locator('#messages li', { hasText: 'quick 5' }).count(), 0);
  });

  it('leaves no Chromium process behind', async () => {
    const pids = chromiumProcesses();
    assert.ok(pids.length > 0, 'found the running browser');
    await browser.close();
    const deadline = Date.now() + 5000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(pids.filter(alive), [], 'chromium processes still running after browser.close()');
  });
});
