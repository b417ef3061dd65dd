// The verified-token cache (option verifiedTokenCache): hits only inside the window in which
// verification would succeed again, never for failures, keyed on the whole token, bounded.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { authorize } from '../src/index.js';
import { UnauthorizedError } from '../src/errors/errors.js';
import type { JwtClaims } from '../src/types.js';
import { withVerifiedTokenCache } from '../src/verify/token-cache.js';
import { createTokenVerifier } from '../src/verify/verify.js';
import { connected, nowSeconds, refusal, sign, startServer, SECRET } from './support.js';

const request = {} as IncomingMessage;
const defaults = { clockTolerance: 0, ignoreExpiration: false, ignoreNotBefore: false };

/** A verifier that counts its calls and answers with the payload it is given per token. */
function counting(payloads: Record<string, JwtClaims | Error>) {
  const calls: string[] = [];
  const verify = (_request: IncomingMessage, token: string): JwtClaims => {
    calls.push(token);
    const answer = payloads[token]!;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { calls, verify };
}

describe('verified-token cache', () => {
  it('answers a repeated token without verifying again, with a copy of the claims each time', () => {
    const { calls, verify } = counting({ a: { sub: 'u', exp: 2_000 } });
    const cached = withVerifiedTokenCache(verify, 10, defaults, () => 1_000_000);
    const first = cached(request, 'a') as JwtClaims;
    const second = cached(request, 'a') as JwtClaims;
    assert.deepEqual(calls, ['a']);
    assert.deepEqual(second, { sub: 'u', exp: 2_000 });
    assert.notEqual(first, second, 'sockets never share one claims object');
    (first as Record<string, unknown>)['role'] = 'admin';
    assert.equal((cached(request, 'a') as Record<string, unknown>)['role'], undefined);
  });

  it('verifies again from exp on (with clockTolerance), so the usual expired error comes back', () => {
    let now = 1_000_000;
    const { calls, verify } = counting({ a: { exp: 1_005 } });
    const cached = withVerifiedTokenCache(verify, 10, { ...defaults, clockTolerance: 2_000 }, () => now);
    cached(request, 'a');
    now = 1_006_999;
    cached(request, 'a');
    assert.equal(calls.length, 1, 'still inside exp + tolerance');
    now = 1_007_000;
    cached(request, 'a');
    assert.equal(calls.length, 2, 'at exp + tolerance the token is verified afresh');
  });

  it('does not serve a token before its nbf, nor past iat + maxAge', () => {
    let now = 1_000_000;
    const { calls, verify } = counting({ early: { nbf: 1_010 }, old: { iat: 999, exp: 9_999 } });
    const cached = withVerifiedTokenCache(verify, 10, { ...defaults, maxAge: 5_000 }, () => now);
    cached(request, 'early');
    cached(request, 'early');
    assert.equal(calls.filter((t) => t === 'early').length, 2, 'an entry before its nbf is not used');
    cached(request, 'old');
    now = 1_004_000;
    cached(request, 'old');
    assert.equal(calls.filter((t) => t === 'old').length, 2, 'iat + maxAge bounds the entry');
  });

  it('never keeps a failure', () => {
    const { calls, verify } = counting({ bad: new UnauthorizedError('invalid_token', 'bad_signature', 'invalid signature') });
    const cached = withVerifiedTokenCache(verify, 10, defaults);
    assert.throws(() => cached(request, 'bad'), UnauthorizedError);
    assert.throws(() => cached(request, 'bad'), UnauthorizedError);
    assert.equal(calls.length, 2);
  });

  it('holds at most maxEntries tokens, oldest out first', () => {
    const { calls, verify } = counting({ a: { sub: 'a' }, b: { sub: 'b' }, c: { sub: 'c' } });
    const cached = withVerifiedTokenCache(verify, 2, defaults);
    for (const token of ['a', 'b', 'c', 'c', 'b', 'a']) cached(request, token);
    assert.deepEqual(calls, ['a', 'b', 'c', 'a']);
  });

  it('keys on the whole token: a forged signature on a cached payload is refused', () => {
    const verify = createTokenVerifier(SECRET, undefined, defaults, { secretTimeoutMs: 1000, verifiedTokenCache: 10 });
    const token = sign({ sub: 'u' });
    assert.equal((verify(request, token) as JwtClaims).sub, 'u');
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${'A'.repeat(43)}`;
    assert.throws(() => verify(request, forged), (error: UnauthorizedError) => error.data.reason === 'bad_signature');
  });

  it('through authorize(): a reconnect with the same token is admitted, an expired one refused', async (t) => {
    const auth = authorize({ secret: SECRET, handshake: true, verifiedTokenCache: 100 });
    const { connect } = await startServer(t, (io) => io.use(auth));
    const token = sign({ sub: 'u', exp: nowSeconds() + 60 });
    for (let i = 0; i < 2; i++) {
      const client = connect('/', { auth: { token } });
      await connected(client);
      client.disconnect();
    }
    const expired = sign({ sub: 'u', exp: nowSeconds() - 10 });
    for (let i = 0; i < 2; i++) assert.equal((await refusal(connect('/', { auth: { token: expired } }))).data.reason, 'expired');
  });
});
