#!/usr/bin/env node
// Makes a fresh machine ready for `npm test`: a Redis answering on
// 127.0.0.1:6379, redis-sentinel and redis-cli (the topology tests start their own
// Redis Cluster and Sentinel), PostgreSQL's server binaries (the tests run their own),
// Debian's chromium, and Debian's python3 with the packages the interop tests import. Installs via apt only when running as root.
//
// Exit code: 0 when everything is ready. If something is still missing at the
// end, exit 1 when CI=true, otherwise print a WARNING summary and exit 0 (the
// tests needing it will fail on their own).

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { connect } from 'node:net';

const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = 6379;
const REDIS_DIR = '/var/lib/redis';
const REDIS_LOG_DIR = '/var/log/redis';
const REDIS_LOG = `${REDIS_LOG_DIR}/ci.log`;
const CHROMIUM = '/usr/bin/chromium';
const PYTHON = '/usr/bin/python3';
const PY_MODULES = ['socketio', 'jwt', 'cryptography', 'websocket', 'requests', 'aiohttp'];
const PY_PACKAGES = [
  'python3-socketio',
  'python3-jwt',
  'python3-cryptography',
  'python3-websocket',
  'python3-requests',
  'python3-aiohttp', // socketio.AsyncClient, for the Python helper's asyncio session
];

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const log = (msg) => console.log(`pretest: ${msg}`);
const missing = [];

// ---------------------------------------------------------------- helpers

/** Resolves { ok, detail } — ok only when the server replies +PONG. */
function pingRedis(timeoutMs = 1000) {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const sock = connect({ host: REDIS_HOST, port: REDIS_PORT });
    const finish = (ok, detail) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok, detail });
    };
    const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (chunk) => {
      buf += chunk;
      if (!buf.includes('\r\n')) return;
      const line = buf.slice(0, buf.indexOf('\r\n'));
      finish(line === '+PONG', line === '+PONG' ? 'PONG' : `unexpected reply ${JSON.stringify(line)}`);
    });
    sock.on('error', (err) => finish(false, err.code || err.message));
    sock.on('close', () => finish(false, 'connection closed'));
  });
}

async function waitForRedis(totalMs) {
  const deadline = Date.now() + totalMs;
  let last = { ok: false, detail: 'not tried' };
  while (Date.now() < deadline) {
    last = await pingRedis(Math.min(1000, Math.max(100, deadline - Date.now())));
    if (last.ok) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

function onPath(cmd) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK);
        return p;
      }
    } catch {
      // not here
    }
  }
  return null;
}

