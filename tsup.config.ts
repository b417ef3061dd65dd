import { defineConfig } from 'tsup';
import type { Plugin } from 'esbuild';

/**
 * sockjwt/nest is written against the public API (`../index.js`); built, it imports the package's
 * own main entry, so an app and its Nest module share one sockjwt instead of a second bundled copy.
 */
const nestUsesMainEntry: Plugin = {
  name: 'nest-uses-main-entry',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) => (/[\\/]src[\\/]nest[\\/]/.test(args.importer) ? { path: 'sockjwt', external: true } : undefined));
  },
};

export default defineConfig([
  {
    // The package's entry points; the client never imports server code.
    entry: { index: 'src/index.ts', client: 'src/client/index.ts', redis: 'src/redis/index.ts', postgres: 'src/postgres/index.ts', metrics: 'src/metrics/index.ts', nest: 'src/nest/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    esbuildPlugins: [nestUsesMainEntry],
  },
  {
    // `sockjwt/client/browser`: one ESM file with socket.io-client inside, for a <script type="module">.
    entry: { 'client.browser': 'src/client/index.ts' },
    format: ['esm'],
    platform: 'browser',
    target: 'es2020',
    noExternal: [/.*/],
    minify: true,
    sourcemap: true,
    dts: false,
    clean: false,
  },
]);
