import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { behavioursIn, client, CONCURRENCY, conformance, key, NAIVE_PASSES, RUN_TIMEOUT_MS } from './conformance-support.js';

// One mode per file: a naive client never exits by itself, so every scenario waits out its limits.
const MODE = 'message';
const children: ChildProcess[] = [];

describe(`npm run conformance against a naive client, ${MODE} mode`, () => {
  after(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('fails it exactly where it should, and exits 1', { timeout: RUN_TIMEOUT_MS }, async () => {
    const run = await conformance(['--json', '--mode', MODE, '--concurrency', String(CONCURRENCY), '--client', client('naive-client.mjs')], children);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.results.length, behavioursIn(MODE));
    assert.deepEqual(run.results.filter((r) => r.pass).map(key).sort(), NAIVE_PASSES.map((pass) => `${MODE}/${pass}`).sort());
    const why = new Map(run.results.map((r) => [key(r), r.detail]));
    assert.equal(why.get(`${MODE}/refresh/refreshes-in-place`), '0 refreshes on the first socket, 1 disconnects, 1 connections');
    assert.equal(why.get(`${MODE}/revoked/reports-revoked`), 'reported nothing');
    assert.equal(why.get(`${MODE}/connection-lost/fresh-token-on-reconnect`), 'reconnected with the token it already had');
    assert.equal(why.get(`${MODE}/transient/retries-after-transient`), 'never connected');
    assert.equal(why.get(`${MODE}/token-source-down/no-attempt-without-token`), '1 attempts without a token');
    assert.equal(why.get(`${MODE}/refresh-rate-limited/honours-refresh-retry-after`), 'no refresh was rate limited');
    assert.equal(why.get('message/expired-token/acknowledges-unauthorized'), 'no acknowledgement: the server held the socket until its callback limit');
    assert.equal(why.get('message/message-timeout/reconnects-after-timeout'), 'never connected with a new token');
  });
});
