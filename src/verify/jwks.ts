import { createLocalJWKSet, createRemoteJWKSet, errors, jwksCache, type JSONWebKeySet, type JWKSCacheInput, type RemoteJWKSet } from 'jose';
import type { KeyObject } from 'node:crypto';
import { keySetError, keyUnavailable, selectKeys, type KeyResolver, type KeySet } from './key-set.js';
import type { JwtHeader } from '../types.js';

/** The `jwks` option after validation (see jwks-settings.ts). */
export interface JwksSettings {
  url: URL;
  cacheMaxAgeMs: number;
  cooldownMs: number;
  timeoutMs: number;
  staleIfErrorMs: number;
  headers: Record<string, string>;
}

/** A remote JWK Set, fetched lazily on the first token that needs it. */
export function createRemoteKeySet(settings: JwksSettings): KeySet {
  const keySet = new RemoteKeySet(settings);
  return (header) => keySet.keysFor(header);
}

/**
 * jose's remote key set does the fetching, the caching for `cacheMaxAgeMs`, the refetch when an
 * unknown `kid` arrives (at most once per `cooldownMs`), the fetch timeout, and it follows no
 * redirect. Around it, what an outage needs and jose leaves to its caller:
 * - after a failed fetch, no fetch for `cooldownMs`: a down or slow endpoint must not make every
 *   handshake wait for its own doomed request, nor be hammered by them;
 * - the last key set fetched keeps verifying, while fetching fails, until `staleIfErrorMs` past
 *   its max age: a short outage of the identity provider does not lock every user out.
 */
class RemoteKeySet {
  /** jose writes each successful fetch here (`uat`, `jwks`): the last known good key set. */
  private readonly lastFetched: Partial<{ uat: number; jwks: JSONWebKeySet }> = {};
  private readonly remote: RemoteJWKSet;
  private lastGood: { uat: number; resolver: KeyResolver } | undefined;
  private pausedUntil = 0;

  constructor(private readonly settings: JwksSettings) {
    this.remote = createRemoteJWKSet(settings.url, {
      cacheMaxAge: settings.cacheMaxAgeMs,
      cooldownDuration: settings.cooldownMs,
      timeoutDuration: settings.timeoutMs,
      headers: settings.headers,
      [jwksCache]: this.lastFetched as JWKSCacheInput,
    });
  }

  async keysFor(header: JwtHeader): Promise<KeyObject[]> {
    if (Date.now() < this.pausedUntil) return this.fromLastGood(header, undefined);
    try {
      return await selectKeys(this.remote, header);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) throw keySetError(error);
      this.pauseAfter(error);
      return this.fromLastGood(header, error);
    }
  }

  private pauseAfter(error: unknown): void {
    // Handshakes that shared the failed fetch all land here; the operator hears of it once.
    if (Date.now() < this.pausedUntil) return;
    this.pausedUntil = Date.now() + this.settings.cooldownMs;
    const where = this.settings.url.origin + this.settings.url.pathname;
    process.emitWarning(`sockjwt: the JWK Set at ${where} is unavailable: ${describe(error)}`, { code: 'SOCKJWT_JWKS_UNAVAILABLE' });
  }

  /**
   * Without the live key set an unknown `kid` may be a key published since the last fetch, so
   * it is `key_unavailable`, never `no_matching_key`.
   */
  private async fromLastGood(header: JwtHeader, cause: unknown): Promise<KeyObject[]> {
    const { uat, jwks } = this.lastFetched;
    const { cacheMaxAgeMs, staleIfErrorMs } = this.settings;
    if (uat === undefined || jwks === undefined || Date.now() >= uat + cacheMaxAgeMs + staleIfErrorMs) throw keyUnavailable(cause);
    if (this.lastGood?.uat !== uat) this.lastGood = { uat, resolver: createLocalJWKSet(jwks) };
    try {
      return await selectKeys(this.lastGood.resolver, header);
    } catch (error) {
      throw keyUnavailable(cause ?? error);
    }
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return message + cause;
}