function writableDir(dir) {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs Debian's python3 import check without blocking the event loop. */
function checkPython() {
  return new Promise((resolve) => {
    if (!existsSync(PYTHON)) return resolve({ ok: false, detail: `${PYTHON} not found` });
    const child = spawn(PYTHON, ['-c', `import ${PY_MODULES.join(', ')}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve({ ok: false, detail: e.message }));
    child.on('close', (code) => {
      const lastLine = err.trim().split('\n').pop() || `exit ${code}`;
      resolve({ ok: code === 0, detail: code === 0 ? 'ok' : lastLine });
    });
  });
}

/** The command a non-root user should run to install pkgs. */
function aptCommand(pkgs) {
  return `sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}

let aptUpdated = false;
/** Installs Debian packages (root only). Returns true on success. */
function aptInstall(pkgs) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    aptUpdated = true;
    log('running apt-get update');
    const r = spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    if (r.error || r.status !== 0) log(`apt-get update failed (${r.error?.message ?? `exit ${r.status}`}); trying install anyway`);
  }
  log(`running apt-get install -y --no-install-recommends ${pkgs.join(' ')}`);
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], {
    stdio: 'inherit',
    env,
  });
  if (r.error || r.status !== 0) {
    log(`apt-get install ${pkgs.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
    return false;
  }
  return true;
}

function startRedis(bin) {
  const args = ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', String(REDIS_PORT), '--save', '', '--appendonly', 'no'];
  if (writableDir(REDIS_DIR) && writableDir(REDIS_LOG_DIR)) {
    args.push('--dir', REDIS_DIR, '--logfile', REDIS_LOG);
  } else {
    args.push('--dir', '/tmp');
  }
  log(`starting ${bin} ${args.map((a) => (a === '' ? '""' : a)).join(' ')}`);
  const r = spawnSync(bin, args, { stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    log(`redis-server failed to start (${r.error?.message ?? `exit ${r.status}`})`);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- checks

async function ensureRedis(initial) {
  const where = `${REDIS_HOST}:${REDIS_PORT}`;
  if (initial.ok) return log(`redis ${where} ok`);
  log(`redis ${where} not answering (${initial.detail})`);

  let bin = onPath('redis-server');
  if (!bin) {
    if (!isRoot) {
      log(`redis-server not installed — run: ${aptCommand(['redis-server'])}`);
      return missing.push(`redis on ${where} (redis-server not installed)`);
    }
    if (aptInstall(['redis-server'])) bin = onPath('redis-server') || (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : null);
    if (!bin) return missing.push(`redis on ${where} (installing redis-server failed)`);
    // The package's postinst may already have started a server.
    const again = await pingRedis();
    if (again.ok) return log(`redis ${where} ok (started by package install)`);
  }

  if (startRedis(bin)) {
    const r = await waitForRedis(10_000);
    if (r.ok) return log(`redis ${where} ok (started)`);
    log(`redis ${where} still not answering after 10 s (${r.detail})`);
  }
  missing.push(`redis on ${where} (could not start redis-server)`);
}

/** The binaries the topology tests start (a Redis Cluster via redis-cli, a Sentinel), by Debian package. */
const REDIS_TOOLS = { 'redis-sentinel': 'redis-sentinel', 'redis-cli': 'redis-tools' };

function ensureRedisTools() {
  const absent = Object.keys(REDIS_TOOLS).filter((bin) => !onPath(bin));
  if (absent.length === 0) return log(`${Object.keys(REDIS_TOOLS).join(', ')} ok`);
  const pkgs = absent.map((bin) => REDIS_TOOLS[bin]);
  log(`${absent.join(', ')} missing`);
  if (!isRoot) {
    log(`run: ${aptCommand(pkgs)}`);
    return missing.push(`${absent.join(', ')} (Debian: ${pkgs.join(' ')})`);
  }
  // The package's init script may start a sentinel of its own on 26379: harmless, the tests use free ports.
  if (aptInstall(pkgs) && absent.every((bin) => onPath(bin))) return log(`${absent.join(', ')} ok (installed)`);
  missing.push(`${absent.join(', ')} (Debian: ${pkgs.join(' ')}) — install failed`);
}

/** Debian's PostgreSQL server binaries: the PostgreSQL tests run initdb and postgres of their own on free ports. */
function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(`${root}/${v}/bin/initdb`)).sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? `${root}/${versions[0]}/bin` : null;
}

function ensurePostgres() {
  const found = postgresBinDir();
  if (found) return log(`postgresql ${found} ok`);
  log('postgresql server binaries (initdb, postgres) missing');
  if (!isRoot) {
    log(`postgresql: run: ${aptCommand(['postgresql'])}`);
    return missing.push('postgresql (Debian: postgresql)');
  }
  // The package starts a cluster of its own on 5432: harmless, the tests start theirs on free ports.
  if (aptInstall(['postgresql']) && postgresBinDir()) return log('postgresql ok (installed)');
  missing.push('postgresql (Debian: postgresql) — install failed');
}

function ensureChromium() {
  if (existsSync(CHROMIUM)) return log(`chromium ${CHROMIUM} ok`);
  log(`chromium ${CHROMIUM} missing`);
  if (!isRoot) {
    log(`chromium: run: ${aptCommand(['chromium'])}`);
    return missing.push(`chromium (${CHROMIUM})`);
  }
  if (aptInstall(['chromium']) && existsSync(CHROMIUM)) return log(`chromium ${CHROMIUM} ok (installed)`);
  missing.push(`chromium (${CHROMIUM}) — install failed`);
}

async function ensurePython(initial) {
  const what = `python ${PYTHON} [${PY_MODULES.join(', ')}]`;
  if (initial.ok) return log(`${what} ok`);
  log(`${what} not ready (${initial.detail})`);
  if (!isRoot) {
    log(`python: run: ${aptCommand(PY_PACKAGES)}`);
    return missing.push(`${what}`);
  }
  if (aptInstall(PY_PACKAGES)) {
    const r = await checkPython();
    if (r.ok) return log(`${what} ok (installed)`);
    log(`${what} still failing after install (${r.detail})`);
  }
  missing.push(`${what} — install failed`);
}

// ---------------------------------------------------------------- main

// Probe everything concurrently so the all-present path stays fast.
const [redisProbe, pythonProbe] = await Promise.all([pingRedis(), checkPython()]);

await ensureRedis(redisProbe);
ensureRedisTools();
ensurePostgres();
ensureChromium();
await ensurePython(pythonProbe);

if (missing.length === 0) process.exit(0);

const summary = missing.map((m) => `  - ${m}`).join('\n');
if (process.env.CI === 'true') {
  console.error(`pretest: FAILED — still missing (CI=true):\n${summary}`);
  process.exit(1);
}
console.warn(`pretest: WARNING — still missing; tests needing these will fail:\n${summary}`);
process.exit(0);
