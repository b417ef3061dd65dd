import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArgumentsHost, ExecutionContext } from '@nestjs/common';
import { ClaimsGuard, ClaimsRefusalFilter, ClaimsRefusedException } from '../../../src/nest/index.js';
import { UnauthorizedError, type ClaimPredicate } from '../../../src/index.js';

/** ClaimsGuard and ClaimsRefusalFilter over a fake socket and a fake ws context. */

const socketWith = (claims: unknown) => ({ nsp: {}, data: claims === undefined ? {} : { decoded_token: claims } });

function wsContext(claims: unknown, event: string, args: unknown[] = []): ExecutionContext {
  const client = socketWith(claims);
  return {
    switchToWs: () => ({ getClient: () => client, getData: () => undefined, getPattern: () => event }),
    getArgs: () => [client, undefined, ...args, event],
  } as unknown as ExecutionContext;
}

function refusalOf(predicate: ClaimPredicate<any>, claims: unknown, event = 'admin:kick'): UnauthorizedError | undefined {
  try {
    new ClaimsGuard(predicate).canActivate(wsContext(claims, event));
    return undefined;
  } catch (error) {
    assert.ok(error instanceof ClaimsRefusedException, `threw ${String(error)}`);
    return error.refusal;
  }
}

describe('ClaimsGuard', () => {
  it('lets claims that pass through, handing the predicate the claims and the event', () => {
    const seen: unknown[] = [];
    assert.equal(refusalOf((claims, event) => (seen.push(claims, event), true), { role: 'admin' }), undefined);
    assert.deepEqual(seen, [{ role: 'admin' }, 'admin:kick']);
  });

  for (const [name, predicate, claims] of [
    ['claims that fail', () => false, { role: 'member' }],
    ['a truthy answer that is not true', () => 'yes' as unknown as boolean, { role: 'admin' }],
    ['a predicate that throws', () => { throw new Error('boom'); }, { role: 'admin' }],
    ['a socket without claims', () => true, undefined],
  ] as const) {
    it(`refuses ${name} with forbidden / claim_required naming the event`, () => {
      const refusal = refusalOf(predicate as ClaimPredicate, claims);
      assert.ok(refusal);
      assert.deepEqual([refusal.code, refusal.reason], ['forbidden', 'claim_required']);
      assert.match(refusal.message, /event "admin:kick"/);
      assert.doesNotMatch(refusal.message, /boom/);
    });
  }
});

describe('ClaimsRefusalFilter', () => {
  const refused = new ClaimsRefusedException(new UnauthorizedError('forbidden', 'claim_required', 'event "x" requires claims this token does not have'));

  it('answers the acknowledgement with { ok: false, message, data }', () => {
    const answers: unknown[] = [];
    new ClaimsRefusalFilter().catch(refused, wsContext({}, 'x', [(answer: unknown) => answers.push(answer)]) as unknown as ArgumentsHost);
    assert.deepEqual(answers, [{ ok: false, message: refused.refusal.message, data: refused.refusal.data }]);
  });

  it('sends nothing when the client asked for no acknowledgement', () => {
    const emitted: unknown[] = [];
    const host = wsContext({}, 'x') as unknown as ArgumentsHost & { getArgs(): unknown[] };
    const [client] = host.getArgs() as [{ emit?: unknown }];
    client.emit = (...args: unknown[]) => emitted.push(args);
    new ClaimsRefusalFilter().catch(refused, host);
    assert.deepEqual(emitted, []);
  });

  it('catches only ClaimsRefusedException (Nest reads @Catch metadata)', () => {
    assert.deepEqual(Reflect.getMetadata('__filterCatchExceptions__', ClaimsRefusalFilter), [ClaimsRefusedException]);
  });
});
