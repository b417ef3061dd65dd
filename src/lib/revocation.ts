import { UnauthorizedError } from './errors.js';
import type { JwtClaims } from './options.js';
import type { RevocationStore } from './revocation-store.js';

/** The app's own check, sync or async. `token` is undefined for a socket recovered by socket.io. */
export type IsRevoked = (claims: JwtClaims, token: string | undefined) => boolean | PromiseLike<boolean>;

export interface RevocationSettings {
  store: RevocationStore;
  isRevoked?: IsRevoked | undefined;
  /** How long a rule without `exp` is kept (ms). */
  retentionMs: number;
}

/**
 * Refuses a revoked token: the store's rules first, then the app's hook. A check that
 * cannot answer refuses too (fail closed), with a reason that says so.
 */
export async function checkNotRevoked(settings: RevocationSettings, payload: JwtClaims, token: string | undefined): Promise<void> {
  let revoked: boolean;
  try {
    revoked = (await settings.store.isRevoked(payload)) || (settings.isRevoked ? (await settings.isRevoked(payload, token)) === true : false);
  } catch (cause) {
    throw new UnauthorizedError('invalid_token', 'revocation_unavailable', 'revocation status could not be checked', { cause });
  }
  if (revoked) throw revokedError();
}

export function revokedError(): UnauthorizedError {
  return new UnauthorizedError('invalid_token', 'revoked', 'jwt revoked');
}
