import { createHash } from 'node:crypto';
import pg from 'pg';
import { within } from '../util/deadline.js';
import { numberOption } from '../util/numbers.js';
import { DEFAULT_RETENTION_MS, isStoredRule, normalRef, normalRule, ruleCovers } from '../revocation/revocation.js';
import { NoticeListener, type ListenConnection } from './notice-listener.js';
import { createTableSql, DEFAULT_TABLE, findRulesSql, ruleByDigestSql, storeRuleSql, sweepSql, tableNames, type TableNames } from './schema.js';
import type { RevocationStore, StoredRule, TokenQuery } from '../types.js';
import { Listeners } from '../util/listeners.js';

/** What the store needs of a `pg.Pool` (its `options` make the listening connection). */
export interface PgPoolLike {
  query(query: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  readonly options?: object;
}

/** Any pino-compatible logger. */
export interface PostgresLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

export interface PostgresRevocationStoreOptions {
  /** A `pg.Pool`: every check and revocation takes one of its connections for one statement. Never closed by the store. */
  pool: PgPoolLike;
  /**
   * Makes the store's own listening connection (`LISTEN`), one per store. Default: a `pg.Client`
   * with the pool's settings. Closed by the store.
   */
  listener?: () => ListenConnection;
  /** The table, `name` or `schema.name`; also the NOTIFY channel. Default `'sockjwt_revocations'`. */
  tableName?: string;
  /**
   * Creates the table and its index if missing, on each connection of the listener (idempotent,
   * under an advisory lock). `false` when migrations own the schema: see docs/postgres.md. Default true.
   */
  createTable?: boolean;
  /** How long (ms) a rule given without `exp` is kept. Default 24 h. */
  retentionMs?: number;
  /** A check slower than this (ms) counts as unavailable; also bounds connecting and each heartbeat. Default 1000. */
  commandTimeoutMs?: number;
  /** How often (ms) expired rules are deleted, at most `sweepBatch` per statement. Default 60 000. */
  sweepIntervalMs?: number;
  /** How often (ms) the listening connection is checked. Default 10 000. */
  heartbeatMs?: number;
  /** Told once when the listening connection is lost, and once when it listens again. Default: silent (authorize() reports failing checks). */
  logger?: PostgresLogger;
}

const OWNER = 'sockjwt/postgres';
/** Notices larger than this name the rule's digest; the listeners read the rule from the table (NOTIFY takes under 8000 bytes). */
const MAX_NOTICE_BYTES = 7000;
const SWEEP_BATCH = 1000;
const SWEEP_BATCHES_PER_RUN = 10;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

type Notice = { rule: StoredRule } | { digest: string };

/**
 * Revocation rules in PostgreSQL, shared by every node. A check is one indexed `SELECT`
 * through the pool; a revocation is one statement that stores the rule and announces it
 * (`pg_notify`, delivered at commit). Each store listens on a connection of its own and, each
 * time it listens again after losing it, asks its sessions to check their sockets again.
 * Rules outlive a PostgreSQL restart; expired ones are deleted by a bounded sweep.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { PostgresRevocationStore } from 'sockjwt/postgres';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL }); // yours: never closed by sockjwt
 * const revocationStore = new PostgresRevocationStore({ pool });
 * io.use(authorize({ secret, handshake: true, revocationStore }));
 * ```
 */
export class PostgresRevocationStore implements RevocationStore {
  readonly retentionMs: number;
  /** Resolves once the store listens for announcements. Never rejects: PostgreSQL may come later. */
  readonly listening: Promise<void>;
  private readonly pool: PgPoolLike;
  private readonly names: TableNames;
  private readonly sql: Record<'store' | 'find' | 'byDigest' | 'sweep', { name: string; text: string }>;
  private readonly commandTimeoutMs: number;
  private readonly listener: NoticeListener;
  private readonly sweeper: NodeJS.Timeout;
  private readonly listeners = new Listeners<[StoredRule]>();
  private readonly missedListeners = new Listeners<[]>();
  private readonly logger: PostgresLogger | undefined;
  private down = false;

