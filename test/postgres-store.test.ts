// PostgresRevocationStore on a real PostgreSQL of the test's own: what rules cover, that they
// are never weakened, swept when expired, kept across a crash, heard by the other stores, and
// that ids an attacker chose are data, never SQL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { after, before, describe, test, type TestContext } from 'node:test';
import pg from 'pg';
import { PostgresRevocationStore, type PostgresRevocationStoreOptions } from '../src/postgres/index.js';
import { findRulesSql, sweepSql, tableNames } from '../src/postgres/schema.js';
import { MAX_RULE_LIFETIME_MS, storedRule } from '../src/revocation/revocation.js';
import type { StoredRule } from '../src/types.js';
import { privatePostgres, type PostgresProcess } from './postgres-support.js';
import { numbersAndStringsAreOneIdentity, subjectRuleCoversUpToItsCutOff } from './store-rules.js';
import { nowSeconds } from './support.js';

const inSeconds = (ms: number) => Math.floor(ms / 1000);

let server: PostgresProcess;
const cleanups: (() => unknown)[] = [];
before(async () => {
  server = await privatePostgres({ after: (fn: () => unknown) => void cleanups.push(fn) } as never);
});
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

/** A pool and a store on a table of the test's own; both closed after. */
async function storeOn(t: TestContext, options: Partial<PostgresRevocationStoreOptions> = {}) {
  const pool = new pg.Pool({ connectionString: server.url, max: 4 });
  pool.on('error', () => {});
  const tableName = options.tableName ?? `rules_${randomUUID().replaceAll('-', '')}`;
  const store = new PostgresRevocationStore({ pool, tableName, ...options });
  t.after(async () => {
    await store.close();
    await pool.end();
  });
  await store.listening;
  return { store, pool, tableName };
}

/** The next rule `store` hears announced. */
function nextRule(store: PostgresRevocationStore): Promise<StoredRule> {
  return new Promise((resolve) => {
    const stop = store.subscribe((rule) => {
      stop();
      resolve(rule);
    });
  });
}

