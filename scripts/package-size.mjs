// The packed package stays within its budget (decisions §13): what `npm install sockjwt` downloads,
// and the browser bundle a page loads. Run after `npm run build`, by `npm run lint`.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

const BUDGET = {
  /**
   * 359 kB when the budget was set (2026-12-01, source maps are two thirds of it); then issue 17
   * (OpenID discovery, several issuers) +32 kB and issue 16 (Redis Cluster, Sentinel, ioredis) +27 kB
   * landed the same day: 422 kB, reviewed (no dependency bundled by accident). ~10 % headroom again.
   * Issue 25 (sockjwt/nest, importing the main entry rather than bundling it) 447.4 → 461.8 kB.
   */
  packedBytes: 500_000,
  /** dist/client.browser.js, socket.io-client included: measured 52 KB. */
  browserBundleBytes: 60_000,
};

const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
const browser = statSync(new URL('../dist/client.browser.js', import.meta.url)).size;
const rows = [
  ['packed tarball', pack.size, BUDGET.packedBytes],
  ['browser bundle', browser, BUDGET.browserBundleBytes],
];
let over = false;
for (const [what, bytes, budget] of rows) {
  const ok = bytes <= budget;
  over ||= !ok;
  console.log(`${ok ? 'ok  ' : 'OVER'} ${what}: ${(bytes / 1000).toFixed(1)} kB of ${(budget / 1000).toFixed(0)} kB budget`);
}
if (over) process.exit(1);
