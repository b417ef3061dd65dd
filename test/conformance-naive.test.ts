import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { ALL_BEHAVIOURS, client, CONCURRENCY, conformance, key, RUN_TIMEOUT_MS } from './conformance-support.js';

const children: ChildProcess[] = [];

/** A naive client (plain socket.io-client, one token, no handling) passes only these, in each mode. */
const NAIVE_PASSES = ['connect/connects', 'expiry/keeps-socket-until-expiry', 'revoked/stops-on-revoked', 'bad-signature/stops-on-bad-signature', 'connection-lost/reconnects-after-connection-lost', 'server-disconnect/no-reconnect-after-server-disconnect'];

describe('npm run conformance against a naive client', () => {
  after(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('fails it exactly where it should, in both modes, and exits 1', { timeout: RUN_TIMEOUT_MS }, async () => {
    const run = await conformance(['--json', '--concurrency', String(CONCURRENCY), '--client', client('naive-client.mjs')], children);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.results.length, ALL_BEHAVIOURS);
    const expected = ['handshake', 'message'].flatMap((mode) => NAIVE_PASSES.map((pass) => `${mode}/${pass}`));
    assert.deepEqual(run.results.filter((r) => r.pass).map(key).sort(), expected.sort());
    const why = new Map(run.results.map((r) => [key(r), r.detail]));
    for (const mode of ['handshake', 'message']) {
      assert.equal(why.get(`${mode}/refresh/refreshes-in-place`), '0 refreshes on the first socket, 1 disconnects, 1 connections');
      assert.equal(why.get(`${mode}/revoked/reports-revoked`), 'reported nothing');
      assert.equal(why.get(`${mode}/connection-lost/fresh-token-on-reconnect`), 'reconnected with the token it already had');
      assert.equal(why.get(`${mode}/transient/retries-after-transient`), 'never connected');
    }
    assert.equal(why.get('message/expired-token/acknowledges-unauthorized'), 'no acknowledgement: the server held the socket until its callback limit');
  });
});
