// Everything the example reads from the environment, in one place.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import ms from 'ms';

export interface EnvConfig {
  /** PORT, default 3000 (0 picks a free port). */
  port: number;
  /** HOST, default 127.0.0.1: the demo users' passwords are public, so it is not on your network unless you say so. */
  host: string;
  /** JWT_SECRET; a random one for this run when unset. */
  jwtSecret: string;
  /** ACCESS_TOKEN_TTL: seconds, or a timespan such as `90s` or `5m`. Default 60 s. */
  accessTokenTtlSeconds: number;
  /** REFRESH_TOKEN_TTL: seconds or a timespan. Default 8 h. */
  refreshTokenTtlSeconds: number;
  /** USERS_FILE, default examples/chat/users.json. */
  usersFile: string;
  /** REDIS_URL: cluster mode, with every node on this Redis (see `npm run cluster`). */
  redisUrl: string | undefined;
  /** REDIS_KEY_PREFIX: names this cluster's keys and channels, to run several clusters on one Redis. */
  redisKeyPrefix: string | undefined;
  /** REDIS_CLUSTER_NODES: `redis://host:port` of some Redis Cluster nodes, comma-separated (instead of REDIS_URL). */
  redisClusterNodes: string[] | undefined;
  /** REDIS_SENTINELS: `host:port` of the sentinels, comma-separated (instead of REDIS_URL), with REDIS_SENTINEL_NAME (default `mymaster`). */
  redisSentinels: { host: string; port: number }[] | undefined;
  redisSentinelName: string;
  /** DATABASE_URL: cluster mode on PostgreSQL instead of Redis (`postgres://…`; see docs/postgres.md). */
  databaseUrl: string | undefined;
  /**
   * TRUST_PROXY: express's `trust proxy` for a server behind a TLS-terminating proxy: `true`, a hop
   * count (`1`), or addresses/subnets (`loopback`, `10.0.0.0/8,127.0.0.1`). Unset: no proxy trusted.
   */
  trustProxy: boolean | number | string | undefined;
  /** What the operator should know (printed at startup). */
  warnings: string[];
}

const MIN_SECRET_BYTES = 32;
const MIN_ACCESS_TTL_SECONDS = 2;

export function readConfig(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  const warnings: string[] = [];
  let jwtSecret = env['JWT_SECRET'] ?? '';
  if (jwtSecret === '') {
    jwtSecret = randomBytes(MIN_SECRET_BYTES).toString('base64url');
    warnings.push('JWT_SECRET is not set: using a random secret for this run, so tokens do not survive a restart. Set JWT_SECRET (32+ random bytes) in production.');
  } else if (Buffer.byteLength(jwtSecret) < MIN_SECRET_BYTES) {
    warnings.push(`JWT_SECRET is shorter than ${MIN_SECRET_BYTES} bytes: HS256 wants at least 256 bits of random secret.`);
  }
  const accessTokenTtlSeconds = duration(env, 'ACCESS_TOKEN_TTL', 60);
  if (accessTokenTtlSeconds < MIN_ACCESS_TTL_SECONDS) throw new RangeError(`ACCESS_TOKEN_TTL must be at least ${MIN_ACCESS_TTL_SECONDS} seconds`);
  return {
    port: port(env['PORT']),
    host: env['HOST'] || '127.0.0.1',
    jwtSecret,
    accessTokenTtlSeconds,
    refreshTokenTtlSeconds: duration(env, 'REFRESH_TOKEN_TTL', 8 * 60 * 60),
    usersFile: env['USERS_FILE'] || fileURLToPath(new URL('../users.json', import.meta.url)),
    redisUrl: env['REDIS_URL'] || undefined,
    redisKeyPrefix: env['REDIS_KEY_PREFIX'] || undefined,
    redisClusterNodes: list(env['REDIS_CLUSTER_NODES']),
    redisSentinels: list(env['REDIS_SENTINELS'])?.map(hostAndPort),
    redisSentinelName: env['REDIS_SENTINEL_NAME'] || 'mymaster',
    databaseUrl: env['DATABASE_URL'] || undefined,
    trustProxy: trustProxy(env['TRUST_PROXY']),
    warnings,
  };
}

function trustProxy(value: string | undefined): boolean | number | string | undefined {
  const setting = (value ?? '').trim();
  if (setting === '' || setting === 'false') return undefined;
  if (setting === 'true') return true;
  return /^\d+$/.test(setting) ? Number(setting) : setting;
}

function list(value: string | undefined): string[] | undefined {
  const items = (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
  return items.length > 0 ? items : undefined;
}

function hostAndPort(address: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(address);
  if (!match) throw new RangeError(`REDIS_SENTINELS must list host:port addresses, not "${address}"`);
  return { host: match[1]!, port: Number(match[2]) };
}

function port(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new RangeError(`PORT must be an integer from 0 to 65535, not "${value}"`);
  return n;
}

/** Whole seconds from `60`, `90s`, `5m`, `8h`. */
function duration(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const seconds = /^\d+$/.test(value) ? Number(value) : ms(value as ms.StringValue) / 1000;
  if (!Number.isInteger(seconds) || seconds <= 0) throw new RangeError(`${name} must be a whole number of seconds or a timespan like 90s or 5m, not "${value}"`);
  return seconds;
}

/** REDIS_URL with any password hidden, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
