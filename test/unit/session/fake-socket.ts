// A fake socket.io v4 server-side socket for the unit tests of src/session/: what socketio-seams.ts
// touches and nothing more. Its PROTOTYPE carries the methods socket.io's Socket prototype has and the
// seams call through `Object.getPrototypeOf(socket)` (onevent, ack, packet, emit, join, leave,
// disconnect), written after socket.io 4.8's dist/socket.js; the instance carries the fields
// (id, handshake, data, rooms, recovered, request, nsp, flags, acks, connected). Everything that
// goes to the client is recorded as the packet socket.io would send; the client's side (its events,
// its acknowledgements, its disconnect) is played by the test through the helpers at the bottom.
import { EventEmitter } from 'node:events';
import type { Namespace, Server, Socket } from 'socket.io';

/** socket.io-parser's packet types. */
export const PacketType = { CONNECT: 0, DISCONNECT: 1, EVENT: 2, ACK: 3 } as const;

/** Events socket.io refuses in `socket.emit()` (socket-types.ts RESERVED_EVENTS). */
const RESERVED_EVENTS: ReadonlySet<string> = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

type Listener = (...args: any[]) => unknown;

/** A packet the server sent the client (`socket.packet(packet, opts)`). */
export interface SentPacket {
  type: number;
  data?: unknown[];
  id?: number;
  opts: Record<string, unknown>;
}

/** An event the server sent the client: name, arguments, and the ack id when it asked for one. */
export interface SentEvent {
  event: string;
  args: unknown[];
  id: number | undefined;
  opts: Record<string, unknown>;
}

/** An event the app received (the prototype's `onevent` ran: sockjwt's gate let it through). */
export interface DeliveredEvent {
  event: string | number;
  args: unknown[];
  /** The client asked for an acknowledgement (socket.io appended an ack function). */
  withAck: boolean;
}

/** The server's answer to a client event that asked for an acknowledgement. */
export interface Reply {
  readonly id: number;
  /** The ACK packet was sent. */
  readonly answered: boolean;
  /** The acknowledgement's arguments (undefined until answered). */
  readonly args: unknown[] | undefined;
  /** The acknowledgement's first argument. */
  readonly value: unknown;
}

/** `server._opts` / `server.opts`, and the namespaces socketsOf() walks. */
export class FakeServer {
  _opts: Record<string, unknown> = {};
  opts: Record<string, unknown> = {};
  readonly _nsps = new Map<string, FakeNamespace>();
}

/** The in-memory adapter as far as the seams use it: `delAll(id)` takes a socket out of every room. */
export class FakeAdapter {
  /** Rooms by socket id; a socket's `rooms` field is the very Set kept here. */
  readonly sids = new Map<string, Set<string>>();
  /** The ids `delAll` was called with. */
  readonly delAllCalls: string[] = [];

  delAll(id: string): void {
    this.delAllCalls.push(id);
    this.sids.get(id)?.clear();
  }
}

/** A namespace: an EventEmitter (emitLocally fires its server-side listeners) with sockets and an adapter. */
export class FakeNamespace extends EventEmitter {
  readonly sockets = new Map<string, FakeSocket>();
  readonly adapter = new FakeAdapter();
  /** socket.io's ack id counter for packets the server sends. */
  _ids = 0;

  constructor(
    readonly name = '/',
    readonly server = new FakeServer(),
  ) {
    super();
    server._nsps.set(name, this);
  }
}

export interface FakeSocketInit {
  id?: string;
  auth?: Record<string, unknown>;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  url?: string;
  /** A socket.io recovery restored this socket (its `data` and rooms come from before). */
  recovered?: boolean;
  data?: Record<string, unknown>;
  /** Rooms besides its own (a recovered socket's restored rooms). */
  rooms?: string[];
  /**
   * False for a socket still in the `io.use()` middlewares (handshake mode): not in `nsp.sockets`,
   * not in its own room, until `connectToNamespace()`. Default true: connected, as a connection listener sees it.
   */
  connected?: boolean;
}

let sequence = 0;

export class FakeSocket {
  readonly id: string;
  readonly handshake: { auth: Record<string, unknown>; headers: Record<string, string>; query: Record<string, string>; url: string; address: string; time: string; issued: number };
  data: Record<string, unknown>;
  readonly rooms: Set<string>;
  recovered: boolean;
  connected = false;
  readonly request: { url: string; headers: Record<string, string>; socket: { remoteAddress: string } };
  readonly nsp: FakeNamespace;
  /** Flags of the next emit (`socket.timeout()`, `volatile`, `compress`). */
  flags: Record<string, unknown> = {};
  /** Ack callbacks of packets the server sent with an id, awaiting the client's ACK. */
  readonly acks = new Map<number, (...args: unknown[]) => void>();

