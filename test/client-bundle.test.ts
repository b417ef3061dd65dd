// An app bundled for the browser that imports socket.io-client and sockjwt/client (npm run build first):
// one copy of socket.io-client in the bundle, and one connection shared by both on the same server.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { authorize } from '../src/index.js';
import { SECRET, sign, startServer } from './support.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

/** The page of an app that has its own socket on `/news` and sockjwt's on `/`. */
const APP = `
import { io } from 'socket.io-client';
import { connect } from 'sockjwt/client';
window.start = (token) => new Promise((resolve, reject) => {
  const news = io(location.origin + '/news', { transports: ['websocket'] });
  const chat = connect(location.origin, { getToken: () => token, transports: ['websocket'] });
  chat.session.on('stopped', reject);
  let pending = 2;
  const done = () => { if (--pending === 0) resolve(news.io === chat.io); };
  news.once('connect', done);
  chat.once('connect', done);
});
`;

/** How often a name from socket.io-client's Manager options appears: a fixed number per copy. */
const count = (code: string) => code.match(/reconnectionDelayMax/g)?.length ?? 0;

/** Bundles a module (its source, or a file under the root) as esbuild does for a browser app. */
async function bundle(module: { contents: string } | { file: string }): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    ...('file' in module ? { entryPoints: [module.file], absWorkingDir: ROOT } : { stdin: { contents: module.contents, resolveDir: ROOT, loader: 'js' as const } }),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
}

describe('sockjwt/client in a browser app bundle', () => {
  let app: { code: string; inputs: string[] };
  let socketIoClientAlone: { code: string; inputs: string[] };
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(new URL('../dist/client.js', import.meta.url)), 'dist/client.js is missing: run npm run build');
    app = await bundle({ contents: APP });
    socketIoClientAlone = await bundle({ contents: `export { io } from 'socket.io-client';` });
  });

  after(() => browser?.close());

  it('resolves sockjwt/client to the module that imports the peer socket.io-client', () => {
    const ours = app.inputs.filter((file) => file.startsWith('dist/'));
    assert.ok(ours.includes('dist/client.js'), `sockjwt/client resolved to ${ours.join(', ')}`);
    assert.ok(!ours.includes('dist/client.browser.js'), 'the self-contained browser build (socket.io-client inside) was bundled');
  });

  it('holds one copy of socket.io-client', () => {
    assert.ok(count(socketIoClientAlone.code) > 0);
    assert.equal(count(app.code), count(socketIoClientAlone.code), 'socket.io-client is in the bundle more than once');
  });

  it('bundles the example chat with one copy of socket.io-client, from node_modules', async () => {
    const chat = await bundle({ file: 'examples/chat/client/main.ts' });
    assert.ok(chat.inputs.includes('dist/client.js') && !chat.inputs.includes('dist/client.browser.js'));
    assert.equal(count(chat.code), count(socketIoClientAlone.code), 'socket.io-client is in the page more than once');
  });

  it("shares one connection with the app's own io(url) on another namespace", async (t) => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (npm test's pretest does)`);
    const h = await startServer(t, (io) => {
      io.use(authorize({ secret: SECRET, handshake: true }) as never);
      io.of('/news');
      io.httpServer.on('request', (req, res) => {
        if (req.url?.startsWith('/socket.io/')) return;
        if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(app.code);
        else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/app.js"></script>');
      });
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(h.url);
    await page.waitForFunction(() => 'start' in globalThis);
    const sameManager = await page.evaluate((token) => (globalThis as unknown as { start(token: string): Promise<boolean> }).start(token), sign({ sub: 'ann' }));
    assert.deepEqual(errors, []);
    assert.equal(sameManager, true, "sockjwt's socket has a Manager of its own");
    const [news] = h.io.of('/news').sockets.values();
    const [chat] = h.io.of('/').sockets.values();
    assert.ok(news!.conn === chat!.conn, 'two engine.io connections to one server');
    assert.equal(h.io.engine.clientsCount, 1);
  });
});
