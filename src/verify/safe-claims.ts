/**
 * Keys that must never travel in `socket.data`: socket.io ships it to other nodes
 * (`fetchSockets()`), and the adapters' msgpack decoders either refuse a `__proto__` key and
 * drop the whole answer (the Redis Streams adapter: every node's `fetchSockets()` times out)
 * or turn it into the object's prototype (notepack.io: claims the token never had).
 */
function isPrototypeKey(key: string): boolean {
  // Three comparisons of internalised strings: cheaper than a Set lookup per key (the profile's hottest line here).
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

/**
 * The first prototype-bearing key anywhere in `value` (plain objects and arrays, any
 * depth), or undefined. Iterative: a token's nesting depth is the attacker's choice.
 * Only enumerable own keys travel (JSON, msgpack and the adapters copy nothing else), and
 * `for…in` reads them from V8's enumeration cache: a flat object costs no allocation.
 */
export function prototypeKeyIn(value: unknown): string | undefined {
  let pending: object[] | undefined;
  let current: unknown = value;
  for (;;) {
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        const item: unknown = current[i];
        if (typeof item === 'object' && item !== null) (pending ??= []).push(item);
      }
    } else if (typeof current === 'object' && current !== null) {
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        if (isPrototypeKey(key)) return key;
        const member: unknown = (current as Record<string, unknown>)[key];
        if (typeof member === 'object' && member !== null) (pending ??= []).push(member);
      }
    }
    if (pending === undefined || pending.length === 0) return undefined;
    current = pending.pop();
  }
}
