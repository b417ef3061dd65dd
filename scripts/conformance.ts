/**
 * npm run conformance -- --client "<command>" [--mode handshake|message|both] [--only <scenario>] [--json] [--concurrency n]
 *
 * Starts a sockjwt server with a namespace and a token endpoint per scenario, runs the client
 * under test once per scenario and mode (it gets SOCKJWT_URL, SOCKJWT_TOKEN_URL and
 * SOCKJWT_MODE), and reports which behaviours of docs/protocol.md (section 9) it got right.
 * Exit status: 0 when all passed, 1 when any failed, 2 on bad arguments.
 */
import { parseArgs } from 'node:util';
import { ConformanceServer, type Mode } from './conformance/harness.js';
import { behavioursOf, SCENARIOS, type Scenario, type Verdict } from './conformance/scenarios.js';

export interface Result extends Verdict {
  mode: Mode;
  scenario: string;
}

export interface ConformanceOptions {
  command: string;
  modes: Mode[];
  only?: string[];
  concurrency: number;
  /** Receives the client's output lines, prefixed with its run. */
  output?: (line: string) => void;
}

export async function runConformance(options: ConformanceOptions): Promise<Result[]> {
  const scenarios = SCENARIOS.filter((scenario) => !options.only?.length || options.only.includes(scenario.name));
  const server = new ConformanceServer();
  const baseUrl = await server.listen();
  const jobs = options.modes.flatMap((mode) => scenarios.filter((scenario) => !scenario.modes || scenario.modes.includes(mode)).map((scenario) => ({ mode, scenario })));
  const results: Result[][] = new Array(jobs.length);
  let nextJob = 0;
  const worker = async () => {
    while (nextJob < jobs.length) {
      const index = nextJob++;
      const { mode, scenario } = jobs[index]!;
      results[index] = await runOne(server, baseUrl, mode, scenario, options);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } finally {
    await server.close();
  }
  return results.flat();
}

async function runOne(server: ConformanceServer, baseUrl: string, mode: Mode, scenario: Scenario, options: ConformanceOptions): Promise<Result[]> {
  const run = server.run(mode, scenario.name);
  const judged = scenario.run(run); // installs sockjwt and the token endpoint before the client starts
  run.launch(options.command, baseUrl, (line) => options.output?.(`[${run.id}] ${line}`));
  let verdicts: Verdict[];
  try {
    verdicts = await judged;
  } catch (error) {
    verdicts = behavioursOf(scenario, mode).map((behaviour) => ({ behaviour, pass: false, detail: `scenario error: ${String(error)}` }));
  } finally {
    await run.kill();
    run.nsp.disconnectSockets(true);
  }
  return verdicts.map((verdict) => ({ mode, scenario: scenario.name, ...verdict }));
}

function report(results: Result[]): string {
  const lines = results.map((r) => `${r.pass ? 'pass' : 'FAIL'}  ${r.mode.padEnd(9)} ${r.scenario.padEnd(20)} ${r.behaviour.padEnd(40)} ${r.detail}`);
  const passed = results.filter((r) => r.pass).length;
  lines.push('', `${passed} of ${results.length} behaviours passed`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        client: { type: 'string' },
        mode: { type: 'string', default: 'both' },
        only: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        concurrency: { type: 'string', default: '6' },
        verbose: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error(String(error));
    return 2;
  }
  const modes: Mode[] | undefined = values.mode === 'both' ? ['handshake', 'message'] : values.mode === 'handshake' || values.mode === 'message' ? [values.mode] : undefined;
  const unknown = (values.only ?? []).filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  const concurrency = Number(values.concurrency);
  if (!values.client || !modes || unknown.length > 0 || !Number.isInteger(concurrency) || concurrency < 1) {
    console.error(
      [
        'usage: npm run conformance -- --client "<command>" [--mode handshake|message|both] [--only <scenario>]... [--json] [--concurrency n] [--verbose]',
        unknown.length ? `unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}` : '',
        'The command runs once per scenario and mode with SOCKJWT_URL, SOCKJWT_TOKEN_URL and SOCKJWT_MODE set (docs/protocol.md, section 9).',
      ].filter(Boolean).join('\n'),
    );
    return 2;
  }
  const results = await runConformance({
    command: values.client,
    modes,
    only: values.only,
    concurrency,
    output: values.verbose ? (line) => console.error(line) : undefined,
  });
  console.log(values.json ? JSON.stringify({ passed: results.filter((r) => r.pass).length, failed: results.filter((r) => !r.pass).length, results }) : report(results));
  return results.every((r) => r.pass) ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
