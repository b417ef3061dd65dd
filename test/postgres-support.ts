// A PostgreSQL of the test's own: Debian's initdb and postgres on a free port, in a temporary
// directory, killed and removed after. The machine's own PostgreSQL (5432) is never touched.
// A missing binary or a server that will not start FAILS the test: never a skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Cleanup } from './cluster/nodes.js';
import { freePort, until } from './redis-topologies.js';

export interface PostgresProcess {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, trust authentication. */
  url: string;
  /** SIGKILL to the server and every backend at once, as a crash would. Resolves once they are gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves once it answers. */
  start(): Promise<void>;
  /** Runs one statement on a connection of its own. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
}

/** Debian's newest installed server (/usr/lib/postgresql/<version>/bin). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('PostgreSQL server binaries are required (Debian: apt-get install postgresql; npm test\'s pretest installs it as root): no /usr/lib/postgresql/*/bin/initdb');
  return join(root, versions[0]!, 'bin');
}

/** initdb and postgres refuse to run as root: as root, they run as Debian's `postgres` user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!(uid > 0)) throw new Error('running as root, PostgreSQL needs the "postgres" user (Debian\'s postgresql package makes it)');
  return { uid, gid };
}

/** Whether any process of the group is left (signal 0 checks without sending anything). */
function processGroupAlive(group: number): boolean {
  try {
    process.kill(group, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** A PostgreSQL server of the caller's own; `started: false` leaves it to `start()`. */
/**
 * initdb, bounded: it runs synchronously, so a hang would block the test file's own deadlines (one
 * run here stopped inside it until the runner's 120 s). Once it takes 30 s (it takes 1–5), it is
 * killed, said on stderr, and tried once more in a fresh directory; a second failure fails the test.
 */
function initDataDirectory(bin: string, data: string, user: ReturnType<typeof runAs>): void {
  for (let attempt = 1; ; attempt++) {
    const run = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], {
      encoding: 'utf8',
      timeout: 30_000,
      killSignal: 'SIGKILL',
      ...user,
    });
    if (run.status === 0) return;
    const why = run.error?.message ?? run.stderr;
    if (attempt === 2 || (run.error as NodeJS.ErrnoException | undefined)?.code !== 'ETIMEDOUT') throw new Error(`initdb failed: ${why}`);
    process.stderr.write(`initdb did not finish within 30 s (${why}); once more in a fresh directory\n`);
    rmSync(data, { recursive: true, force: true });
  }
}

export async function privatePostgres(t: Cleanup, { started = true } = {}): Promise<PostgresProcess> {
  const bin = binDir();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'sockjwt-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  initDataDirectory(bin, data, user);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | undefined;
  const kill = async () => {
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = once(server, 'exit');
    // Its own process group: the backends die with the postmaster, as on a crash of the machine.
    const group = -server.pid!;
    process.kill(group, 'SIGKILL');
    await exited;
    // The postmaster's exit is not its backends': one still attached to the shared memory makes the
    // next postmaster refuse to start ("pre-existing shared memory block is still in use").
    await until(async () => (processGroupAlive(group) ? 'backends of the killed server still running' : true), 15_000, 20);
  };
  const start = async () => {
    // fsync off: a killed process loses nothing the kernel has; only a power cut would.
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'];
    server = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true, ...user });
    server.on('error', () => {}); // shows as the connection below failing
    let log = '';
    server.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-2000)));
    await until(async () => {
      if (server!.exitCode !== null) throw new Error(`postgres exited (${server!.exitCode}): ${log.trim()}`);
      await query('SELECT 1');
      return true;
    }, 15_000, 50);
  };
  const query = async <R extends Record<string, unknown>>(text: string, values?: unknown[]) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  };
  t.after(async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  });
  if (started) await start();
  return { port, url, kill, start, query };
}