  constructor(options: PostgresRevocationStoreOptions) {
    if (typeof options?.pool?.query !== 'function') throw new TypeError('sockjwt/postgres: "pool" must be a pg.Pool');
    this.pool = options.pool;
    this.names = tableNames(options.tableName ?? DEFAULT_TABLE);
    this.sql = preparedStatements(this.names);
    this.retentionMs = numberOption(options.retentionMs, 'retentionMs', 'positive', OWNER) ?? DEFAULT_RETENTION_MS;
    this.commandTimeoutMs = numberOption(options.commandTimeoutMs, 'commandTimeoutMs', 'positive', OWNER) ?? 1000;
    const sweepIntervalMs = numberOption(options.sweepIntervalMs, 'sweepIntervalMs', 'positive', OWNER) ?? 60_000;
    const heartbeatMs = numberOption(options.heartbeatMs, 'heartbeatMs', 'positive', OWNER) ?? 10_000;
    this.logger = options.logger;
    const open = options.listener ?? (() => new pg.Client(this.pool.options as pg.ClientConfig) as unknown as ListenConnection);
    this.listener = new NoticeListener({
      open,
      channel: this.names.channel,
      prepare: options.createTable === false ? undefined : (connection) => createTable(connection, this.names),
      hear: (payload) => void this.hear(payload),
      onListening: () => this.listeningAgain(),
      onFailure: (error) => this.lost(error),
      timeoutMs: this.commandTimeoutMs,
      heartbeatMs,
      retryMinMs: RETRY_MIN_MS,
      retryMaxMs: RETRY_MAX_MS,
    });
    this.listening = this.listener.whenListening();
    this.listener.start();
    this.sweeper = setInterval(() => void this.sweep().catch(() => {}), sweepIntervalMs);
    this.sweeper.unref();
  }

  /** True while the store listens: checks are answered only then. */
  get connected(): boolean {
    return this.listener.state === 'listening';
  }

  async add(given: StoredRule): Promise<void> {
    const now = Date.now();
    const rule = normalRule(given, now);
    if (rule.expiresAt <= now) return;
    const [kind, id, issuedBefore] = 'jti' in rule ? (['jti', rule.jti, 0] as const) : (['sub', rule.sub, rule.issuedBefore] as const);
    const digest = digestOf(kind, id);
    let notice = JSON.stringify({ rule } satisfies Notice);
    if (Buffer.byteLength(notice) > MAX_NOTICE_BYTES) notice = JSON.stringify({ digest: digest.toString('hex') } satisfies Notice);
    await this.command(this.sql.store, [digest, kind, Buffer.from(id), Math.floor(issuedBefore), Math.ceil(rule.expiresAt), now, this.names.channel, notice]);
    this.notify(rule);
  }

  async isRevoked(query: TokenQuery): Promise<boolean> {
    // A number is the same identity as its decimal string (normalRef), never a silent false.
    const token = normalRef(query);
    const jti = typeof token.jti === 'string' ? token.jti : undefined;
    const sub = typeof token.sub === 'string' ? token.sub : undefined;
    if (jti === undefined && sub === undefined) return false;
    // Not listening means rules may be announced unheard, and PostgreSQL is likely away: refuse at once rather than queue.
    if (!this.connected) throw new Error('PostgreSQL is not connected');
    const digests = [...(jti === undefined ? [] : [digestOf('jti', jti)]), ...(sub === undefined ? [] : [digestOf('sub', sub)])];
    const { rows } = await this.command(this.sql.find, [digests, Date.now()]);
    return rows.some((row) => row['kind'] === 'jti' || (sub !== undefined && ruleCovers({ sub, issuedBefore: Number(row['issued_before_ms']), expiresAt: Infinity }, token)));
  }

