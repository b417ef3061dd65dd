import type { Socket } from 'socket.io';
import { UnauthorizedError } from './errors.js';
import type { JwtClaims } from './options.js';

/** Decides from the socket's current claims whether an event (or room) is allowed. */
export type ClaimPredicate<Claims = JwtClaims> = (claims: Claims, name: string) => boolean;

/**
 * Claims required for events and rooms. Keys are exact names or patterns where `*`
 * matches any run of characters (`'admin:*'`, `'org:*'`). Every matching rule must pass.
 */
export interface ClaimGuards<Claims = JwtClaims> {
  /** Events the client may emit only with these claims; a refusal answers the acknowledgement. */
  events?: Record<string, ClaimPredicate<Claims>>;
  /** Rooms the socket may be in only with these claims; `socket.join()` skips a refused room. */
  rooms?: Record<string, ClaimPredicate<Claims>>;
}

interface CompiledRule {
  pattern: RegExp;
  label: string;
  allows: ClaimPredicate<unknown>;
}

export interface CompiledGuards {
  events: CompiledRule[];
  rooms: CompiledRule[];
}

/** What an acknowledgement receives when sockjwt refuses a request. */
export interface AckRefusal {
  ok: false;
  message: string;
  data: UnauthorizedError['data'];
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

/** The refusal for `name` under the given claims, or undefined when every matching rule allows it. */
function refusalFor(rules: readonly CompiledRule[], claims: unknown, name: string, kind: 'event' | 'room'): UnauthorizedError | undefined {
  for (const rule of rules) {
    if (!rule.pattern.test(name)) continue;
    let allowed = false;
    try {
      // An anonymous socket (required: false) has no claims and passes no guard.
      allowed = claims !== undefined && rule.allows(claims, name) === true;
    } catch {
      allowed = false;
    }
    if (!allowed) return new UnauthorizedError('forbidden', 'claim_required', `${kind} "${name}" requires claims this token does not have`);
  }
  return undefined;
}

export function ackRefusal(error: UnauthorizedError): AckRefusal {
  return { ok: false, ...error.toJSON() };
}

const guardedSockets = new WeakMap<Socket, { guards: CompiledGuards; claims: () => unknown }>();

/**
 * Enforces the guards on one authenticated socket, always against its current claims,
 * so a refresh that changes them changes what the socket may do.
 */
export function installGuards(socket: Socket, guards: CompiledGuards, claims: () => unknown): void {
  guardedSockets.set(socket, { guards, claims });
  if (guards.events.length > 0) {
    socket.use((packet, next) => {
      const [event, ...args] = packet as [string, ...unknown[]];
      const refusal = refusalFor(guards.events, claims(), event, 'event');
      if (!refusal) return next();
      const ack = args[args.length - 1];
      if (typeof ack === 'function') ack(ackRefusal(refusal));
    });
  }
  if (guards.rooms.length > 0) {
    const instance = socket as unknown as Record<string, unknown>;
    const join = Object.getPrototypeOf(socket).join as Socket['join'];
    instance['join'] = (rooms: string | string[]) => join.call(socket, [rooms].flat().filter((room) => !refusalFor(guards.rooms, claims(), room, 'room')));
  }
  leaveForbiddenRooms(socket);
}

/** A socket admitted without a token (`required: false`) passes no guard. */
export function guardAnonymous(socket: Socket, settings: { guards: CompiledGuards | undefined }): void {
  if (settings.guards) installGuards(socket, settings.guards, () => undefined);
}

/**
 * Why `socket` may not join `room`, or undefined if it may: for the app's own join handler
 * to answer the client (`ack(ackRefusal(error))`).
 */
export function roomRefusal(socket: Socket<any, any, any, any>, room: string): UnauthorizedError | undefined {
  const guarded = guardedSockets.get(socket as Socket);
  if (!guarded) return undefined;
  return refusalFor(guarded.guards.rooms, guarded.claims(), room, 'room');
}

/** After a refresh (or on admission), rooms the current claims no longer allow are left. */
export function leaveForbiddenRooms(socket: Socket): void {
  const guarded = guardedSockets.get(socket);
  if (!guarded || guarded.guards.rooms.length === 0) return;
  for (const room of socket.rooms) {
    if (room !== socket.id && refusalFor(guarded.guards.rooms, guarded.claims(), room, 'room')) void socket.leave(room);
  }
}
