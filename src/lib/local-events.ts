import { EventEmitter } from 'node:events';
import type { Namespace } from 'socket.io';

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
