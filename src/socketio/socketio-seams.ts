import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Namespace, Server, Socket } from 'socket.io';

/**
 * The one module that touches socket.io's internals. Everything sockjwt does to a socket
 * goes through here, in an order fixed for every socket of every mode:
 *
 *   a packet from the client → `onevent` (replaced per socket) → the session's `admitEvent`
 *   (the `authenticate` consumer, the hold, the claim guards) → only then socket.io's own
 *   `onevent`: the app's `onAny` listeners, its `socket.use()` middlewares, its handlers.
 *
 * socket.io runs `onAny` listeners before socket middlewares, and an app may install its
 * middlewares before ours; neither can be ordered from the outside, so the gate sits in
 * front of both. Every member used here exists from socket.io 4.0.0 to 4.8
 * (test/version-matrix.test.ts); what 4.6 added (connection state recovery) is detected.
 */

/** What socket.io's internals look like from here. Private in its typings, present in every 4.x. */
interface SocketInternals {
  onevent(packet: EventPacket): void;
  ack(id: number): (...args: unknown[]) => void;
  packet(packet: EventPacket, options?: object): void;
  acks: Map<number, (...args: unknown[]) => void>;
  nsp: { _ids: number };
  flags: EmitFlags;
}

interface EventPacket {
  type: number;
  data?: unknown[];
  id?: number;
}

export type EmitFlags = Record<string, unknown>;
export type Ack = (...args: unknown[]) => void;

/** socket.io-parser's EVENT packet type. */
const EVENT = 2;

/** Events socket.io refuses in `socket.emit()`; left to the real emit so it can throw as usual. */
const RESERVED_EVENTS: ReadonlySet<string> = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

/** What the socket side of sockjwt (a SocketSession) answers to the seams. */
export interface SocketGate {
  /** True: the event goes on to the app. False: sockjwt consumed or refused it. */
  admitEvent(event: string | number, args: unknown[], ack: Ack | undefined): boolean;
  /** True while the socket is held out of its namespace. */
  readonly isHeld: boolean;
  holdEmit(args: [string, ...unknown[]], flags: EmitFlags): void;
  holdJoin(rooms: string[]): void;
  holdLeave(room: string): void;
  /** Rooms the socket may join now (claim guards). */
  allowedRooms(rooms: string[]): string[];
  /** Why the socket may not join `room` now, if it may not. */
  roomRefusal(room: string): Error | undefined;
  onDisconnect(): void;
}

/**
 * The public members of socket.io's Socket: the compiler refuses a name Socket does not
 * have, and test/seams.test.ts that a real socket (every 4.x minor) has one not listed
 * (completeness cannot be typed: apps and libraries augment Socket). With the internals
 * below and `Object.prototype`'s names, a claims property may take none of them; each
 * socket is also asked at run time (isSocketMember, below), for members a newer socket.io adds.
 */
const PUBLIC_SOCKET_MEMBERS = {
  id: 1, handshake: 1, data: 1, connected: 1, recovered: 1, nsp: 1, request: 1, conn: 1, rooms: 1,
  client: 1, disconnected: 1, emit: 1, emitWithAck: 1, to: 1, in: 1, except: 1, send: 1, write: 1, join: 1, leave: 1,
  disconnect: 1, compress: 1, volatile: 1, broadcast: 1, local: 1, timeout: 1, use: 1, onAny: 1, prependAny: 1, offAny: 1,
  listenersAny: 1, onAnyOutgoing: 1, prependAnyOutgoing: 1, offAnyOutgoing: 1, listenersAnyOutgoing: 1, on: 1, once: 1,
  listeners: 1, addListener: 1, removeListener: 1, off: 1, removeAllListeners: 1,
  setMaxListeners: 1, getMaxListeners: 1, rawListeners: 1, listenerCount: 1, prependListener: 1, prependOnceListener: 1,
  eventNames: 1,
} satisfies Partial<Record<keyof Socket, 1>>;
const SOCKET_INTERNALS = [
  'pid', 'server', 'adapter', 'acks', 'fns', 'flags', 'buildHandshake', 'registerAckCallback', 'packet', 'leaveAll', 'onevent',
  'ack', 'onack', 'ondisconnect', 'dispatch', 'run', 'notifyOutgoingListeners', 'newBroadcastOperator', 'emitReserved', 'emitUntyped',
];
export const SOCKET_MEMBERS: ReadonlySet<string> = new Set([...Object.keys(PUBLIC_SOCKET_MEMBERS), ...SOCKET_INTERNALS]);

