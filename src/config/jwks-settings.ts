import { numberOption } from '../util/numbers.js';
import type { JwksSettings } from '../verify/jwks.js';
import type { JwksOptions } from '../types.js';

const DEFAULTS = {
  cacheMaxAgeMs: 600_000,
  cooldownMs: 30_000,
  // Below message mode's default `timeout` (5000 ms), so a slow endpoint is reported as
  // `key_unavailable` rather than lost in `authentication_timeout`.
  timeoutMs: 3_000,
  // Microsoft.IdentityModel keeps its "last known good" configuration for one hour, too.
  staleIfErrorMs: 3_600_000,
} as const;

const TIMING_OPTIONS: ReadonlySet<string> = new Set(['headers', ...Object.keys(DEFAULTS)]);
const SUB_OPTIONS: ReadonlySet<string> = new Set(['uri', ...TIMING_OPTIONS]);
/** An issuer's `discovery`: the timings, and `url` for a metadata document at a URL of its own. */
export const DISCOVERY_OPTIONS: ReadonlySet<string> = new Set(['url', ...TIMING_OPTIONS]);
const LOOPBACK: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Checks the `jwks` option once, at `authorize()` time, like every other option. */
export function jwksSettings(options: JwksOptions, name = 'jwks'): JwksSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError(`sockjwt: "${name}" must be an object with a "uri"`);
  return { url: urlFrom(options.uri, `${name}.uri`, `${name}.headers`), ...fetchTimings(options, name, SUB_OPTIONS) };
}

/** The timings and headers of `jwks`, shared by an issuer's `discovery` (which has no `uri`). */
export function fetchTimings(options: Omit<JwksOptions, 'uri'>, name: string, allowed: ReadonlySet<string> = TIMING_OPTIONS): Omit<JwksSettings, 'url'> {
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) throw new TypeError(`sockjwt: unknown option "${name}.${key}"`);
  }
  return {
    cacheMaxAgeMs: milliseconds(options.cacheMaxAgeMs, `${name}.cacheMaxAgeMs`, 0) ?? DEFAULTS.cacheMaxAgeMs,
    cooldownMs: milliseconds(options.cooldownMs, `${name}.cooldownMs`, 0) ?? DEFAULTS.cooldownMs,
    timeoutMs: milliseconds(options.timeoutMs, `${name}.timeoutMs`, 1) ?? DEFAULTS.timeoutMs,
    staleIfErrorMs: milliseconds(options.staleIfErrorMs, `${name}.staleIfErrorMs`, 0) ?? DEFAULTS.staleIfErrorMs,
    headers: headersFrom(options.headers, name),
  };
}

/** An endpoint the operator configured: `jwks.uri`, `discovery.url`, or an issuer to discover (`name` says which). */
export function urlFrom(uri: unknown, name: string, headersName: string): URL {
  let url: URL;
  try {
    url = new URL(uri instanceof URL ? uri.href : String(uri ?? ''));
  } catch (cause) {
    throw new TypeError(`sockjwt: "${name}" must be an absolute http(s) URL`, { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`sockjwt: "${name}" must be an http(s) URL`);
  // fetch() refuses such URLs at request time; say so now, and keep secrets out of warnings.
  if (url.username || url.password) throw new TypeError(`sockjwt: "${name}" must not hold credentials; send them in "${headersName}"`);
  if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    // Anyone on the path could swap the keys: fine on a private network, so a warning, not an error.
    process.emitWarning(`sockjwt: "${name}" ${url.origin} is plain http; use https outside a trusted network`, { code: 'SOCKJWT_JWKS_INSECURE' });
  }
  return url;
}

/** Whole milliseconds (jose's timeout must be an integer); `minimum` 1 where 0 would mean "never". */
function milliseconds(value: unknown, name: string, minimum: 0 | 1): number | undefined {
  return numberOption(value, name, minimum === 1 ? 'positiveInteger' : 'nonNegativeInteger');
}

function headersFrom(headers: unknown, name: string): Record<string, string> {
  if (headers === undefined) return {};
  if (typeof headers !== 'object' || headers === null || Object.values(headers).some((value) => typeof value !== 'string')) {
    throw new TypeError(`sockjwt: "${name}.headers" must be an object of strings`);
  }
  return { ...(headers as Record<string, string>) };
}
