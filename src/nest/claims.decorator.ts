import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { JwtClaims } from '../index.js';
import { claimsOf } from './claims-of.js';

const claimsParam = createParamDecorator((name: string | undefined, context: ExecutionContext) => {
  const claims = claimsOf(context.switchToWs().getClient<Socket>()) as Record<string, unknown> | undefined;
  return name === undefined ? claims : claims?.[name];
});

/**
 * The socket's current claims (a refreshed token's, once it is refreshed), or one of them, for a
 * `@SubscribeMessage` handler. Name your claims type to have the claim name checked:
 *
 * @example
 * ```ts
 * @SubscribeMessage('whoami')
 * whoami(@Claims() claims: MyClaims, @Claims<MyClaims>('sub') sub: string) {}
 * ```
 */
export function Claims<C extends object = JwtClaims>(name?: keyof C & string): ParameterDecorator {
  return claimsParam(name);
}
