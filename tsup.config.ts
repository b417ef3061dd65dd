import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The package's entry points; the client never imports server code.
    entry: { index: 'src/index.ts', client: 'src/client/index.ts', redis: 'src/redis/index.ts', postgres: 'src/postgres/index.ts', metrics: 'src/metrics/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
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