  // ── records ──
  /** Every packet sent to the client, in order. */
  readonly sent: SentPacket[] = [];
  /** Every event the app received through the prototype's `onevent`. */
  readonly delivered: DeliveredEvent[] = [];
  /** Rooms passed to the prototype's `join`, one entry per call. */
  readonly joins: string[][] = [];
  /** Rooms passed to the prototype's `leave`. */
  readonly leaves: string[] = [];
  /** The server's `socket.disconnect()` calls. */
  serverDisconnects = 0;
  /** The reason of the `disconnect` event, once socket.io emitted it. */
  disconnectReason: string | undefined = undefined;

  private readonly listeners = new Map<string, Listener[]>();
  private clientPacketIds = 0;

  constructor(nsp: FakeNamespace, init: FakeSocketInit = {}) {
    this.nsp = nsp;
    this.id = init.id ?? `socket-${++sequence}`;
    const url = init.url ?? '/socket.io/?EIO=4&transport=websocket';
    const headers = init.headers ?? {};
    this.handshake = { auth: init.auth ?? {}, headers, query: init.query ?? {}, url, address: '127.0.0.1', time: new Date(0).toString(), issued: 0 };
    this.request = { url, headers, socket: { remoteAddress: '127.0.0.1' } };
    this.data = init.data ?? {};
    this.recovered = init.recovered ?? false;
    this.rooms = new Set(init.rooms ?? []);
    nsp.adapter.sids.set(this.id, this.rooms);
    if (init.connected ?? true) this.connectToNamespace();
  }

  // ─────────────── socket.io's Socket (prototype methods) ───────────────

  /** socket.io: EventEmitter's `on` (a StrictEventEmitter). */
  on(event: string, listener: Listener): this {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
    return this;
  }