const GATE = Symbol('sockjwt.gate');
type GatedSocket = Socket & { [GATE]?: SocketGate };
type Instance = Record<string | symbol, unknown>;

interface SocketPrototype extends SocketInternals {
  join: Socket['join'];
  leave: Socket['leave'];
  emit: (...args: unknown[]) => boolean;
}

const proto = (socket: Socket) => Object.getPrototypeOf(socket) as SocketPrototype;

/**
 * Puts the gate in front of the socket's events, once. Shared functions, not closures, so a
 * socket costs three property slots (bench/memory.ts).
 */
export function installGate(socket: Socket, gate: SocketGate, guardsRooms: boolean): void {
  const instance = socket as unknown as Instance;
  const first = instance[GATE] === undefined;
  instance[GATE] = gate;
  if (!first) return;
  instance['onevent'] = gatedOnevent;
  if (guardsRooms) instance['join'] = gatedJoin;
  socket.on('disconnect', onDisconnect);
}

export function gateOf(socket: Socket): SocketGate | undefined {
  return (socket as GatedSocket)[GATE];
}

function gatedOnevent(this: Socket, packet: EventPacket): void {
  const gate = (this as GatedSocket)[GATE];
  const data = Array.isArray(packet.data) ? packet.data : [];
  const event = data[0];
  // socket.io-parser lets numbers through as event names; anything else is not an event.
  if (typeof event !== 'string' && typeof event !== 'number') return;
  if (gate) {
    const ack = packet.id == null ? undefined : proto(this).ack.call(this, packet.id);
    if (!gate.admitEvent(event, data.slice(1), ack)) return;
  }
  proto(this).onevent.call(this, packet);
}

function onDisconnect(this: Socket): void {
  (this as GatedSocket)[GATE]?.onDisconnect();
}

function gatedJoin(this: Socket, rooms: string | string[]): Promise<void> | void {
  const gate = (this as GatedSocket)[GATE];
  const list = ([] as string[]).concat(rooms);
  if (gate?.isHeld) return gate.holdJoin(list);
  return proto(this).join.call(this, gate ? gate.allowedRooms(list) : list);
}

function heldLeave(this: Socket, room: string): Promise<void> | void {
  const gate = (this as GatedSocket)[GATE];
  if (gate?.isHeld) return gate.holdLeave(room);
  return proto(this).leave.call(this, room);
}

function heldEmit(this: Socket, event: string, ...args: unknown[]): boolean {
  const gate = (this as GatedSocket)[GATE];
  if (!gate?.isHeld || RESERVED_EVENTS.has(event)) return proto(this).emit.apply(this, [event, ...args]);
  // Flags set by socket.timeout()/volatile/compress belong to this emit, not to the next one.
  const internals = this as unknown as SocketInternals;
  const flags = internals.flags ?? {};
  internals.flags = {};
  gate.holdEmit([event, ...args], flags);
  return true;
}

/**
 * Holds a socket out of its namespace (seed 004's "temporary disabling", for socket.io v4):
 * it leaves every room, its own id included, so no broadcast reaches it and a recovery
 * session of it carries no room; its joins and the app's emits to it wait for release.
 * Returns the rooms it was in (an app listener may have joined some already).
 */
export function holdOutOfNamespace(socket: Socket): Set<string> {
  const rooms = new Set(socket.rooms);
  rooms.delete(socket.id);
  // Through the adapter, not socket.leave(): leaving room by room keeps the socket in the
  // adapter's socket index, which a namespace-wide broadcast walks.
  void socket.nsp.adapter.delAll(socket.id);
  const instance = socket as unknown as Instance;
  instance['emit'] = heldEmit;
  instance['join'] = gatedJoin;
  instance['leave'] = heldLeave;
  return rooms;
}

/** Back into the namespace: its own room, the rooms joined meanwhile; emits go out again. */
export function releaseIntoNamespace(socket: Socket, rooms: ReadonlySet<string>, guardsRooms: boolean): void {
  const instance = socket as unknown as Instance;
  const prototype = proto(socket);
  // Pointed back at the prototype's methods, not deleted: a `delete` turns the socket into a
  // dictionary-mode object, about 1.6 kB more per socket (bench/profile/heap-diff.ts).
  instance['emit'] = prototype.emit;
  instance['leave'] = prototype.leave;
  if (!guardsRooms) instance['join'] = prototype.join;
  void prototype.join.call(socket, socket.id);
  if (rooms.size === 0) return;
  const joined = [...rooms];
  const allowed = gateOf(socket)?.allowedRooms(joined) ?? joined;
  if (allowed.length > 0) void prototype.join.call(socket, allowed);
}

