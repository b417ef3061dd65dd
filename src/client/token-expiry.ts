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
 * When to refresh: `leadMs` before expiry, but never more than half the remaining life,
 * so a token of a few seconds is not refreshed in a tight loop.
 */
export function refreshDelay(exp: number, leadMs: number, now = Date.now()): number {
  const remaining = exp * 1000 - now;
  if (remaining <= 0) return 0;
  return remaining - Math.min(leadMs, remaining / 2);
}
