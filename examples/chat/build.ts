// Bundles the page's TypeScript (client/main.ts) into dist/app.js with esbuild.
//
// The page imports `sockjwt/client` like any app would. esbuild resolves it through this
// package's own "exports" to dist/client.js, which imports socket.io-client from node_modules:
// one copy of it in the page. So `npm run build` comes first.
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export async function buildClient(): Promise<void> {
  if (!existsSync(here('../../dist/client.js'))) {
    throw new Error('examples/chat: dist/client.js is missing; run `npm run build` first (npm start does)');
  }
  rmSync(here('dist/app.js.map'), { force: true }); // left by an older build
  await build({
    entryPoints: [here('client/main.ts')],
    outfile: here('dist/app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    // No source map: the page is served as it is built, and a map would publish the sources.
    sourcemap: false,
    logLevel: 'warning',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildClient();
  console.log(`examples/chat: bundled ${here('dist/app.js')}`);
}
