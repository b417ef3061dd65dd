import { createIssuerVerifier } from '../verify/issuers.js';
import { createDiscoveredKeySet, type DiscoverySettings } from '../verify/oidc-discovery.js';
import { createRemoteKeySet } from '../verify/jwks.js';
import { createKeySetVerifier, createTokenVerifier, type ClaimChecks, type VerifyToken } from '../verify/verify.js';
import { DISCOVERY_OPTIONS, fetchTimings, jwksSettings, urlFrom } from './jwks-settings.js';
import type { Algorithm, AuthorizeOptions, DiscoveryOptions, IssuerOptions } from '../types.js';

const ENTRY_OPTIONS: ReadonlySet<string> = new Set(['issuer', 'discovery', 'jwks', 'secret', 'audience', 'algorithms', 'typ']);
const KEY_SOURCES = ['discovery', 'jwks', 'secret'] as const;
const WELL_KNOWN = '/.well-known/openid-configuration';

/** How settings.ts reads the options an issuer may override, so both read them alike. */
export interface IssuerDefaults {
  /** The top-level claim checks: `audience`, `typ`, `maxAge`... and no `issuer`. */
  checks: ClaimChecks;
  /** The top-level `algorithms`. */
  algorithms: Algorithm[] | undefined;
  parseAlgorithms: (value: readonly string[] | undefined, option: string) => Algorithm[] | undefined;
  parseTyp: (value: string | undefined, option: string) => string | undefined;
}

/**
 * The `issuers` option: one verifier per trusted issuer, each with its own keys and its own
 * key cache, behind a selection by the token's exact `iss` (verify/issuers.ts).
 */
export function issuersVerifier(options: AuthorizeOptions<unknown>, defaults: IssuerDefaults): VerifyToken {
  for (const name of ['secret', 'jwks', 'issuer'] as const) {
    if (options[name] !== undefined) throw new TypeError(`sockjwt: set "issuers" or "${name}", not both (each issuer has its own)`);
  }
  const entries = options.issuers;
  if (!Array.isArray(entries) || entries.length === 0) throw new TypeError('sockjwt: "issuers" must be a non-empty array');
  const byIssuer = new Map<string, VerifyToken>();
  entries.forEach((entry: IssuerOptions, index) => {
    const name = `issuers[${index}]`;
    const issuer = issuerOf(entry, name);
    if (byIssuer.has(issuer)) throw new TypeError(`sockjwt: "${name}.issuer" ${issuer} is listed twice`);
    byIssuer.set(issuer, issuerVerifier(entry, issuer, name, defaults));
  });
  return createIssuerVerifier(byIssuer);
}

function issuerOf(entry: IssuerOptions, name: string): string {
  if (typeof entry !== 'object' || entry === null) throw new TypeError(`sockjwt: "${name}" must be an object with an "issuer"`);
  for (const key of Object.keys(entry)) {
    if (!ENTRY_OPTIONS.has(key)) throw new TypeError(`sockjwt: unknown option "${name}.${key}"`);
  }
  if (typeof entry.issuer !== 'string' || entry.issuer.length === 0) throw new TypeError(`sockjwt: "${name}.issuer" must be a non-empty string`);
  return entry.issuer;
}

function issuerVerifier(entry: IssuerOptions, issuer: string, name: string, defaults: IssuerDefaults): VerifyToken {
  const sources = KEY_SOURCES.filter((source) => entry[source] !== undefined);
  if (sources.length !== 1) throw new TypeError(`sockjwt: "${name}" needs exactly one of "discovery", "jwks" or "secret"`);
  const algorithms = defaults.parseAlgorithms(entry.algorithms, `${name}.algorithms`) ?? defaults.algorithms;
  const checks = issuerChecks(entry, issuer, name, defaults);
  if (entry.secret !== undefined) {
    if (typeof entry.secret === 'function') throw new TypeError(`sockjwt: "${name}.secret" must be keys, not a function`);
    return createTokenVerifier(entry.secret, algorithms, checks, { secretTimeoutMs: 1 });
  }
  if (checks.allowedAud === undefined) {
    // An identity provider's keys sign tokens for every application it serves.
    process.emitWarning(`sockjwt: "${name}" without "audience" accepts tokens ${issuer} issued for any application`, { code: 'SOCKJWT_JWKS_UNSCOPED' });
  }
  const keySet = entry.jwks !== undefined
    ? createRemoteKeySet(jwksSettings(entry.jwks, `${name}.jwks`))
    : createDiscoveredKeySet(discoverySettings(entry.discovery!, issuer, `${name}.discovery`));
  return createKeySetVerifier(keySet, algorithms, checks);
}

/** The top-level checks, with this issuer's `iss` (exact), `audience` and `typ`. */
function issuerChecks(entry: IssuerOptions, issuer: string, name: string, defaults: IssuerDefaults): ClaimChecks {
  const checks: ClaimChecks = { ...defaults.checks, allowedIss: issuer };
  const required = new Set(defaults.checks.requiredClaims ?? []);
  required.add('iss');
  if (entry.audience !== undefined) {
    if (!isAudience(entry.audience)) throw new TypeError(`sockjwt: "${name}.audience" must be a string, a RegExp, or an array of them`);
    checks.allowedAud = entry.audience;
    required.add('aud');
  }
  const typ = defaults.parseTyp(entry.typ, `${name}.typ`);
  if (typ !== undefined) checks.checkTyp = typ;
  checks.requiredClaims = [...required];
  return checks;
}

function isAudience(value: unknown): boolean {
  const one = (item: unknown) => (typeof item === 'string' && item.length > 0) || item instanceof RegExp;
  return Array.isArray(value) ? value.length > 0 && value.every(one) : one(value);
}

function discoverySettings(option: true | DiscoveryOptions, issuer: string, name: string): DiscoverySettings {
  if (option !== true && (typeof option !== 'object' || option === null)) {
    throw new TypeError(`sockjwt: "${name}" must be true or an object of timings`);
  }
  const given: DiscoveryOptions = option === true ? {} : option;
  // Checked first: an unknown sub-option is a typo, whatever else is wrong.
  const settings = fetchTimings(given, name, DISCOVERY_OPTIONS);
  if (given.url !== undefined) {
    // A metadata document of its own (RFC 8414, an Azure AD B2C policy): the issuer is only compared.
    return { issuer, url: urlFrom(given.url, `${name}.url`, `${name}.headers`), timings: settings };
  }
  const issuerName = name.replace(/\.discovery$/, '.issuer');
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch (cause) {
    throw new TypeError(`sockjwt: "${issuerName}" must be an absolute http(s) URL to discover it`, { cause });
  }
  // OpenID Connect Discovery §4: the issuer has no query or fragment; the path is appended to.
  if (issuerUrl.search || issuerUrl.hash) throw new TypeError(`sockjwt: "${issuerName}" must have no query or fragment to discover it`);
  const url = urlFrom(issuer.replace(/\/$/, '') + WELL_KNOWN, issuerName, `${name}.headers`);
  return { issuer, url, timings: settings };
}
