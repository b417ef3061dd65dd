// Redis topologies a test (or a benchmark) starts for itself with Debian's redis-server,
// redis-sentinel and redis-cli, on free ports, in a temporary directory, and tears down
// after: a 3-master Redis Cluster, a master + replica + 3 sentinels, a Redis with AOF.
// A missing binary or a topology that will not form FAILS the test: never a skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { createClient } from 'redis';
import type { Cleanup } from './cluster/nodes.js';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface RedisProcess {
  port: number;
  url: string;
  /** SIGKILL, as a crash would. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again with the same arguments (same port, same directory). */
  start(): Promise<void>;
}

function requireBinary(name: string): void {
  const found = spawnSync(name, ['--version'], { stdio: 'ignore' });
  if (found.error || found.status !== 0) throw new Error(`${name} is required (Debian: apt-get install redis-server redis-sentinel redis-tools; npm test's pretest installs them as root): ${found.error?.message ?? `exit ${found.status}`}`);
}

/** A directory of the test's own, removed after. */
function workDir(t: Cleanup, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sockjwt-${name}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One redis-server (or redis-sentinel) process, killed when the test ends. */
async function redisProcess(t: Cleanup, binary: string, args: (port: number) => string[], port?: number, started = true): Promise<RedisProcess> {
  requireBinary(binary);
  const chosen = port ?? (await freePort());
  const url = `redis://127.0.0.1:${chosen}`;
  let child: ChildProcess | undefined;
  const kill = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  };
  const start = async () => {
    child = spawn(binary, args(chosen), { stdio: 'ignore' });
    child.on('error', () => {}); // shows as the ping below failing
    await untilAnswering(url);
  };
  t.after(kill);
  if (started) await start();
  return { port: chosen, url, kill, start };
}

export async function untilAnswering(url: string, timeoutMs = 10_000): Promise<void> {
  const client = createClient({ url, socket: { reconnectStrategy: (retries) => (retries > 200 ? new Error('gave up') : 50), connectTimeout: timeoutMs } });
  client.on('error', () => {});
  const timer = setTimeout(() => client.destroy(), timeoutMs);
  try {
    await client.connect();
    await client.ping();
    await client.close();
  } catch (cause) {
    throw new Error(`Redis did not answer at ${url}: ${String(cause)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one command on one Redis (a sentinel too) and returns its reply. */
export async function ask<T = unknown>(url: string, args: string[]): Promise<T> {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.sendCommand(args)) as T;
  } finally {
    client.destroy();
  }
}

/** Polls `check` until it returns true; its last other answer explains a timeout. */
export async function until(check: () => Promise<true | string>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await check().catch((error: unknown) => String(error));
    if (answer === true) return;
    if (Date.now() > deadline) throw new Error(`${answer} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * One redis-server for the whole test file: started before its first test, stopped after its
 * last, once every app, client and cluster of the tests has closed. `url` is read inside a test.
 */
export function plainRedisForFile(): { readonly url: string } {
  let redis: RedisProcess | undefined;
  const stops: (() => unknown)[] = [];
  before(async () => {
    redis = await plainRedis({ after: (stop) => void stops.push(stop as () => unknown) });
  });
  after(async () => {
    for (const stop of stops) await stop();
  });
  return {
    get url() {
      if (!redis) throw new Error('plainRedisForFile(): the url is known once the file\'s tests run');
      return redis.url;
    },
  };
}

/** A redis-server of the caller's own, keeping nothing on disk; `started: false` leaves it to `start()`. */
export async function plainRedis(t: Cleanup, { started = true } = {}): Promise<RedisProcess> {
  return redisProcess(t, 'redis-server', (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], undefined, started);
}

/** A redis-server that writes every command to its append-only file before answering. */
export async function aofRedis(t: Cleanup): Promise<RedisProcess> {
  const dir = workDir(t, 'aof');
  return redisProcess(t, 'redis-server', (port) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always']);
}

export interface RedisClusterTopology {
  masters: RedisProcess[];
  /** `redis://127.0.0.1:port` of each master, to hand to a cluster client. */
  urls: string[];
}

/** Three masters, slots split by `redis-cli --cluster create`, no replicas; `serverArgs` go to each redis-server. */
export async function redisCluster(t: Cleanup, size = 3, serverArgs: string[] = []): Promise<RedisClusterTopology> {
  requireBinary('redis-cli');
  const dir = workDir(t, 'cluster');
  const masters: RedisProcess[] = [];
  for (let i = 0; i < size; i++) {
    const busPort = await freePort(); // the default (port + 10000) may be taken or out of range
    masters.push(
      await redisProcess(t, 'redis-server', (port) => [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-port', String(busPort),
        '--cluster-node-timeout', '2000', ...serverArgs,
      ]),
    );
  }
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...masters.map((m) => `127.0.0.1:${m.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.error?.message ?? ''}${create.stdout}${create.stderr}`);
  const urls = masters.map((m) => m.url);
  await until(async () => {
    const infos = await Promise.all(urls.map((url) => ask<string>(url, ['CLUSTER', 'INFO'])));
    return infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${size}`)) || 'cluster not ok yet';
  }, 20_000);
  return { masters, urls };
}

export interface SentinelTopology {
  master: RedisProcess;
  replica: RedisProcess;
  sentinels: RedisProcess[];
  /** The name the sentinels monitor. */
  name: string;
  /** Where the sentinels say the master is now. */
  masterPort(): Promise<number>;
}

/**
 * A master and one replica, both with AOF, watched by three sentinels (quorum 2) that
 * declare the master down after 1 s. Resolves once the replica is in sync and the
 * sentinels know each other and the replica, so a failover can happen.
 */
export async function sentinelTopology(t: Cleanup): Promise<SentinelTopology> {
  const dir = workDir(t, 'sentinel');
  const name = 'sockjwt';
  const server = (extra: string[]) => (port: number) => [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
    '--appendfilename', `aof-${port}.aof`, '--appenddirname', `aof-${port}`, ...extra,
  ];
  const master = await redisProcess(t, 'redis-server', server([]));
  const replica = await redisProcess(t, 'redis-server', server(['--replicaof', '127.0.0.1', String(master.port)]));
  await until(async () => (await ask<string>(replica.url, ['INFO', 'replication'])).includes('master_link_status:up') || 'replica not in sync', 10_000);
  const sentinels: RedisProcess[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const config = join(dir, `sentinel-${port}.conf`);
    writeFileSync(config, [
      `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      `sentinel parallel-syncs ${name} 1`, '',
    ].join('\n'));
    sentinels.push(await redisProcess(t, 'redis-sentinel', () => [config], port));
  }
  await until(async () => {
    const [info] = await Promise.all(sentinels.map((s) => ask<string[] | Record<string, string>>(s.url, ['SENTINEL', 'MASTER', name])));
    const fields = Array.isArray(info) ? Object.fromEntries(pairs(info)) : info!;
    return (fields['num-other-sentinels'] === '2' && fields['num-slaves'] === '1') || `sentinels not ready: ${JSON.stringify(fields)}`;
  }, 20_000, 200);
  return {
    master,
    replica,
    sentinels,
    name,
    async masterPort() {
      const [, port] = await ask<string[]>(sentinels[0]!.url, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name]);
      return Number(port);
    },
  };
}

function pairs(flat: string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) result.push([flat[i]!, flat[i + 1]!]);
  return result;
}
