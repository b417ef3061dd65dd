/**
 * Redis Cluster places a key by the part between its first `{` and the next `}` (its hash
 * tag) when that part is non-empty. Giving every key of a store one tag puts them in one
 * slot, so a check reading a `jti` key and a `sub` key stays one `MGET` instead of failing
 * with CROSSSLOT. The price: one store's keys live on one shard (see docs/scaling.md).
 */
export function hashTagged(keyPrefix: string): string {
  return hashTagOf(keyPrefix) === undefined ? `{${keyPrefix}}` : keyPrefix;
}

/** The hash tag Redis Cluster would use for `key`, if any. */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}