  off(event: string, listener: Listener): this {
    const list = this.listeners.get(event);
    const index = list?.indexOf(listener) ?? -1;
    if (list && index >= 0) list.splice(index, 1);
    return this;
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  /** socket.io's internal emit to the server-side listeners (`disconnect`, `disconnecting`, the app's handlers). */
  emitReserved(event: string, ...args: unknown[]): boolean {
    const list = this.listeners.get(event);
    if (!list || list.length === 0) return false;
    for (const listener of [...list]) listener.apply(this, args);
    return true;
  }

  /** Sends an event to the client (socket.io's emit: an ack callback gets an id, the flags go with the packet). */
  emit(event: string, ...args: unknown[]): boolean {
    if (RESERVED_EVENTS.has(event)) throw new Error(`"${String(event)}" is a reserved event name`);
    const data: unknown[] = [event, ...args];
    const packet: Omit<SentPacket, 'opts'> = { type: PacketType.EVENT, data };
    if (typeof data[data.length - 1] === 'function') {
      const id = this.nsp._ids++;
      this.acks.set(id, data.pop() as (...ackArgs: unknown[]) => void);
      packet.id = id;
    }
    const flags = { ...this.flags };
    this.flags = {};
    this.packet(packet, flags);
    return true;
  }

  /** socket.io's `timeout(ms)`: a flag for the next emit. */
  timeout(ms: number): this {
    this.flags['timeout'] = ms;
    return this;
  }

  /** Writes a packet to the client: recorded. */
  packet(packet: Omit<SentPacket, 'opts'>, opts: Record<string, unknown> = {}): void {
    this.sent.push({ ...packet, opts });
  }

  /** The acknowledgement function for a client packet `id`: an ACK packet, once. */
  ack(id: number): (...args: unknown[]) => void {
    let sent = false;
    return (...args: unknown[]) => {
      if (sent) return;
      this.packet({ id, type: PacketType.ACK, data: args });
      sent = true;
    };
  }

  /** An event from the client, for the app: its `onAny` listeners, middlewares and handlers (recorded). */
  onevent(packet: { type: number; data?: unknown[]; id?: number }): void {
    const args = [...(packet.data ?? [])];
    const [event, ...rest] = args as [string | number, ...unknown[]];
    this.delivered.push({ event, args: rest, withAck: packet.id != null });
    if (packet.id != null) args.push(this.ack(packet.id));
    this.emitReserved(String(event), ...args.slice(1));
  }

  /** The client's ACK of a packet the server sent with an id. */
  onack(packet: { id: number; data: unknown[] }): void {
    const ack = this.acks.get(packet.id);
    if (typeof ack !== 'function') return;
    ack.apply(this, packet.data);
    this.acks.delete(packet.id);
  }

  join(rooms: string | string[]): void {
    const list = ([] as string[]).concat(rooms);
    this.joins.push(list);
    for (const room of list) this.rooms.add(room);
  }

  leave(room: string): void {
    this.leaves.push(room);
    this.rooms.delete(room);
  }

  /** The server disconnects the socket: a DISCONNECT packet, then socket.io's close (`disconnect` emitted synchronously). */
  disconnect(close = false): this {
    this.serverDisconnects++;
    if (!this.connected) return this;
    if (!close) this.packet({ type: PacketType.DISCONNECT });
    this.onclose(close ? 'server shutting down' : 'server namespace disconnect');
    return this;
  }

  // ─────────────── the client's side, played by the test ───────────────

  /** socket.io connects the socket to its namespace: its own room, `nsp.sockets` (a middleware-stage socket, handshake mode). */
  connectToNamespace(): void {
    if (this.connected) return;
    this.connected = true;
    this.rooms.add(this.id);
    this.nsp.sockets.set(this.id, this);
  }

  /** The client emits `event` without asking for an acknowledgement. */
  clientEmit(event: string | number, ...args: unknown[]): void {
    this.onevent({ type: PacketType.EVENT, data: [event, ...args] });
  }

  /** The client emits `event` and asks for an acknowledgement: the server's answer, when it comes, is in the Reply. */
  clientRequest(event: string | number, ...args: unknown[]): Reply {
    const id = ++this.clientPacketIds;
    this.onevent({ type: PacketType.EVENT, data: [event, ...args], id });
    const find = () => this.sent.find((packet) => packet.type === PacketType.ACK && packet.id === id);
    return {
      id,
      get answered() {
        return find() !== undefined;
      },
      get args() {
        return find()?.data;
      },
      get value() {
        return find()?.data?.[0];
      },
    };
  }

  /** The client's `authenticate { token }`, with an ack (`socket.onevent({ type: 2, data: ['authenticate', { token }], id })`). */
  authenticate(token: unknown): Reply {
    return this.clientRequest('authenticate', { token });
  }

  /** The client acknowledges the server's packet `id` (say `unauthorized`). */
  clientAcks(id: number, ...args: unknown[]): void {
    this.onack({ id, data: args });
  }

  /** The client goes away: socket.io closes the socket and emits `disconnect` with the client's reason. */
  disconnectFromClient(reason = 'client namespace disconnect'): void {
    this.onclose(reason);
  }

  // ─────────────── reading the records ───────────────

  /** The events sent to the client, optionally only those named `event`. */
  events(event?: string): SentEvent[] {
    return this.sent
      .filter((packet) => packet.type === PacketType.EVENT)
      .map((packet) => ({ event: packet.data![0] as string, args: packet.data!.slice(1), id: packet.id, opts: packet.opts }))
      .filter((sent) => event === undefined || sent.event === event);
  }

  /** The names of the events sent to the client, in order. */
  eventNames(): string[] {
    return this.events().map((sent) => sent.event);
  }

  /** The ACK packets sent to the client. */
  acksSent(): SentPacket[] {
    return this.sent.filter((packet) => packet.type === PacketType.ACK);
  }

  /** The DISCONNECT packets sent to the client. */
  get disconnectPackets(): number {
    return this.sent.filter((packet) => packet.type === PacketType.DISCONNECT).length;
  }

  /** socket.io's `_onclose`: `disconnecting`, out of every room and of the namespace, then `disconnect`. */
  private onclose(reason: string): void {
    if (!this.connected) return;
    this.emitReserved('disconnecting', reason);
    this.nsp.adapter.delAll(this.id);
    this.nsp.sockets.delete(this.id);
    this.connected = false;
    this.disconnectReason = reason;
    this.emitReserved('disconnect', reason);
  }
}

/** The fake as the socket.io Socket the code under test expects. */
export function asSocket(socket: FakeSocket): Socket {
  return socket as unknown as Socket;
}

export function asNamespace(nsp: FakeNamespace): Namespace {
  return nsp as unknown as Namespace;
}

export function asServer(server: FakeServer): Server {
  return server as unknown as Server;
}
