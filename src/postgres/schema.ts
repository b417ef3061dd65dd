/**
 * The store's table, and the SQL that touches it. A table name cannot be a bound parameter,
 * so it is checked once, at construction, against the plain identifier form; every value
 * (ids, times, the notice) is a bound parameter.
 */
export const DEFAULT_TABLE = 'sockjwt_revocations';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** PostgreSQL's NAMEDATALEN less one: longer names are cut short, silently. */
const MAX_IDENTIFIER_BYTES = 63;

export interface TableNames {
  /** `"schema"."table"` or `"table"`, quoted, for SQL text. */
  table: string;
  /** The index on expiry, in the table's schema. */
  expiryIndex: string;
  /** The NOTIFY channel: the name as given. */
  channel: string;
}

/** `name` or `schema.name`, each part a plain identifier. */
export function tableNames(name: unknown, option = 'tableName'): TableNames {
  const parts = typeof name === 'string' ? name.split('.') : [];
  const valid = parts.length >= 1 && parts.length <= 2 && parts.every((part) => IDENTIFIER.test(part) && part.length <= MAX_IDENTIFIER_BYTES - '_expires_at'.length);
  if (!valid || (name as string).length > MAX_IDENTIFIER_BYTES) {
    throw new TypeError(`sockjwt/postgres: "${option}" must be a table name (letters, digits and _, optionally schema-qualified, at most ${MAX_IDENTIFIER_BYTES} characters)`);
  }
  const last = parts.at(-1)!;
  return { table: parts.map((part) => `"${part}"`).join('.'), expiryIndex: `"${last}_expires_at"`, channel: name as string };
}

/**
 * One row per revoked `jti` or subject. `digest` is the SHA-256 of `kind:id`, so index entries
 * keep one size whatever an id's length (a B-tree refuses entries past about 2.7 kB); `id`
 * holds the id's UTF-8 bytes (a NUL included, which `text` refuses), for operators to read.
 * Times are milliseconds since the epoch, on the nodes' clocks, like the tokens they judge.
 */
export function createTableSql({ table, expiryIndex }: TableNames): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
  digest bytea PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('jti', 'sub')),
  id bytea NOT NULL,
  issued_before_ms bigint NOT NULL,
  expires_at_ms bigint NOT NULL
)`,
    `CREATE INDEX IF NOT EXISTS ${expiryIndex} ON ${table} (expires_at_ms)`,
  ];
}

/**
 * Stores a rule, keeping the later cut-off and the longer life of two rules for one id (a
 * revocation is never weakened by another arriving after it; an expired row left by the sweep
 * does not count), and announces it in the same statement: NOTIFY is delivered at commit, so
 * a stored rule is always an announced one.
 * $1 digest, $2 kind, $3 id, $4 issued_before_ms, $5 expires_at_ms, $6 now, $7 channel, $8 notice.
 */
export function storeRuleSql({ table }: TableNames): string {
  return `WITH stored AS (
  INSERT INTO ${table} AS rule (digest, kind, id, issued_before_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (digest) DO UPDATE SET
    issued_before_ms = CASE WHEN rule.expires_at_ms <= $6 THEN EXCLUDED.issued_before_ms ELSE GREATEST(rule.issued_before_ms, EXCLUDED.issued_before_ms) END,
    expires_at_ms = GREATEST(rule.expires_at_ms, EXCLUDED.expires_at_ms)
  RETURNING 1
)
SELECT pg_notify($7, $8) FROM stored`;
}

/** The rules naming a token's `jti` or subject, one index lookup. $1 digests, $2 now. */
export function findRulesSql({ table }: TableNames): string {
  return `SELECT kind, issued_before_ms FROM ${table} WHERE digest = ANY($1::bytea[]) AND expires_at_ms > $2`;
}

/** One rule by digest, for a notice too large to carry it. $1 digest. */
export function ruleByDigestSql({ table }: TableNames): string {
  return `SELECT kind, id, issued_before_ms, expires_at_ms FROM ${table} WHERE digest = $1`;
}

/**
 * Deletes up to $2 rules expired by $1, the oldest first, skipping rows another node is
 * deleting: nodes sweeping at once never wait on each other. `= ANY(ARRAY(…))` keeps it two
 * index scans; `IN (…)` lets the planner join against a scan of the whole table.
 */
export function sweepSql({ table }: TableNames): string {
  return `DELETE FROM ${table} WHERE digest = ANY(ARRAY(SELECT digest FROM ${table} WHERE expires_at_ms <= $1 ORDER BY expires_at_ms LIMIT $2 FOR UPDATE SKIP LOCKED))`;
}
