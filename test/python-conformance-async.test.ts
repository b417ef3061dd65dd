import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runConformance, type Result } from '../scripts/conformance.js';
import { ALL_BEHAVIOURS, RUN_TIMEOUT_MS } from './conformance-support.js';

// Debian's interpreter, with python3-socketio (and python3-aiohttp for the asyncio client).
const PYTHON = '/usr/bin/python3';
const MODULES = ['socketio', 'engineio', 'aiohttp', 'websocket'];
const PACKAGES = 'python3-socketio python3-websocket python3-aiohttp';
const script = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const FLAVOUR = 'async' as 'sync' | 'async';

/** One behaviour's verdict, or a failure naming it when the run did not report it. */
function verdictOf(results: Result[], mode: string, scenario: string, behaviour: string): Result {
  const result = results.find((r) => r.mode === mode && r.scenario === scenario && r.behaviour === behaviour);
  assert.ok(result, `no verdict for ${mode}/${scenario}/${behaviour}`);
  return result;
}

function assertAllPassed(results: Result[]): void {
  const failed = results.filter((r) => !r.pass).map((r) => `${r.mode}/${r.scenario}/${r.behaviour}: ${r.detail}`);
  assert.deepEqual(failed, []);
}

describe('the Python client helper (clients/python) against npm run conformance', () => {
  before(async () => {
    const check = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(PYTHON, ['-c', `import ${MODULES.join(', ')}`], { timeout: 15_000 });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.once('error', (error) => resolve({ code: -1, stderr: error.message }));
      child.once('close', (code) => resolve({ code, stderr }));
    });
    // A failure, never a skip: CI must not go green without this suite having run.
    assert.equal(check.code, 0, `${PYTHON} cannot import ${MODULES.join(', ')}: apt-get install ${PACKAGES} (scripts/pretest.mjs does it as root)\n${check.stderr}`);
  });

  // One flavour per file (test/python-conformance.test.ts has the other), and no more
  // clients at once than the machine has cores (2 in CI).
  for (const flavour of [FLAVOUR]) {
    it(`${flavour === 'sync' ? 'socketio.Client (threads)' : 'socketio.AsyncClient'} passes every conformance scenario, in both modes`, { timeout: RUN_TIMEOUT_MS }, async () => {
      const output: string[] = [];
      const results = await runConformance({
        command: `${PYTHON} ${script('conformance/python_client.py')} ${flavour}`,
        modes: ['handshake', 'message'],
        concurrency: availableParallelism(),
        output: (line) => output.push(line),
      });
      assert.equal(results.length, ALL_BEHAVIOURS);
      // The four, by name: a 3 s token refreshed in place 3 times with 0 disconnects;
      // expiry → a reconnection with a fresh token; revoked → stop; rate_limited → waits retryAfterMs.
      for (const mode of ['handshake', 'message']) {
        const refreshed = verdictOf(results, mode, 'refresh', 'refreshes-in-place');
        assert.match(refreshed.detail, /^[3-9] refreshes on the first socket, 0 disconnects, 1 connections$/);
        assert.ok(refreshed.pass, refreshed.detail);
        for (const [scenario, behaviour] of [['expiry', 'reconnects-after-expiry'], ['revoked', 'stops-on-revoked'], ['revoked', 'reports-revoked'], ['rate-limited', 'honours-retry-after']] as const) {
          const result = verdictOf(results, mode, scenario, behaviour);
          assert.ok(result.pass, `${mode}/${scenario}/${behaviour}: ${result.detail}\n${output.join('\n')}`);
        }
      }
      assertAllPassed(results);
    });
  }

});
