// The packed package stays within its budget (decisions §13): what `npm install sockjwt` downloads,
// the browser bundle a page loads, and what sockjwt/client adds to an app's own bundle.
// Run after `npm run build`, by `npm run lint`.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const BUDGET = {
  /**
   * 359 kB when the budget was set (2026-12-01, source maps are two thirds of it); then issue 17
   * (OpenID discovery, several issuers) +32 kB and issue 16 (Redis Cluster, Sentinel, ioredis) +27 kB
   * landed the same day: 422 kB, reviewed (no dependency bundled by accident). ~10 % headroom again.
   * Issue 26 (sockjwt/postgres, an entry point the size of sockjwt/redis) added 41 kB, reviewed (pg
   * and the adapter stay external); with issue 27's shorter README, 461.6 kB.
   * Issue 25 (sockjwt/nest, importing the main entry rather than bundling it) added 14.4 kB.
   */
  packedBytes: 500_000,
  /** dist/client.browser.js, socket.io-client included: measured 52 KB. */
  browserBundleBytes: 60_000,
  /**
   * An app bundle (esbuild, browser, minified, gzipped) that imports socket.io-client and sockjwt/client,
   * less the same app without sockjwt/client: measured 3.2 kB (2026-12-07).
   */
  addedToAppGzippedBytes: 4_000,
};

/** Gzipped bytes of `contents` bundled as a browser app, minified. */
async function appBundleBytes(contents) {
  const resolveDir = fileURLToPath(new URL('..', import.meta.url));
  const result = await build({ stdin: { contents, resolveDir, loader: 'js' }, bundle: true, format: 'esm', platform: 'browser', minify: true, write: false, logLevel: 'error' });
  return gzipSync(result.outputFiles[0].contents).length;
}

const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
const browser = statSync(new URL('../dist/client.browser.js', import.meta.url)).size;
const rows = [
  ['packed tarball', pack.size, BUDGET.packedBytes],
  ['browser bundle', browser, BUDGET.browserBundleBytes],
  [
    'sockjwt/client in an app bundle, gzipped',
    (await appBundleBytes(`export { io } from 'socket.io-client'; export { connect } from 'sockjwt/client';`)) -
      (await appBundleBytes(`export { io } from 'socket.io-client';`)),
    BUDGET.addedToAppGzippedBytes,
  ],
];
let over = false;
for (const [what, bytes, budget] of rows) {
  const ok = bytes <= budget;
  over ||= !ok;
  console.log(`${ok ? 'ok  ' : 'OVER'} ${what}: ${(bytes / 1000).toFixed(1)} kB of ${(budget / 1000).toFixed(0)} kB budget`);
}
if (over) process.exit(1);
