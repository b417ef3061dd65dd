import { applyDecorators, Catch, UseFilters, UseGuards, type ArgumentsHost, type CanActivate, type ExceptionFilter, type ExecutionContext } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { ackRefusal, eventRefusal, type UnauthorizedError } from '../index.js';
import type { ClaimPredicate, JwtClaims } from '../index.js';
import { claimsOf } from './claims-of.js';

/**
 * A handler refused by `ClaimsGuard`; carries sockjwt's refusal (`forbidden` / `claim_required`).
 * Without `ClaimsRefusalFilter`, Nest's own filter emits it as an `exception` event.
 *
 * @example
 * ```ts
 * @Catch(ClaimsRefusedException)
 * class MyFilter implements ExceptionFilter {
 *   catch(exception: ClaimsRefusedException) { logger.warn(exception.refusal.data); }
 * }
 * ```
 */
export class ClaimsRefusedException extends WsException {
  constructor(readonly refusal: UnauthorizedError) {
    super(ackRefusal(refusal));
  }
}

/**
 * Judges the socket's current claims with a predicate of the shape of sockjwt's `guards`:
 * `(claims, event) => boolean`. A socket without claims, a predicate that throws or returns
 * anything but `true`, refuses. Use it through `@RequireClaims()`, which also answers the client.
 *
 * @example
 * ```ts
 * @UseGuards(new ClaimsGuard<MyClaims>((claims) => claims.role === 'admin'))
 * @UseFilters(new ClaimsRefusalFilter())
 * @SubscribeMessage('admin:kick')
 * kick() {}
 * ```
 */
export class ClaimsGuard<C = JwtClaims> implements CanActivate {
  constructor(private readonly allows: ClaimPredicate<C>) {}

  canActivate(context: ExecutionContext): boolean {
    const ws = context.switchToWs();
    const event = String(ws.getPattern());
    const claims = claimsOf(ws.getClient<Socket>()) as C | undefined;
    if (claims !== undefined && this.judge(claims, event)) return true;
    throw new ClaimsRefusedException(eventRefusal(event));
  }

  private judge(claims: C, event: string): boolean {
    try {
      return this.allows(claims, event) === true;
    } catch {
      return false;
    }
  }
}

/**
 * Answers a refused event as sockjwt's own guards do: the acknowledgement, if the client asked
 * for one, receives `{ ok: false, message, data: { code: 'forbidden', reason: 'claim_required' } }`;
 * nothing else reaches the client. `@RequireClaims()` applies it with the guard.
 *
 * @example
 * ```ts
 * @UseFilters(new ClaimsRefusalFilter())
 * @WebSocketGateway()
 * export class AdminGateway {}
 * ```
 */
export class ClaimsRefusalFilter implements ExceptionFilter<ClaimsRefusedException> {
  catch(exception: ClaimsRefusedException, host: ArgumentsHost): void {
    // A ws handler's arguments: [socket, data, ack?, pattern]; the ack is the one function.
    const ack = host.getArgs().slice(1).find((arg): arg is (answer: unknown) => void => typeof arg === 'function');
    ack?.(ackRefusal(exception.refusal));
  }
}
// As `@Catch(ClaimsRefusedException)` would: every other error goes on to Nest's own filters.
Catch(ClaimsRefusedException)(ClaimsRefusalFilter);

/**
 * Allows a `@SubscribeMessage` handler (or every handler of a gateway) only to sockets whose
 * current claims pass `allows`, and refuses the others the sockjwt way.
 *
 * @example
 * ```ts
 * @RequireClaims<MyClaims>((claims) => claims.role === 'admin')
 * @SubscribeMessage('admin:kick')
 * kick() {}
 * ```
 */
export function RequireClaims<C = JwtClaims>(allows: ClaimPredicate<C>): MethodDecorator & ClassDecorator {
  if (typeof allows !== 'function') throw new TypeError('sockjwt/nest: RequireClaims() takes a predicate (claims, event) => boolean');
  return applyDecorators(UseGuards(new ClaimsGuard(allows)), UseFilters(new ClaimsRefusalFilter()));
}
