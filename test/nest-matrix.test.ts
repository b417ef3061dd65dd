import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cachedInstall } from './cached-install.js';
import { outputOf } from './support.js';

/**
 * The NestJS matrix: sockjwt/nest's end-to-end tests (test/nest.test.ts, test/nest-redis.test.ts,
 * test/nest-redis-cluster.test.ts) run again on NestJS 11. The repository's devDependencies are Nest 12 (the main run); Nest's
 * packages import each other by name, so npm aliases cannot hold a second major beside them.
 * Instead Nest 11 is installed once in node_modules/.cache/sockjwt-nest-11 (from
 * test/nest-matrix/nest-11.package.json), and a child `node --test` resolves every `@nestjs/*`
 * import there (test/nest-matrix/redirect-nest.mjs). `npm run test:matrix` runs it.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const MAJORS = [{ major: 11, manifest: 'test/nest-matrix/nest-11.package.json' }];
const FILES = ['test/nest.test.ts', 'test/nest-redis.test.ts', 'test/nest-redis-cluster.test.ts'];

/** Installs the major's packages unless the cached directory already holds this manifest's install. */
const install = (manifest: string, major: number): string => cachedInstall(manifest, `sockjwt-nest-${major}`, '@nestjs/core');

for (const { major, manifest } of MAJORS) {
  describe(`sockjwt/nest on NestJS ${major}`, () => {
    const dir = join(root, 'node_modules/.cache', `sockjwt-nest-${major}`);
    const env: NodeJS.ProcessEnv = { ...process.env, SOCKJWT_NEST_DIR: dir };
    delete env.NODE_TEST_CONTEXT; // the child is a test runner of its own, not a file of this run
    const hook = ['--import', 'tsx', '--import', './test/nest-matrix/redirect-nest.mjs'];

    it('loads Nest from the installed major', () => {
      install(manifest, major);
      const probe = spawnSync(process.execPath, [...hook, '--input-type=module', '-e', "console.log(import.meta.resolve('@nestjs/core'))"], { cwd: root, env, encoding: 'utf8' });
      assert.equal(probe.status, 0, probe.stderr);
      assert.ok(probe.stdout.trim().startsWith(`file://${dir}/node_modules/@nestjs/core/`), probe.stdout);
      const version = (JSON.parse(readFileSync(join(dir, 'node_modules/@nestjs/core/package.json'), 'utf8')) as { version: string }).version;
      assert.equal(Number(version.split('.')[0]), major);
    });

    it('type-checks examples/nest and the built sockjwt/nest declarations against its types (tsc)', () => {
      install(manifest, major);
      // `paths` sends every @nestjs/* import, in the example and in dist/nest.d.ts, to this major.
      const tsconfig = join(dir, 'tsconfig.example.json');
      writeFileSync(tsconfig, JSON.stringify({
        extends: join(root, 'examples/nest/tsconfig.json'),
        compilerOptions: { noEmit: true, skipLibCheck: false, paths: { '@nestjs/*': [join(dir, 'node_modules/@nestjs/*/index.d.ts')] } },
        include: [join(root, 'examples/nest/src')],
      }));
      const tsc = spawnSync(process.execPath, [fileURLToPath(import.meta.resolve('typescript/bin/tsc')), '-p', tsconfig, '--listFiles'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      const errors = tsc.stdout.split('\n').filter((line) => line.includes('error TS'));
      assert.deepEqual(errors, [], 'tsc failed');
      const files = tsc.stdout.split('\n');
      assert.ok(files.includes(`${dir}/node_modules/@nestjs/platform-socket.io/index.d.ts`), 'tsc did not use this major');
      assert.deepEqual(files.filter((file) => file.startsWith(`${root}node_modules/@nestjs/`)), [], 'tsc read Nest 12 declarations too');
    });

    it(`passes ${FILES.join(' and ')}`, { timeout: 300_000 }, async () => {
      install(manifest, major);
      const child = spawn(process.execPath, [...hook, '--test', '--test-concurrency=1', '--test-timeout=120000', ...FILES], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const { code, stdout, stderr } = await outputOf(child);
      const summary = stdout.split('\n').filter((line) => /^# (tests|pass|fail)/.test(line)).join(', ');
      assert.equal(code, 0, `NestJS ${major}: ${summary}\n${stdout.split('\n').filter((line) => /not ok|error:/.test(line)).slice(0, 30).join('\n')}\n${stderr.slice(-2000)}`);
      assert.match(summary, /# fail 0/);
    });
  });
}
