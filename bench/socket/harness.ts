// Starts the client process and scenario servers, and drives one round of connections.
import { fileURLToPath } from 'node:url';
import { startChild, type Child } from '../lib/child.js';
import { generateSigningKeys } from '../lib/tokens.js';
import type { ScenarioName } from './scenarios.js';

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
const CLIENT = fileURLToPath(new URL('./client.ts', import.meta.url));

export interface Harness {
  client: Child;
  startServer(scenario: ScenarioName, execArgv?: string[]): Promise<Child>;
  stop(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const keys = generateSigningKeys();
  const env = { BENCH_KEYS: JSON.stringify(keys) };
  const client = await startChild(CLIENT, [], { execArgv: ['--expose-gc'], env });
  const servers: Child[] = [];
  return {
    client,
    async startServer(scenario, execArgv = []) {
      const server = await startChild(SERVER, [scenario], { execArgv, env });
      servers.push(server);
      return server;
    },
    async stop() {
      await Promise.all([client, ...servers].map((child) => child.stop()));
    },
  };
}

export interface OpenResult {
  ms: number;
  failed: number;
  errors: Record<string, number>;
}

/** Signs the tokens of the next `openSockets` for this scenario ahead of time, so that neither its clock nor its CPU readings include the signing. */
export function prepareTokens(client: Child, scenario: ScenarioName, count: number): Promise<unknown> {
  return client.call('prepare', { scenario, count });
}

/** Opens `count` sockets against the server and leaves them open. */
export function openSockets(client: Child, server: Child, scenario: ScenarioName, count: number, inFlight: number): Promise<OpenResult> {
  return client.call<OpenResult>('open', { url: server.info['url'], scenario, count, inFlight });
}

/** Disconnects every client socket and waits until the server has let go of them all. */
export async function closeSockets(client: Child, server: Child): Promise<void> {
  await client.call('close');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { engine } = await server.call<{ engine: number }>('clients');
    if (engine === 0) return;
    if (Date.now() > deadline) throw new Error(`server still holds ${engine} clients 30 s after the client closed them`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
