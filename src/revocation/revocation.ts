import { within } from '../util/deadline.js';
import { isThenable } from '../util/hook-results.js';
import * as refuse from '../errors/refusals.js';
import type { IsRevoked, JwtClaims, RevocationFailMode, RevocationStore, SockjwtLogger, TokenRef } from '../types.js';

export interface RevocationSettings {
  store: RevocationStore;
  isRevoked?: IsRevoked | undefined;
  /** How long a rule without `exp` is kept (ms). */
  retentionMs: number;
  failMode: RevocationFailMode;
  health: RevocationHealth;
  /** How long a check may take (ms) before it counts as unable to answer. */
  timeoutMs: number;
}

/**
 * Refuses a revoked token: the store's rules first, then the app's hook. A check that
 * cannot answer follows the fail mode: refused with a reason that says so, or admitted.
 * Synchronous (undefined, or a throw) when both answer synchronously, as the in-memory store does.
 */
export function checkNotRevoked(settings: RevocationSettings, ref: TokenRef, payload: JwtClaims, token: string | undefined): void | Promise<void> {
  let byStore: boolean | Promise<boolean>;
  try {
    byStore = storeRevokes(settings, ref);
  } catch (cause) {
    return unavailable(settings, cause);
  }
  if (isThenable<boolean>(byStore)) return byStore.then((revoked) => (revoked ? verdict(settings, true) : askApp(settings, payload, token)), (cause: unknown) => unavailable(settings, cause));
  return byStore ? verdict(settings, true) : askApp(settings, payload, token);
}

function askApp(settings: RevocationSettings, payload: JwtClaims, token: string | undefined): void | Promise<void> {
  if (!settings.isRevoked) return verdict(settings, false);
  let answer: boolean | Promise<boolean>;
  try {
    answer = bounded(settings.isRevoked(payload, token), settings, 'isRevoked');
  } catch (cause) {
    return unavailable(settings, cause);
  }
  if (isThenable<boolean>(answer)) return answer.then((revoked) => verdict(settings, revoked === true), (cause: unknown) => unavailable(settings, cause));
  return verdict(settings, answer === true);
}

function verdict(settings: RevocationSettings, revoked: boolean): void {
  settings.health.answered();
  if (revoked) throw refuse.revoked();
}

function unavailable(settings: RevocationSettings, cause: unknown): void {
  settings.health.failed(cause);
  if (settings.failMode === 'closed') throw refuse.revocationUnavailable(cause);
}

/** The store's rules alone, within the hook deadline: a handshake's check, and the recheck after a gap. */
export function storeRevokes(settings: RevocationSettings, ref: TokenRef): boolean | Promise<boolean> {
  return bounded(settings.store.isRevoked(ref), settings, 'the revocation store');
}

/** A synchronous answer (the in-memory store) costs no timer. */
function bounded<T>(answer: T | PromiseLike<T>, settings: RevocationSettings, what: string): T | Promise<T> {
  return isThenable<T>(answer) ? within(answer, settings.timeoutMs, what) : answer;
}

/**
 * Says once when revocation checks stop answering, and once when they answer again, so
 * an outage shows in the logs as two lines rather than one per handshake.
 */
export class RevocationHealth {
  private down = false;

  /** Reports to `logger` when `authorize()` has one, else as process warnings. */
  constructor(
    private readonly failMode: RevocationFailMode,
    private readonly logger?: Pick<SockjwtLogger, 'warn' | 'info'>,
  ) {}

  get available(): boolean {
    return !this.down;
  }

  failed(cause: unknown): void {
    if (this.down) return;
    this.down = true;
    const consequence = this.failMode === 'open'
      ? 'failing open: tokens are admitted unchecked until it answers again'
      : 'failing closed: tokens are refused with reason revocation_unavailable until it answers again';
    const message = `sockjwt: revocation status cannot be checked (${describe(cause)}); ${consequence}`;
    if (this.logger) this.logger.warn({ event: 'revocation_unavailable', failMode: this.failMode, error: describe(cause) }, message);
    else process.emitWarning(message, { code: 'SOCKJWT_REVOCATION_UNAVAILABLE' });
  }

  answered(): void {
    if (!this.down) return;
    this.down = false;
    const message = 'sockjwt: revocation checks answer again';
    if (this.logger) this.logger.info({ event: 'revocation_restored' }, message);
    else process.emitWarning(message, { code: 'SOCKJWT_REVOCATION_RESTORED' });
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message || cause.name : String(cause);
}