describe('PostgresRevocationStore', { timeout: 60_000 }, () => {
  test('a jti rule covers that token only; a subject rule covers tokens issued up to its cut-off', async (t) => {
    const { store } = await storeOn(t);
    const jti = randomUUID();
    await store.add({ jti, expiresAt: Date.now() + 30_000 });
    assert.equal(await store.isRevoked({ jti, sub: 'ann' }), true);
    assert.equal(await store.isRevoked({ jti: randomUUID(), sub: 'ann' }), false);
    await subjectRuleCoversUpToItsCutOff(store);
  });

  test('numbers and strings are one identity', async (t) => {
    const { store } = await storeOn(t);
    await numbersAndStringsAreOneIdentity(store);
  });

  test('a later, weaker rule neither moves the cut-off back nor shortens the life; an expired one does not count', async (t) => {
    const { store, tableName } = await storeOn(t);
    const now = Date.now();
    await store.add({ sub: 'dan', issuedBefore: now, expiresAt: now + 60_000 });
    await store.add({ sub: 'dan', issuedBefore: now - 30_000, expiresAt: now + 5_000 });
    assert.equal(await store.isRevoked({ sub: 'dan', iat: inSeconds(now) - 10 }), true);
    const [row] = await server.query<{ expires_at_ms: string }>(`SELECT expires_at_ms FROM ${tableName} WHERE kind = 'sub'`);
    assert.equal(Number(row!.expires_at_ms), now + 60_000);
    // An expired row the sweep has not reached yet: a new rule for the subject stands alone.
    await server.query(`UPDATE ${tableName} SET expires_at_ms = $1, issued_before_ms = $2`, [now - 1, now + 3_600_000]);
    await store.add({ sub: 'dan', issuedBefore: now - 30_000, expiresAt: now + 5_000 });
    assert.equal(await store.isRevoked({ sub: 'dan', iat: inSeconds(now) - 10 }), false, 'the expired row\'s later cut-off is gone');
  });

  test('expired rules are not stored, not matched, and swept in bounded batches', async (t) => {
    const { store, tableName } = await storeOn(t);
    await store.add({ jti: 'old', expiresAt: Date.now() - 1 });
    assert.equal((await server.query(`SELECT 1 FROM ${tableName}`)).length, 0);
    await server.query(`INSERT INTO ${tableName} (digest, kind, id, issued_before_ms, expires_at_ms) SELECT sha256(('jti:' || g)::bytea), 'jti', g::text::bytea, 0, $1 FROM generate_series(1, 2500) g`, [Date.now() - 1000]);
    await store.add({ jti: 'live', expiresAt: Date.now() + 60_000 });
    assert.equal(await store.isRevoked({ jti: '1' }), false, 'an expired rule no longer covers its token');
    assert.equal(await store.sweep(), 2500);
    assert.deepEqual(await server.query(`SELECT kind, convert_from(id, 'UTF8') AS id FROM ${tableName}`), [{ kind: 'jti', id: 'live' }]);
  });

  test('each check is one indexed lookup, and the sweep uses the expiry index', async (t) => {
    const { store, tableName } = await storeOn(t);
    await store.add({ jti: 'x', expiresAt: Date.now() + 60_000 });
    await server.query(`INSERT INTO ${tableName} (digest, kind, id, issued_before_ms, expires_at_ms) SELECT sha256(('sub:' || g)::bytea), 'sub', g::text::bytea, 0, $1::bigint + g FROM generate_series(1, 20000) g`, [Date.now()]);
    await server.query(`ANALYZE ${tableName}`);
    const names = tableNames(tableName);
    const plan = async (sql: string, values: unknown[]) => (await server.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, values)).map((row) => row['QUERY PLAN']).join('\n');
    const check = await plan(findRulesSql(names), [[Buffer.alloc(32, 1), Buffer.alloc(32, 2)], Date.now()]);
    assert.match(check, /Index Scan (using|on) \w+_pkey/);
    assert.doesNotMatch(check, /Seq Scan/);
    const sweep = await plan(sweepSql(names), [Date.now() + 10, 1000]);
    assert.match(sweep, /Index Scan using \w+_expires_at/);
    assert.doesNotMatch(sweep, /Seq Scan/);
  });

  test('hostile ids are bound parameters: SQL-shaped, NUL bytes, Unicode, 1 MB; the table survives and each is found', async (t) => {
    const { store, tableName } = await storeOn(t);
    const hostile = [
      "'; DROP TABLE " + tableName + '; --',
      `"); DELETE FROM ${tableName}; --`,
      'a\u0000b',
      '\u0000',
      'zürich-東京-🙂',
      '\ud83d\ude00\u202e',
      '$1',
      '\\x00',
      'x'.repeat(1_000_000),
    ];
    const cutOff = Date.now();
    for (const id of hostile) {
      await store.add({ jti: id, expiresAt: Date.now() + 60_000 });
      await store.add({ sub: id, issuedBefore: cutOff, expiresAt: Date.now() + 60_000 });
    }
    for (const id of hostile) {
      assert.equal(await store.isRevoked({ jti: id }), true, `jti ${JSON.stringify(id.slice(0, 40))}`);
      assert.equal(await store.isRevoked({ sub: id, iat: inSeconds(cutOff) - 1 }), true, `sub ${JSON.stringify(id.slice(0, 40))}`);
    }
    assert.equal(await store.isRevoked({ jti: 'a' }), false, 'a NUL byte does not end the id');
    assert.equal(await store.isRevoked({ jti: 'a\u0000c' }), false);
    assert.equal(await store.isRevoked({ jti: 'x'.repeat(999_999) }), false);
    const [{ count }] = (await server.query<{ count: string }>(`SELECT count(*) FROM ${tableName}`)) as [{ count: string }];
    assert.equal(Number(count), hostile.length * 2);
    const ids = await server.query<{ id: Buffer }>(`SELECT id FROM ${tableName} WHERE kind = 'jti'`);
    assert.deepEqual(ids.map((row) => row.id.toString()).sort(), [...hostile].sort(), 'stored byte for byte');
  });

  test('a hostile table name is refused at construction; bad options are RangeErrors', () => {
    const pool = new pg.Pool({ connectionString: server.url });
    for (const tableName of ['x; DROP TABLE y', 'a"b', 'a.b.c', '', '1abc', 'x'.repeat(64)]) {
      assert.throws(() => new PostgresRevocationStore({ pool, tableName }), TypeError, tableName);
    }
    assert.throws(() => new PostgresRevocationStore({} as never), TypeError);
    assert.throws(() => new PostgresRevocationStore({ pool, commandTimeoutMs: 0 }), RangeError);
    assert.throws(() => new PostgresRevocationStore({ pool, retentionMs: -1 }), RangeError);
  });

  test('a huge exp (1e15 s, 1e308 s, Infinity given directly) is stored and announced, kept MAX_RULE_LIFETIME_MS, as in the other stores', async (t) => {
    const { store, tableName } = await storeOn(t);
    const { store: other } = await storeOn(t, { tableName });
    const heard: StoredRule[] = [];
    other.subscribe((rule) => heard.push(rule));
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const start = Date.now();
    await store.add(storedRule({ jti: a, exp: 1e15 }, store.retentionMs, Date.now()));
    await store.add(storedRule({ sub: b, exp: 1e308 }, store.retentionMs, Date.now()));
    await store.add({ jti: c, expiresAt: Infinity });
    assert.deepEqual([await store.isRevoked({ jti: a }), await store.isRevoked({ sub: b, iat: 0 }), await store.isRevoked({ jti: c })], [true, true, true]);
    const kept = await server.query<{ expires_at_ms: string }>(`SELECT expires_at_ms FROM ${tableName}`);
    assert.equal(kept.length, 3);
    for (const { expires_at_ms } of kept) assert.ok(Number(expires_at_ms) >= start + MAX_RULE_LIFETIME_MS && Number(expires_at_ms) <= Date.now() + MAX_RULE_LIFETIME_MS, `expires_at_ms ${expires_at_ms}`);
    while (heard.length < 3) await nextRule(other);
    for (const rule of heard) assert.ok(rule.expiresAt >= start + MAX_RULE_LIFETIME_MS && rule.expiresAt <= Date.now() + MAX_RULE_LIFETIME_MS);
  });

  test('another store on the table hears each rule, announced by PostgreSQL at commit; a rule too large to announce is read back', async (t) => {
    const { store, tableName } = await storeOn(t);
    const { store: other } = await storeOn(t, { tableName });
    const rule = { sub: 'erin', issuedBefore: Date.now(), expiresAt: Date.now() + 60_000 };
    const heard = nextRule(other);
    await store.add(rule);
    assert.deepEqual(await heard, rule);
    const huge = { jti: `j-${'é'.repeat(20_000)}`, expiresAt: Date.now() + 60_000 };
    const heardHuge = nextRule(other);
    await store.add(huge);
    assert.deepEqual(await heardHuge, huge);
    // A rule written by any session, in one statement with its notice: nobody has to stay alive to announce it.
    const heardDirect = nextRule(other);
    const direct = new pg.Client({ connectionString: server.url });
    await direct.connect();
    await direct.query('SELECT pg_notify($1, $2)', [tableName, JSON.stringify({ rule: { jti: 'from-sql', expiresAt: 1e13 } })]);
    await direct.end();
    assert.deepEqual(await heardDirect, { jti: 'from-sql', expiresAt: 1e13 });
  });

  test('malformed notices on the channel are ignored', async (t) => {
    const { store, tableName } = await storeOn(t);
    const heard: StoredRule[] = [];
    store.subscribe((rule) => heard.push(rule));
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    for (const payload of ['not json', '{}', '{"rule":{"jti":1}}', '{"digest":"zz"}', `{"digest":"${'0'.repeat(64)}"}`, 'null']) await client.query('SELECT pg_notify($1, $2)', [tableName, payload]);
    const last = nextRule(store);
    await client.query('SELECT pg_notify($1, $2)', [tableName, JSON.stringify({ rule: { jti: 'sentinel', expiresAt: 1e13 } })]);
    await client.end();
    await last;
    assert.deepEqual(heard, [{ jti: 'sentinel', expiresAt: 1e13 }], 'only the well-formed notice, heard after the others');
  });

  test('rules outlive a SIGKILL of PostgreSQL; meanwhile checks fail at once, and the store listens again alone', async (t) => {
    const own = await privatePostgres(t);
    const pool = new pg.Pool({ connectionString: own.url, connectionTimeoutMillis: 1000 });
    pool.on('error', () => {});
    const warnings: string[] = [];
    const logger = { warn: (_: object, message: string) => warnings.push(message), info: (_: object, message: string) => warnings.push(message) };
    const store = new PostgresRevocationStore({ pool, heartbeatMs: 200, logger });
    t.after(async () => {
      await store.close();
      await pool.end();
    });
    await store.listening;
    let missed = 0;
    store.onMissedRules(() => missed++);
    // Registered before the restart: the store may listen again before start() has seen the server answer.
    const back = new Promise<void>((resolve) => store.onMissedRules(() => resolve()));
    const jti = randomUUID();
    await store.add({ jti, expiresAt: Date.now() + 60_000 });
    await store.add({ sub: 'mallory', issuedBefore: Date.now(), expiresAt: Date.now() + 60_000 });

    await own.kill();
    while (store.connected) await new Promise((resolve) => setImmediate(resolve));
    const started = performance.now();
    await assert.rejects(store.isRevoked({ jti }), /not connected/);
    assert.ok(performance.now() - started < 100, 'refused at once, not queued');
    await assert.rejects(store.add({ jti: 'during', expiresAt: Date.now() + 60_000 }));

    await own.start();
    await back;
    assert.equal(await store.isRevoked({ jti }), true, 'the jti rule is back');
    assert.equal(await store.isRevoked({ sub: 'mallory', iat: nowSeconds() - 5 }), true, 'the subject rule is back');
    assert.equal(missed, 1, 'sessions are asked to check again once');
    assert.equal(warnings.filter((w) => /unavailable/.test(w)).length, 1, `the outage is logged once: ${warnings.join(' | ')}`);
    assert.equal(warnings.filter((w) => /again/.test(w)).length, 1, 'the recovery once');
  });

  test('a check slower than commandTimeoutMs counts as unavailable: a table locked by another session does not hold it', async (t) => {
    const { store, tableName } = await storeOn(t, { commandTimeoutMs: 300 });
    const locker = new pg.Client({ connectionString: server.url });
    await locker.connect();
    t.after(() => locker.end());
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${tableName} IN ACCESS EXCLUSIVE MODE`);
    const started = performance.now();
    await assert.rejects(store.isRevoked({ jti: 'x' }), /did not answer within 300 ms/);
    assert.ok(performance.now() - started < 2000);
    await locker.query('ROLLBACK');
  });
});

