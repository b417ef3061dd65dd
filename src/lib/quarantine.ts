import type { Socket } from 'socket.io';

/** Events socket.io refuses in `socket.emit()`; left to the real emit so it can throw as usual. */
const RESERVED_EVENTS: ReadonlySet<string> = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);

/** The socket methods held while quarantined; each is restored to the prototype's on release. */
const HELD_METHODS = ['join', 'leave', 'onAny', 'prependAny', 'offAny', 'emit'] as const;

type AnyListener = (...args: unknown[]) => void;
type EmitFlags = Record<string, unknown>;

interface HeldEmit {
  args: [string, ...unknown[]];
  flags: EmitFlags;
}

/**
 * Holds a socket out of its namespace until it authenticates (seed 004's "temporary
 * disabling", done for socket.io v4): it is in no room, not even its own id, so no
 * broadcast reaches it; its events reach no handler but the allowed one; `onAny`
 * listeners, room joins and the app's own emits to it wait for admission and are
 * dropped if it never comes. socket.io has no public hook for this, so the handful of
 * methods involved are shadowed on the instance and restored on release.
 */
export class Quarantine {
  private active = true;
  private readonly rooms = new Set<string>();
  private readonly anyListeners: AnyListener[] = [];
  private heldEmits: HeldEmit[] = [];
  private readonly socket: Socket;
  private readonly instance: Record<string, unknown>;

  constructor(socket: Socket, allowedEvent: string) {
    this.socket = socket;
    this.instance = socket as unknown as Record<string, unknown>;
    this.leaveAllRooms();
    this.holdAnyListeners();
    socket.use(([event], next) => {
      if (!this.active || event === allowedEvent) next();
    });
    this.shadowMethods();
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Sends an event to the held client: for sockjwt's own protocol messages only. */
  emitNow(event: string, ...args: unknown[]): void {
    this.realEmit(event, ...args);
  }

  /** Admits the socket: its own room and the rooms joined meanwhile, its `onAny` listeners. */
  release(): void {
    if (!this.active) return;
    this.active = false;
    for (const method of HELD_METHODS) delete this.instance[method];
    void this.socket.join([this.socket.id, ...this.rooms]);
    for (const listener of this.anyListeners) this.socket.onAny(listener);
    this.rooms.clear();
    this.anyListeners.length = 0;
  }

  /** Delivers, in order, what the app emitted to the socket while it was held. */
  flushHeldEmits(): void {
    const held = this.heldEmits;
    this.heldEmits = [];
    for (const { args, flags } of held) {
      this.instance['flags'] = flags;
      this.realEmit(...args);
    }
  }

  /** Forgets everything held, for a socket that will never be admitted. */
  discard(): void {
    this.heldEmits = [];
    this.rooms.clear();
    this.anyListeners.length = 0;
  }

  private realEmit(...args: [string, ...unknown[]]): void {
    const emit = Object.getPrototypeOf(this.socket).emit as (...a: unknown[]) => boolean;
    emit.apply(this.socket, args);
  }

  /**
   * Through the adapter, not socket.leave(): leaving every room one by one keeps the socket
   * in the adapter's socket index, and a namespace-wide broadcast walks that index.
   */
  private leaveAllRooms(): void {
    for (const room of this.socket.rooms) if (room !== this.socket.id) this.rooms.add(room);
    void this.socket.nsp.adapter.delAll(this.socket.id);
  }

  private holdAnyListeners(): void {
    this.anyListeners.push(...(this.socket.listenersAny() as AnyListener[]));
    this.socket.offAny();
  }

  private shadowMethods(): void {
    const socket = this.socket;
    Object.assign(this.instance, {
      join: (rooms: string | string[]) => {
        for (const room of ([] as string[]).concat(rooms)) this.rooms.add(room);
      },
      leave: (room: string) => {
        this.rooms.delete(room);
      },
      onAny: (listener: AnyListener) => {
        this.anyListeners.push(listener);
        return socket;
      },
      prependAny: (listener: AnyListener) => {
        this.anyListeners.unshift(listener);
        return socket;
      },
      offAny: (listener?: AnyListener) => {
        if (!listener) this.anyListeners.length = 0;
        else if (this.anyListeners.includes(listener)) this.anyListeners.splice(this.anyListeners.indexOf(listener), 1);
        return socket;
      },
      emit: (event: string, ...args: unknown[]) => {
        if (RESERVED_EVENTS.has(event)) {
          this.realEmit(event, ...args);
          return true;
        }
        // Flags set by socket.timeout()/volatile/compress belong to this emit, not to the next one.
        this.heldEmits.push({ args: [event, ...args], flags: this.takeFlags() });
        return true;
      },
    });
  }

  private takeFlags(): EmitFlags {
    const flags = (this.instance['flags'] as EmitFlags | undefined) ?? {};
    this.instance['flags'] = {};
    return flags;
  }
}
