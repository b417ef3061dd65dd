import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a snippet in a fresh Node resolving `sockjwt` through package.json "exports" (self-reference). */
function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

const PROBE = `typeof authorize + ' ' + typeof UnauthorizedError + ' ' + new UnauthorizedError('invalid_token', 'expired', 'x').data.reason`;

describe('the built package (npm run build)', () => {
  it('has ESM, CJS and type declarations for "."', () => {
    for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']) {
      assert.ok(existsSync(new URL(`../${file}`, import.meta.url)), `${file} is missing: run npm run build`);
    }
  });

  it('imports as ESM', () => {
    assert.equal(run(['--input-type=module', '-e', `import { authorize, UnauthorizedError } from 'sockjwt'; console.log(${PROBE})`]), 'function function expired');
  });

  it('requires as CommonJS', () => {
    assert.equal(run(['-e', `const { authorize, UnauthorizedError } = require('sockjwt'); console.log(${PROBE})`]), 'function function expired');
  });

  it('sockjwt/client imports as ESM and CJS, without server code', () => {
    const probe = `typeof connect + ' ' + new UnauthorizedError('invalid_token', 'revoked', 'x').reason`;
    assert.equal(run(['--input-type=module', '-e', `import { connect, UnauthorizedError } from 'sockjwt/client'; console.log(${probe})`]), 'function revoked');
    assert.equal(run(['-e', `const { connect, UnauthorizedError } = require('sockjwt/client'); console.log(${probe})`]), 'function revoked');
    for (const file of ['dist/client.js', 'dist/client.cjs']) {
      const code = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
      assert.doesNotMatch(code, /fast-jwt|from ['"]socket\.io['"]|require\(['"]socket\.io['"]\)|['"]node:/, `${file} pulls in server code`);
    }
  });

  it('sockjwt/redis imports as ESM and CJS; the core never loads Redis', () => {
    const probe = `typeof RedisCluster + ' ' + typeof RedisRevocationStore`;
    assert.equal(run(['--input-type=module', '-e', `import { RedisCluster, RedisRevocationStore } from 'sockjwt/redis'; console.log(${probe})`]), 'function function');
    assert.equal(run(['-e', `const { RedisCluster, RedisRevocationStore } = require('sockjwt/redis'); console.log(${probe})`]), 'function function');
    for (const file of ['dist/index.js', 'dist/index.cjs']) {
      const code = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
      assert.doesNotMatch(code, /['"]redis['"]|@socket\.io\/redis-adapter/, `${file} loads Redis code`);
    }
  });

  it('sockjwt/postgres imports as ESM and CJS; the core and sockjwt/redis never load PostgreSQL', () => {
    const probe = `typeof PostgresCluster + ' ' + typeof PostgresRevocationStore`;
    assert.equal(run(['--input-type=module', '-e', `import { PostgresCluster, PostgresRevocationStore } from 'sockjwt/postgres'; console.log(${probe})`]), 'function function');
    assert.equal(run(['-e', `const { PostgresCluster, PostgresRevocationStore } = require('sockjwt/postgres'); console.log(${probe})`]), 'function function');
    for (const file of ['dist/index.js', 'dist/index.cjs', 'dist/redis.js', 'dist/redis.cjs']) {
      const code = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
      assert.doesNotMatch(code, /['"]pg['"]|@socket\.io\/postgres-adapter/, `${file} loads PostgreSQL code`);
    }
  });

  it('sockjwt/nest imports as ESM and CJS; the core never loads Nest', () => {
    const probe = `typeof SockjwtModule + ' ' + typeof SockjwtIoAdapter + ' ' + typeof Claims`;
    assert.equal(run(['--input-type=module', '-e', `import { SockjwtModule, SockjwtIoAdapter, Claims } from 'sockjwt/nest'; console.log(${probe})`]), 'function function function');
    assert.equal(run(['-e', `const { SockjwtModule, SockjwtIoAdapter, Claims } = require('sockjwt/nest'); console.log(${probe})`]), 'function function function');
    for (const file of ['dist/index.js', 'dist/index.cjs']) {
      const code = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
      assert.doesNotMatch(code, /@nestjs\//, `${file} loads Nest code`);
    }
  });

  it('sockjwt/client/browser is one self-contained ESM file for browsers', () => {
    const code = readFileSync(new URL('../dist/client.browser.js', import.meta.url), 'utf8');
    assert.doesNotMatch(code, /\bimport\s*[^(]*from\s*['"]|require\(|node:/);
    assert.match(code, /export\s*\{/);
  });
});
