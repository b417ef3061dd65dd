import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The socket.io version matrix: the core socket tests run again, in a child `node --test`,
 * with the recovery tests where the version has connection state recovery (4.6 on),
 * against the latest patch of every older 4.x minor (npm aliases in devDependencies;
 * `socket.io` itself, 4.8, is the main run). test/support.ts builds its `Server` from the
 * package named by SOCKJWT_TEST_SOCKET_IO; the client is always the devDependency
 * socket.io-client 4.8, which speaks protocol 5 to every 4.x server.
 *
 * `npm run test:matrix` runs only this file. SOCKJWT_MATRIX_CONCURRENCY (default 2) sets
 * how many versions run at a time; SOCKJWT_MATRIX_VERSIONS (comma-separated, e.g.
 * `socket.io-4.0,socket.io-4.5`) narrows the matrix. Each child's full TAP output is kept in
 * SOCKJWT_MATRIX_LOG_DIR (default `<tmpdir>/sockjwt-version-matrix/<package>.tap`).
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const requireFromRoot = createRequire(join(root, 'package.json'));

const ALL_VERSIONS = ['socket.io-4.0', 'socket.io-4.1', 'socket.io-4.2', 'socket.io-4.3', 'socket.io-4.4', 'socket.io-4.5', 'socket.io-4.6', 'socket.io-4.7'];
const VERSIONS = process.env.SOCKJWT_MATRIX_VERSIONS ? process.env.SOCKJWT_MATRIX_VERSIONS.split(',').map((v) => v.trim()).filter(Boolean) : ALL_VERSIONS;
const CONCURRENCY = Math.max(1, Number(process.env.SOCKJWT_MATRIX_CONCURRENCY) || 2);
const CORE_FILES = ['test/handshake.test.ts', 'test/message.test.ts', 'test/live-session.test.ts', 'test/seams.test.ts'];
/** Connection state recovery exists from socket.io 4.6: these run only where it does. */
const RECOVERY_FILES = ['test/recovery.test.ts'];
const CHILD_TIMEOUT_MS = 8 * 60_000;
const TAIL_LINES = 30;
const LOG_DIR = process.env.SOCKJWT_MATRIX_LOG_DIR || join(tmpdir(), 'sockjwt-version-matrix');

/** The `version` in the package.json of an installed package (old socket.io does not export it). */
function installedVersion(name: string): string {
  let dir = dirname(requireFromRoot.resolve(name));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.version && manifest.name && name.startsWith(manifest.name)) return manifest.version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${name} is not installed: run npm install`);
    dir = parent;
  }
}

/** Whether a socket.io version has connection state recovery (4.6 on). */
function recovers(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 4 || (major === 4 && minor >= 6);
}

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
}

function runChild(socketIo: string, files: string[]): Promise<ChildRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, SOCKJWT_TEST_SOCKET_IO: socketIo };
  // Set when this file itself runs under `node --test`: the child would then report to us in
  // the runner's internal format instead of TAP.
  delete env.NODE_TEST_CONTEXT;
  const args = ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=180000', '--test-reporter=tap', ...files];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: performance.now() - started });
    });
  });
}

/** The `# pass 12` style totals of a TAP run. */
function count(output: string, key: string): number {
  const match = new RegExp(`^# ${key} (\\d+)$`, 'm').exec(output);
  return match ? Number(match[1]) : 0;
}

/**
 * The failing tests of a TAP run (`not ok` lines, suites left out), each as
 * `suite > test: error at <first stack frame>` from its YAML block.
 */
function failures(output: string): string[] {
  const lines = output.split('\n');
  const open: string[] = [];
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const subtest = /^(\s*)# Subtest: (.*)$/.exec(lines[i]!);
    if (subtest) {
      const depth = subtest[1]!.length / 4;
      open.length = depth;
      open[depth] = subtest[2]!;
      continue;
    }
    const failed = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]!);
    if (!failed) continue;
    const depth = failed[1]!.length / 4;
    const yaml: string[] = [];
    for (let j = i + 1; j < lines.length && !/^\s*\.\.\.$/.test(lines[j]!); j++) yaml.push(lines[j]!.trim());
    if (yaml.includes("type: 'suite'")) continue;
    const field = (name: string) => yaml.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
    const name = [...open.slice(0, depth), failed[2]!].join(' > ');
    const stack = yaml.indexOf('stack: |-');
    const where = stack >= 0 && yaml[stack + 1] ? `at ${yaml[stack + 1]}` : field('location');
    found.push(`${name}: ${field('error') || '(no error reported)'} ${where}`.trim());
  }
  return found;
}

describe(`socket.io version matrix (${CONCURRENCY} at a time)`, { concurrency: CONCURRENCY }, () => {
  it('the client is socket.io-client 4.8 for every server version', () => {
    assert.match(installedVersion('socket.io-client'), /^4\.8\./);
  });

  for (const socketIo of VERSIONS) {
    it(`${socketIo} passes the core socket tests`, { timeout: CHILD_TIMEOUT_MS + 30_000 }, async () => {
      const version = installedVersion(socketIo);
      const files = [...CORE_FILES, ...(recovers(version) ? RECOVERY_FILES : [])].filter((file) => existsSync(join(root, file)));
      const run = await runChild(socketIo, files);
      mkdirSync(LOG_DIR, { recursive: true });
      const log = join(LOG_DIR, `${socketIo}.tap`);
      writeFileSync(log, run.output);
      const [pass, fail, skipped, cancelled] = [count(run.output, 'pass'), count(run.output, 'fail'), count(run.output, 'skipped'), count(run.output, 'cancelled')];
      const status = run.code === 0 ? 'ok  ' : 'FAIL';
      console.log(`${status} ${socketIo.padEnd(13)} ${version.padEnd(6)} pass ${pass} fail ${fail} skipped ${skipped} cancelled ${cancelled} ${(run.ms / 1000).toFixed(1)} s`);
      if (run.code !== 0) {
        const failing = failures(run.output).map((line) => `  not ok ${line}`);
        const tail = run.output.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
        assert.fail(
          `socket.io ${version} (${socketIo}): exit ${run.code ?? run.signal} over ${files.join(' ')} (full output: ${log})\n` +
            `failing tests:\n${failing.join('\n') || '  (none reported)'}\n` +
            `--- last ${TAIL_LINES} lines of output ---\n${tail}`,
        );
      }
      assert.ok(pass > 0, `socket.io ${version}: the child ran no tests`);
    });
  }
});
