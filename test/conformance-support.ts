import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runConformance, type Result } from '../scripts/conformance.js';
import { behavioursOf, SCENARIOS } from '../scripts/conformance/scenarios.js';
import { assertPythonImports, HELPER_MODULES, PYTHON } from './python-support.js';
import { outputOf } from './support.js';

/**
 * What the conformance test files share. Each file holds one client's run: `npm test` gives a file
 * 120 s, and a run of every scenario in both modes, two clients at a time, takes most of that.
 */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const client = (file: string) => `${process.execPath} ${ROOT}test/conformance/${file}`;
/** Clients under test at once: no more than the machine has cores (2 in CI). */
export const CONCURRENCY = availableParallelism();
/** The naive client's runs at once (see naiveConformanceSuite). */
const NAIVE_CONCURRENCY = 8;
/** A whole run; within the file's own limit, so that a hang is reported with the run's output. */
export const RUN_TIMEOUT_MS = 115_000;

export interface Run {
  code: number | null;
  results: Result[];
  stdout: string;
  stderr: string;
}

/** `npm run conformance` as a user runs it: the script, a child process, its JSON report and exit status. */
export function conformance(args: string[], children: ChildProcess[]): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/conformance.ts', ...args], { cwd: ROOT, timeout: RUN_TIMEOUT_MS });
  children.push(child);
  return outputOf(child).then(({ code, stdout, stderr }) => {
    const results = args.includes('--json') && stdout.trim() ? (JSON.parse(stdout) as { results: Result[] }).results : [];
    return { code, results, stdout, stderr };
  });
}

export const key = (r: Result) => `${r.mode}/${r.scenario}/${r.behaviour}`;

/** Every behaviour of every scenario, in both modes. */
export const ALL_BEHAVIOURS = ['handshake', 'message'].reduce((count, mode) => count + SCENARIOS.reduce((n, scenario) => n + behavioursOf(scenario, mode).length, 0), 0);

/** A naive client (plain socket.io-client, one token, no handling) passes only these, in each mode. */
export const NAIVE_PASSES = ['connect/connects', 'expiry/keeps-socket-until-expiry', 'revoked/stops-on-revoked', 'bad-signature/stops-on-bad-signature', 'connection-lost/reconnects-after-connection-lost', 'server-disconnect/no-reconnect-after-server-disconnect', 'session-cap/stops-refreshing-at-session-cap', 'connect-refused/stops-on-connect-refused', 'connection-lost-repeatedly/lost-connections-not-counted'];

/** What the naive client gets wrong in both modes, as the verdicts word it. */
export const NAIVE_MISTAKES = {
  'refresh/refreshes-in-place': '0 refreshes on the first socket, 1 disconnects, 1 connections',
  'revoked/reports-revoked': 'reported nothing',
  'server-disconnect/reports-server-disconnect': 'reported nothing',
  'connect-refused/reports-connect-refused': 'reported nothing',
  'connection-lost/fresh-token-on-reconnect': 'reconnected with the token it already had',
  'transient/retries-after-transient': 'never connected',
  'token-source-down/no-attempt-without-token': '1 attempts without a token',
  'refresh-rate-limited/honours-refresh-retry-after': 'no refresh was rate limited',
};

/** Every behaviour of every scenario in `mode`. */
export const behavioursIn = (mode: string) => SCENARIOS.reduce((n, scenario) => n + behavioursOf(scenario, mode).length, 0);

/**
 * The naive client (plain socket.io-client, one token, no handling) in one `mode`: it fails exactly
 * where it should, and each of `why` is the verdict's detail. One mode per file: a naive client never
 * exits by itself, so every scenario waits out its limits.
 */
export function naiveConformanceSuite(mode: 'handshake' | 'message', why: Record<string, string>): void {
  const children: ChildProcess[] = [];
  describe(`npm run conformance against a naive client, ${mode} mode`, () => {
    after(() => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    it('fails it exactly where it should, and exits 1', { timeout: RUN_TIMEOUT_MS }, async () => {
      // The naive client does nothing but wait out each scenario's limits: idle time, not CPU, so
      // it runs more at once than the clients whose timing is judged.
      const run = await conformance(['--json', '--mode', mode, '--concurrency', String(NAIVE_CONCURRENCY), '--client', client('naive-client.mjs')], children);
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.results.length, behavioursIn(mode));
      assert.deepEqual(run.results.filter((r) => r.pass).map(key).sort(), NAIVE_PASSES.map((pass) => `${mode}/${pass}`).sort());
      const details = new Map(run.results.map((r) => [key(r), r.detail]));
      for (const [behaviour, detail] of Object.entries(why)) assert.equal(details.get(`${mode}/${behaviour}`), detail, behaviour);
    });
  });
}

/** One behaviour's verdict, or a failure naming it when the run did not report it. */
function verdictOf(results: Result[], mode: string, scenario: string, behaviour: string): Result {
  const result = results.find((r) => r.mode === mode && r.scenario === scenario && r.behaviour === behaviour);
  assert.ok(result, `no verdict for ${mode}/${scenario}/${behaviour}`);
  return result;
}

/**
 * The Python client helper (clients/python) in one flavour through every scenario, in both modes.
 * One flavour per file, each within the file's time limit.
 */
export function pythonConformanceSuite(flavour: 'sync' | 'async'): void {
  describe('the Python client helper (clients/python) against npm run conformance', () => {
    before(() => assertPythonImports(HELPER_MODULES));

    it(`${flavour === 'sync' ? 'socketio.Client (threads)' : 'socketio.AsyncClient'} passes every conformance scenario, in both modes`, { timeout: RUN_TIMEOUT_MS }, async () => {
      const output: string[] = [];
      const results = await runConformance({
        command: `${PYTHON} ${ROOT}test/conformance/python_client.py ${flavour}`,
        modes: ['handshake', 'message'],
        concurrency: CONCURRENCY,
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
      const failed = results.filter((r) => !r.pass).map((r) => `${r.mode}/${r.scenario}/${r.behaviour}: ${r.detail}`);
      assert.deepEqual(failed, [], output.join('\n'));
    });
  });
}
