import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Result } from '../scripts/conformance.js';
import { behavioursOf, SCENARIOS } from '../scripts/conformance/scenarios.js';
import { outputOf } from './support.js';

/**
 * What the conformance test files share. Each file holds one client's run: `npm test` gives a file
 * 120 s, and a run of every scenario in both modes, two clients at a time, takes most of that.
 */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const client = (file: string) => `${process.execPath} ${ROOT}test/conformance/${file}`;
/** Clients under test at once: no more than the machine has cores (2 in CI). */
export const CONCURRENCY = availableParallelism();
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
export const NAIVE_PASSES = ['connect/connects', 'expiry/keeps-socket-until-expiry', 'revoked/stops-on-revoked', 'bad-signature/stops-on-bad-signature', 'connection-lost/reconnects-after-connection-lost', 'server-disconnect/no-reconnect-after-server-disconnect'];

/** Every behaviour of every scenario in `mode`. */
export const behavioursIn = (mode: string) => SCENARIOS.reduce((n, scenario) => n + behavioursOf(scenario, mode).length, 0);