  subscribe(listener: (rule: StoredRule) => void): () => void {
    return this.listeners.add(listener);
  }

  onMissedRules(listener: () => void): () => void {
    return this.missedListeners.add(listener);
  }

  /** Deletes rules whose tokens have expired, a bounded number per call. Resolves with how many. */
  async sweep(): Promise<number> {
    let deleted = 0;
    for (let batch = 0; batch < SWEEP_BATCHES_PER_RUN; batch++) {
      const { rowCount } = await this.command(this.sql.sweep, [Date.now(), SWEEP_BATCH]);
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < SWEEP_BATCH) break;
    }
    return deleted;
  }

  /** Stops listening and sweeping. The pool stays open. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.listener.close();
  }

  private async hear(payload: string): Promise<void> {
    const notice = parse(payload);
    if (isStoredRule(notice?.rule)) return this.notify(notice.rule);
    if (typeof notice?.digest !== 'string' || !/^[0-9a-f]{64}$/.test(notice.digest)) return;
    // Too large to announce: read from the table. A failure leaves it to the next recheck.
    const { rows } = await this.command(this.sql.byDigest, [Buffer.from(notice.digest, 'hex')]).catch(() => ({ rows: [] }));
    const row = rows[0];
    if (!row) return;
    const id = (row['id'] as Buffer).toString();
    const expiresAt = Number(row['expires_at_ms']);
    this.notify(row['kind'] === 'jti' ? { jti: id, expiresAt } : { sub: id, issuedBefore: Number(row['issued_before_ms']), expiresAt });
  }

  private notify(rule: StoredRule): void {
    this.listeners.emit(rule);
  }

  private listeningAgain(): void {
    if (this.down) {
      this.down = false;
      this.logger?.info({ table: this.names.channel }, 'sockjwt/postgres: listening for revocations again; checking live sockets for revocations missed meanwhile');
    }
    this.missedListeners.emit();
  }

  private lost(error: unknown): void {
    if (this.down) return;
    this.down = true;
    this.logger?.warn({ table: this.names.channel, err: error }, `sockjwt/postgres: PostgreSQL is unavailable (${describe(error)}); retrying. Revocation checks follow revocationFailMode meanwhile.`);
  }

  private command(statement: { name: string; text: string }, values: unknown[]) {
    return within(this.pool.query({ ...statement, values }), this.commandTimeoutMs, 'PostgreSQL');
  }
}

/**
 * Named statements: each pooled connection parses and plans them once, not once per check. The
 * name carries a digest of the text, so stores on two tables never share one.
 */
function preparedStatements(names: TableNames) {
  const named = (what: string, text: string) => ({ name: `sockjwt_${what}_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`, text });
  return { store: named('store', storeRuleSql(names)), find: named('find', findRulesSql(names)), byDigest: named('rule', ruleByDigestSql(names)), sweep: named('sweep', sweepSql(names)) };
}

/** Creates the table under a transaction-scoped advisory lock: nodes starting together do not race on the catalog. */
async function createTable(connection: ListenConnection, names: TableNames): Promise<void> {
  await connection.query('BEGIN');
  try {
    await connection.query("SELECT pg_advisory_xact_lock(hashtext('sockjwt/postgres:' || $1))", [names.channel]);
    for (const statement of createTableSql(names)) await connection.query(statement);
    await connection.query('COMMIT');
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * The key of a rule: SHA-256 of `kind:id` in UTF-8. A string with a lone surrogate becomes
 * U+FFFD in UTF-8, so two such ids may share a key: that can only revoke too much, never too little.
 */
function digestOf(kind: 'jti' | 'sub', id: string): Buffer {
  return createHash('sha256').update(`${kind}:${id}`).digest();
}

function parse(payload: string): Partial<{ rule: unknown; digest: unknown }> | undefined {
  try {
    const value: unknown = JSON.parse(payload);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** An error as one line for logs: its message, never its stack. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