/** Sends, in order, what the app emitted to a held socket, with the flags each emit had. */
export function replayEmit(socket: Socket, args: [string, ...unknown[]], flags: EmitFlags): void {
  (socket as unknown as SocketInternals).flags = flags;
  proto(socket).emit.apply(socket, args);
}

/**
 * A held emit that will never be sent: an acknowledgement the app is waiting for with
 * `socket.timeout(t)` (or `emitWithAck`) is settled now with an error, as socket.io would
 * after `t`; one without a timeout would never be called by socket.io either.
 */
export function settleDroppedEmit(args: unknown[], flags: EmitFlags): void {
  const ack = args[args.length - 1];
  if (typeof ack === 'function' && flags['timeout'] !== undefined) ack(new Error('socket was refused before it was authenticated'));
}

/**
 * sockjwt's own protocol messages (`authenticated`, `unauthorized`) go straight to the
 * client: not through `socket.emit`, which with connection state recovery broadcasts to the
 * room named after the socket (a held socket is not in it), and not past the app's
 * `onAnyOutgoing` listeners.
 */
export function sendToClient(socket: Socket, event: string, args: unknown[], ack?: Ack): void {
  const internals = socket as unknown as SocketInternals;
  const packet: EventPacket = { type: EVENT, data: [event, ...args] };
  if (ack) {
    const id = internals.nsp._ids++;
    internals.acks.set(id, ack);
    packet.id = id;
  }
  proto(socket).packet.call(socket, packet, {});
}

/**
 * Fires an event to the server-side listeners of a namespace only. `nsp.emit()` would
 * broadcast it to every client; EventEmitter's own emit does not. A child of a dynamic
 * namespace (`io.of(/regex/)`) does not inherit its parent's listeners for custom events,
 * so the parent hears it too.
 */
export function emitLocally(nsp: Namespace, event: string, ...args: unknown[]): void {
  EventEmitter.prototype.emit.call(nsp, event, ...args);
  const parent = parentOf(nsp);
  if (parent) EventEmitter.prototype.emit.call(parent, event, ...args);
}

interface ParentNamespaceLike extends EventEmitter {
  children: Set<Namespace>;
}

function parentOf(nsp: Namespace): ParentNamespaceLike | undefined {
  // socket.io keeps this map (Server#parentNsps) without a public accessor.
  const parents = (nsp.server as unknown as { parentNsps?: Map<unknown, ParentNamespaceLike> }).parentNsps;
  if (!parents || parents.size === 0) return undefined;
  for (const parent of parents.values()) if (parent.children?.has(nsp)) return parent;
  return undefined;
}

/**
 * Runs `listener` for each socket of `nsp` before any `connect` or `connection` listener the app
 * has added or adds: socket.io emits `connect`, then `connection`, synchronously, for every socket
 * it connects (4.0 to 4.8), so the front of `connect` is the first moment a socket is seen connected.
 * Only a listener the app itself prepends later could come before.
 */
export function beforeAppListeners(nsp: Namespace, listener: (socket: Socket) => void): void {
  // A child of a dynamic namespace (`io.of(/regex/)`) is born with copies of its parent's listeners.
  if (nsp.listeners('connect').includes(listener)) return;
  nsp.prependListener('connect', listener);
}

/** Every socket connected to `server`, in every namespace (a walk, for rare events). */
export function* socketsOf(server: Server): Generator<Socket> {
  const namespaces = (server as unknown as { _nsps?: Map<string, Namespace> })._nsps;
  if (!namespaces) return;
  for (const nsp of namespaces.values()) yield* nsp.sockets.values();
}

/** Whether a recovered socket skips the `io.use()` middlewares (socket.io's default when recovery is on). */
export function recoverySkipsMiddlewares(nsp: Namespace): boolean {
  const options = (nsp.server as unknown as { opts?: { connectionStateRecovery?: { skipMiddlewares?: boolean } } }).opts;
  return options?.connectionStateRecovery?.skipMiddlewares !== false;
}

/** Whether the server keeps sessions for connection state recovery (socket.io ≥ 4.6, opted in). */
export function recoversConnections(nsp: Namespace): boolean {
  return Boolean((nsp.server as unknown as { _opts?: { connectionStateRecovery?: unknown } })._opts?.connectionStateRecovery);
}

type RestoreSession = (pid: string, offset: string) => Promise<{ data: unknown } | null | undefined>;
type CreateSocket = (client: { request: IncomingMessage }, auth: Record<string, unknown>) => Promise<Socket>;

