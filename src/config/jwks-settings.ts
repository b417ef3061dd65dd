import { numberOption } from '../util/numbers.js';
import type { JwksSettings } from '../verify/jwks.js';
import type { JwksOptions } from '../options/options.js';

const DEFAULTS = {
  cacheMaxAgeMs: 600_000,
  cooldownMs: 30_000,
  // Below message mode's default `timeout` (5000 ms), so a slow endpoint is reported as
  // `key_unavailable` rather than lost in `authentication_timeout`.
  timeoutMs: 3_000,
  // Microsoft.IdentityModel keeps its "last known good" configuration for one hour, too.
  staleIfErrorMs: 3_600_000,
} as const;

const SUB_OPTIONS: ReadonlySet<string> = new Set(['uri', 'headers', ...Object.keys(DEFAULTS)]);
const LOOPBACK: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Checks the `jwks` option once, at `authorize()` time, like every other option. */
export function jwksSettings(options: JwksOptions): JwksSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError('sockjwt: "jwks" must be an object with a "uri"');
  for (const name of Object.keys(options)) {
    if (!SUB_OPTIONS.has(name)) throw new TypeError(`sockjwt: unknown option "jwks.${name}"`);
  }
  return {
    url: urlFrom(options.uri),
    cacheMaxAgeMs: milliseconds(options.cacheMaxAgeMs, 'cacheMaxAgeMs', 0) ?? DEFAULTS.cacheMaxAgeMs,
    cooldownMs: milliseconds(options.cooldownMs, 'cooldownMs', 0) ?? DEFAULTS.cooldownMs,
    timeoutMs: milliseconds(options.timeoutMs, 'timeoutMs', 1) ?? DEFAULTS.timeoutMs,
    staleIfErrorMs: milliseconds(options.staleIfErrorMs, 'staleIfErrorMs', 0) ?? DEFAULTS.staleIfErrorMs,
    headers: headersFrom(options.headers),
  };
}

function urlFrom(uri: unknown): URL {
  let url: URL;
  try {
    url = new URL(uri instanceof URL ? uri.href : String(uri ?? ''));
  } catch (cause) {
    throw new TypeError('sockjwt: "jwks.uri" must be an absolute http(s) URL', { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('sockjwt: "jwks.uri" must be an http(s) URL');
  // fetch() refuses such URLs at request time; say so now, and keep secrets out of warnings.
  if (url.username || url.password) throw new TypeError('sockjwt: "jwks.uri" must not hold credentials; send them in "jwks.headers"');
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    // Anyone on the path could swap the keys: fine on a private network, so a warning, not an error.
    process.emitWarning(`sockjwt: "jwks.uri" ${url.origin} is plain http; use https outside a trusted network`, { code: 'SOCKJWT_JWKS_INSECURE' });
  }
  return url;
}

/** Whole milliseconds (jose's timeout must be an integer); `minimum` 1 where 0 would mean "never". */
/** Whole milliseconds: jose's cache and fetch take integers. */
function milliseconds(value: unknown, name: string, minimum: 0 | 1): number | undefined {
  return numberOption(value, `jwks.${name}`, minimum === 1 ? 'positiveInteger' : 'nonNegativeInteger');
}

function headersFrom(headers: unknown): Record<string, string> {
  if (headers === undefined) return {};
  if (typeof headers !== 'object' || headers === null || Object.values(headers).some((value) => typeof value !== 'string')) {
    throw new TypeError('sockjwt: "jwks.headers" must be an object of strings');
  }
  return { ...(headers as Record<string, string>) };
}
