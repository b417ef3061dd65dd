import { keyUnavailable, type KeySet } from './key-set.js';
import { createRemoteKeySet, type JwksSettings } from './jwks.js';

/** An issuer's `discovery` option after validation (issuer-settings.ts). */
export interface DiscoverySettings {
  /** The configured issuer: the document must name exactly this one. */
  issuer: string;
  /** `discovery.url`, else `<issuer>/.well-known/openid-configuration`. */
  url: URL;
  /**
   * Timings, for the document and for the key set it points at. The headers go to the document
   * and to a key set on the document's or the issuer's origin, never to another origin.
   */
  timings: Omit<JwksSettings, 'url'>;
}

/** A discovery document is a few kilobytes; a larger answer is not one, and is not buffered whole. */
const MAX_DOCUMENT_BYTES = 256 * 1024;
const LOOPBACK: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The key set of an OpenID Provider, found through its discovery document. The document is
 * fetched lazily, cached for `cacheMaxAgeMs`, not fetched again for `cooldownMs` after a failure,
 * and kept for `staleIfErrorMs` while refreshing it fails, as the key set itself is (jwks.ts).
 * A document that names another issuer or an unacceptable `jwks_uri` counts as a failure: its
 * contents are never used. The token plays no part in any of it: nothing here reads a claim.
 */
export function createDiscoveredKeySet(settings: DiscoverySettings): KeySet {
  const discovery = new DiscoveredKeySet(settings);
  return (header) => discovery.keysFor(header);
}

class DiscoveredKeySet {
  private document: { jwksUrl: URL; fetchedAt: number } | undefined;
  /** The document fetch under way, and when the cold discovery it began must be answered by. */
  private inFlight: { jwksUrl: Promise<URL>; deadline: number } | undefined;
  private pausedUntil = 0;
  private keySet: { href: string; keys: KeySet } | undefined;
  /** Where the configured headers may go: the document's origin and the issuer's. */
  private readonly ownOrigins: ReadonlySet<string>;

  constructor(private readonly settings: DiscoverySettings) {
    this.ownOrigins = new Set([settings.url.origin, ...originOf(settings.issuer)]);
  }

  keysFor(header: Parameters<KeySet>[0]): ReturnType<KeySet> {
    const jwksUrl = this.jwksUrl();
    // Once the document is cached, no promise lies between the handshake and the key set.
    if (jwksUrl instanceof URL) return this.keysAt(jwksUrl)(header);
    // A cold discovery, document and key set together, answers within one `timeoutMs`.
    const { deadline } = jwksUrl;
    return jwksUrl.jwksUrl.then((url) => withDeadline(this.keysAt(url)(header), deadline, this.settings.timings.timeoutMs));
  }

  private jwksUrl(): URL | { jwksUrl: Promise<URL>; deadline: number } {
    const now = Date.now();
    if (this.document && now < this.document.fetchedAt + this.settings.timings.cacheMaxAgeMs) return this.document.jwksUrl;
    if (now < this.pausedUntil) return this.lastGood(undefined);
    this.inFlight ??= { jwksUrl: this.refresh().finally(() => (this.inFlight = undefined)), deadline: now + this.settings.timings.timeoutMs };
    return this.inFlight;
  }

  private async refresh(): Promise<URL> {
    try {
      const jwksUrl = await this.fetchJwksUrl();
      this.document = { jwksUrl, fetchedAt: Date.now() };
      return jwksUrl;
    } catch (error) {
      this.pausedUntil = Date.now() + this.settings.timings.cooldownMs;
      const where = this.settings.url.origin + this.settings.url.pathname;
      process.emitWarning(`sockjwt: the discovery document at ${where} is unusable: ${describe(error)}`, { code: 'SOCKJWT_DISCOVERY_UNAVAILABLE' });
      return this.lastGood(error);
    }
  }

  private lastGood(cause: unknown): URL {
    const { cacheMaxAgeMs, staleIfErrorMs } = this.settings.timings;
    if (this.document && Date.now() < this.document.fetchedAt + cacheMaxAgeMs + staleIfErrorMs) return this.document.jwksUrl;
    throw keyUnavailable(cause);
  }

  /** One key set per `jwks_uri`: a provider that moves it gets a fresh cache, never a shared one. */
  private keysAt(url: URL): KeySet {
    if (this.keySet?.href !== url.href) {
      // The document may name a key set anywhere on https: the operator's credentials stay home.
      const headers = this.ownOrigins.has(url.origin) ? this.settings.timings.headers : {};
      this.keySet = { href: url.href, keys: createRemoteKeySet({ ...this.settings.timings, headers, url }) };
    }
    return this.keySet.keys;
  }

  private async fetchJwksUrl(): Promise<URL> {
    const { url, timings } = this.settings;
    const response = await fetch(url, {
      headers: { accept: 'application/json', ...timings.headers },
      // As jose does for the key set: a redirect could lead anywhere, so none is followed.
      redirect: 'manual',
      signal: AbortSignal.timeout(timings.timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`HTTP status ${response.status}`);
    }
    const document = parseDocument(await readCapped(response));
    if (document['issuer'] !== this.settings.issuer) throw new Error(`the document names the issuer ${JSON.stringify(document['issuer'])?.slice(0, 200)}, not the configured one`);
    return jwksUrlFrom(document['jwks_uri'], url);
  }
}

async function readCapped(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_DOCUMENT_BYTES) {
      await reader.cancel();
      throw new Error(`the document is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseDocument(text: string): Record<string, unknown> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new Error('the document is not JSON');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new Error('the document is not a JSON object');
  return document as Record<string, unknown>;
}

/**
 * The `jwks_uri` a provider publishes, held to the rules of `jwks.uri` with no operator to warn:
 * https, or plain http only on the document's own loopback origin (a provider in a test or on the
 * same host). No credentials in it, no other scheme. Another https host is allowed: Google's and
 * Firebase's keys live on googleapis.com, not on the issuer's host.
 */
export function jwksUrlFrom(value: unknown, documentUrl: URL): URL {
  if (typeof value !== 'string') throw new Error('the document has no jwks_uri');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('its jwks_uri is not an absolute URL');
  }
  if (url.username || url.password) throw new Error('its jwks_uri holds credentials');
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && url.origin === documentUrl.origin && LOOPBACK.has(url.hostname)) return url;
  throw new Error(`its jwks_uri ${url.protocol}//${url.host} is neither https nor the provider's own loopback origin`);
}

/**
 * The key set's answer, or `key_unavailable` once `deadline` passes. The key set's own fetch
 * goes on (and is reported, and cached, as usual); only this handshake stops waiting for it.
 */
function withDeadline<T>(keys: Promise<T>, deadline: number, timeoutMs: number): Promise<T> {
  // Even past the deadline, keys already cached (the last good ones) win the race: they need no timer turn.
  const remaining = Math.max(0, deadline - Date.now());
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(keyUnavailable(new Error(`the discovery took longer than ${timeoutMs} ms`))), remaining);
    timer.unref();
  });
  return Promise.race([keys, late]).finally(() => clearTimeout(timer));
}

/** The issuer's origin, if it is a URL (with `discovery.url` it need not be one). */
function originOf(issuer: string): string[] {
  try {
    return [new URL(issuer).origin];
  } catch {
    return [];
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return message + cause;
}
