// docs/postgres.md stays true: its setup block runs as written against a PostgreSQL of the
// test's own, and its DDL is the store's, executed and used by a store that creates nothing.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { PostgresRevocationStore } from '../src/postgres/index.js';
import { createTableSql, tableNames } from '../src/postgres/schema.js';
import { privatePostgres } from './postgres-support.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const guide = readFileSync(new URL('../docs/postgres.md', import.meta.url), 'utf8');
const blocks = (language: string) => [...guide.matchAll(new RegExp('```' + language + '(?: [^\\n]*)?\\n([\\s\\S]*?)```', 'g'))].map((match) => match[1]!);
const words = (sql: string) => sql.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();

describe('docs/postgres.md', { timeout: 60_000 }, () => {
  test('the setup block runs as written (sockjwt/postgres from the built package)', async (t) => {
    const server = await privatePostgres(t);
    const [setup] = blocks('js');
    assert.ok(setup?.includes('new PostgresCluster(io'), 'the first js block is the setup');
    // At the package root, so that `sockjwt` resolves to this package (npm test builds it first).
    const file = `${root}.postgres-docs-${process.pid}.mjs`;
    writeFileSync(file, `${setup}\nconsole.log('sessions', auth.sessionCount, 'connected', cluster.connected);\n`);
    t.after(() => rmSync(file, { force: true }));
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root, env: { ...process.env, PORT: '0', DATABASE_URL: server.url, JWT_SECRET: 'a-secret-of-thirty-two-bytes-or-more!!' }, timeout: 30_000 });
    assert.match(stdout, /sessions 0 connected false/, 'ran to the end, and closed');
    const [table] = await server.query(`SELECT to_regclass('sockjwt_revocations') AS store, to_regclass('socket_io_attachments') AS adapter`);
    assert.deepEqual(table, { store: 'sockjwt_revocations', adapter: 'socket_io_attachments' });
  });

  test('the DDL is the store\'s own, and a store that creates nothing works on it', async (t) => {
    const [ddl] = blocks('sql');
    assert.equal(words(ddl!), words(createTableSql(tableNames('sockjwt_revocations')).map((statement) => `${statement};`).join('\n')));
    const server = await privatePostgres(t);
    await server.query(ddl!);
    const pool = new pg.Pool({ connectionString: server.url });
    pool.on('error', () => {});
    const store = new PostgresRevocationStore({ pool, createTable: false });
    t.after(async () => {
      await store.close();
      await pool.end();
    });
    await store.listening;
    await store.add({ sub: 'user-42', issuedBefore: Date.now(), expiresAt: Date.now() + 60_000 });
    assert.equal(await store.isRevoked({ sub: 'user-42' }), true);
  });
});