/** What a recovering client presents with its new handshake, before socket.io restores anything. */
export interface PresentedHandshake {
  auth: Record<string, unknown>;
  request: IncomingMessage;
}

/** Whether a restored session may come back, with the handshake its client presents now. */
type MayRecover = (data: unknown, presented: PresentedHandshake | undefined) => boolean | Promise<boolean>;

const guardedAdapters = new WeakSet<object>();
const watchedCreations = new WeakSet<object>();
/** The handshake of the socket socket.io is creating: `_createSocket` asks `restoreSession` synchronously. */
let creating: PresentedHandshake | undefined;

/**
 * socket.io's connection state recovery restores a socket's `data` and rooms and replays
 * the packets it missed inside the Socket constructor, before any listener or middleware of
 * ours runs. The only place to refuse a session is the adapter's `restoreSession`: wrapped here
 * so `mayRecover(data, presented)` decides, with the new handshake in hand; a declined client
 * goes through a normal handshake and is replayed nothing. socket.io < 4.6 has no recovery.
 */
export function guardRecovery(nsp: Namespace, mayRecover: MayRecover): void {
  if (!recoversConnections(nsp)) return;
  guardAdapter(nsp.adapter, mayRecover);
  watchCreation(nsp, mayRecover);
}

function guardAdapter(adapter: object, mayRecover: MayRecover): void {
  const restoring = adapter as { restoreSession?: RestoreSession };
  if (typeof restoring.restoreSession !== 'function' || guardedAdapters.has(adapter)) return;
  guardedAdapters.add(adapter);
  const restore = restoring.restoreSession.bind(adapter);
  restoring.restoreSession = async (pid, offset) => {
    const presented = creating;
    creating = undefined;
    const session = await restore(pid, offset);
    if (!session) return session;
    try {
      return (await mayRecover(session.data, presented)) ? session : null;
    } catch {
      return null;
    }
  };
}

/**
 * Every socket the namespace creates: the handshake it presents is noted for the guard, and the
 * adapter in place at that moment is guarded, since an app may install one (`io.adapter()`) after
 * the namespace's first connection, and the first socket it restores may be a recovering one.
 */
function watchCreation(nsp: Namespace, mayRecover: MayRecover): void {
  const internals = nsp as unknown as { _createSocket?: CreateSocket };
  const create = internals._createSocket;
  if (typeof create !== 'function' || watchedCreations.has(nsp)) return;
  watchedCreations.add(nsp);
  internals._createSocket = function (this: Namespace, client, auth) {
    guardAdapter(this.adapter, mayRecover);
    creating = { auth, request: client.request };
    try {
      return create.call(this, client, auth);
    } finally {
      creating = undefined;
    }
  };
}

/**
 * Whether, with connection state recovery on, this namespace's adapter restores sessions that
 * other nodes persisted (the Redis Streams, Postgres and MongoDB adapters do; socket.io's
 * in-memory adapter keeps only this node's, and the base adapter restores none). Then a socket
 * recovered from another node can be this node's first, before any listener of ours ran.
 */
export function restoresSessionsOfOtherNodes(nsp: Namespace): boolean {
  const options = (nsp.server as unknown as { opts?: { connectionStateRecovery?: unknown } }).opts;
  if (!options?.connectionStateRecovery) return false;
  const owner = classDefining(nsp.adapter, 'restoreSession');
  return owner !== undefined && owner !== 'Adapter' && owner !== 'SessionAwareAdapter';
}

/** The name of the class on `object`'s prototype chain that defines `method` (the guard's own wrapper is skipped). */
function classDefining(object: object, method: string): string | undefined {
  for (let proto = Object.getPrototypeOf(object) as object | null; proto; proto = Object.getPrototypeOf(proto) as object | null) {
    if (Object.prototype.hasOwnProperty.call(proto, method)) return (proto as { constructor?: { name?: string } }).constructor?.name;
  }
  return undefined;
}

/**
 * Names a claims property may not take: anything a Socket has, own or inherited, getters
 * included, on the socket.io actually running. Asked before the first attach to a socket.
 */
export function isSocketMember(socket: Socket, name: string): boolean {
  if (Object.hasOwn(socket, name)) return true;
  // The prototype chain is the same for every socket of a socket.io: walked once per name.
  const prototype = Object.getPrototypeOf(socket) as object;
  let known = inheritedMembers.get(prototype);
  if (!known) inheritedMembers.set(prototype, (known = new Map()));
  let inherited = known.get(name);
  if (inherited === undefined) known.set(name, (inherited = name in prototype));
  return inherited;
}

const inheritedMembers = new WeakMap<object, Map<string, boolean>>();
