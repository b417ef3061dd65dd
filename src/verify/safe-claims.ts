/**
 * Keys that must never travel in `socket.data`: socket.io ships it to other nodes
 * (`fetchSockets()`), and the adapters' msgpack decoders either refuse a `__proto__` key and
 * drop the whole answer (the Redis Streams adapter: every node's `fetchSockets()` times out)
 * or turn it into the object's prototype (notepack.io: claims the token never had).
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The first prototype-bearing key anywhere in `value` (plain objects and arrays, any
 * depth), or undefined. Iterative: a token's nesting depth is the attacker's choice.
 */
export function prototypeKeyIn(value: unknown): string | undefined {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current !== 'object' || current === null) continue;
    if (Array.isArray(current)) {
      for (const item of current) pending.push(item);
      continue;
    }
    for (const key of Object.getOwnPropertyNames(current)) {
      if (PROTOTYPE_KEYS.has(key)) return key;
      pending.push((current as Record<string, unknown>)[key]);
    }
  }
  return undefined;
}
