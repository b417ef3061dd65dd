import type { Socket } from 'socket.io';
import { UnauthorizedError } from '../errors/errors.js';
import { gateOf } from '../socketio/socketio-seams.js';
import * as refuse from '../errors/refusals.js';
import type { AckRefusal, ClaimGuards, ClaimPredicate } from '../types.js';

interface CompiledRule {
  pattern: RegExp;
  label: string;
  allows: ClaimPredicate<unknown>;
}

export interface CompiledGuards {
  events: CompiledRule[];
  rooms: CompiledRule[];
}

export function compileGuards(guards: ClaimGuards<any> | undefined): CompiledGuards | undefined {
  if (guards === undefined) return undefined;
  if (typeof guards !== 'object' || guards === null) throw new TypeError('sockjwt: "guards" must be { events?, rooms? }');
  for (const key of Object.keys(guards)) {
    if (key !== 'events' && key !== 'rooms') throw new TypeError(`sockjwt: unknown guards key "${key}"`);
  }
  return { events: compileRules(guards.events, 'events'), rooms: compileRules(guards.rooms, 'rooms') };
}

function compileRules(rules: Record<string, ClaimPredicate<any>> | undefined, kind: string): CompiledRule[] {
  if (rules === undefined) return [];
  if (typeof rules !== 'object' || rules === null) throw new TypeError(`sockjwt: "guards.${kind}" must be an object of pattern → predicate`);
  return Object.entries(rules).map(([label, allows]) => {
    if (typeof allows !== 'function') throw new TypeError(`sockjwt: "guards.${kind}['${label}']" must be a function`);
    return { pattern: patternOf(label), label, allows };
  });
}

function patternOf(label: string): RegExp {
  const source = label.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`, 's');
}

/**
 * The refusal for `name` under the socket's current claims, or undefined when every matching
 * rule allows it. An anonymous socket (`required: false`) has no claims and passes no guard.
 * A predicate that throws refuses.
 */
export function guardRefusal(guards: CompiledGuards | undefined, claims: unknown, name: string | number, kind: 'event' | 'room' = 'event'): UnauthorizedError | undefined {
  if (guards === undefined) return undefined;
  const label = String(name);
  for (const rule of kind === 'event' ? guards.events : guards.rooms) {
    if (!rule.pattern.test(label)) continue;
    let allowed = false;
    try {
      allowed = claims !== undefined && rule.allows(claims, label) === true;
    } catch {
      allowed = false;
    }
    if (!allowed) return refuse.claimRequired(kind, label);
  }
  return undefined;
}

/**
 * The acknowledgement that tells a client why a guarded call was refused, as sockjwt's own guards answer.
 *
 * @example
 * ```ts
 * socket.on('delete', (id, ack) => {
 *   const refusal = roomRefusal(socket, `doc:${id}`);
 *   if (refusal) return ack(ackRefusal(refusal)); // { ok: false, message, data: { code: 'forbidden', reason: 'claim_required', … } }
 *   ack({ ok: true });
 * });
 * ```
 */
export function ackRefusal(error: UnauthorizedError): AckRefusal {
  return { ok: false, ...error.toJSON() };
}

/**
 * Why `socket` may not join `room`, or undefined if it may: for the app's own join handler
 * to answer the client (`ack(ackRefusal(error))`).
 *
 * @example
 * ```ts
 * const refusal = roomRefusal(socket, 'admins');
 * if (!refusal) socket.join('admins');
 * ```
 */
export function roomRefusal(socket: Socket<any, any, any, any>, room: string): UnauthorizedError | undefined {
  return gateOf(socket as Socket)?.roomRefusal(room) as UnauthorizedError | undefined;
}

/**
 * The refusal sockjwt's guards give an event the socket's claims do not allow (`forbidden`,
 * `claim_required`), for a guard of the app's own (sockjwt/nest's `@RequireClaims()` uses it)
 * to answer the client the same way.
 *
 * @example
 * ```ts
 * socket.on('admin:kick', (id, ack) => {
 *   if (!isAdmin(socket)) return ack(ackRefusal(eventRefusal('admin:kick'))); // { ok: false, message, data: { code: 'forbidden', reason: 'claim_required' } }
 * });
 * ```
 */
export function eventRefusal(event: string): UnauthorizedError {
  return refuse.claimRequired('event', event);
}

/** After a refresh, rooms the new claims no longer allow are left. */
export function leaveForbiddenRooms(socket: Socket, guards: CompiledGuards | undefined, claims: unknown): void {
  if (!guards || guards.rooms.length === 0) return;
  for (const room of socket.rooms) {
    if (room !== socket.id && guardRefusal(guards, claims, room, 'room')) void socket.leave(room);
  }
}
