/**
 * The `exp` of a JWT as the client sees it, read without verifying (the client holds no
 * key, and the server verifies anyway): only to know when to refresh.
 */
export function readExpiry(token: string): number | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : null;
  } catch {
    return null;
  }
}

/**
 * When to refresh, given how long the token has left (`remainingMs`): `leadMs` before the
 * end, but never more than half the remaining life, so a token of a few seconds is not
 * refreshed in a tight loop.
 */
export function refreshDelay(remainingMs: number, leadMs: number): number {
  if (remainingMs <= 0) return 0;
  return remainingMs - Math.min(leadMs, remainingMs / 2);
}
