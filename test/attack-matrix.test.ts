/**
 * One named case per attack (RFC 8725; the matrices of jose, fast-jwt and jsonwebtoken), each
 * asserting the exact code and reason, in both modes against one real server. Every refusal
 * case has an admitted twin nearby where it matters: refusing everything would fail them.
 */
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { authorize, type AuthorizeOptions, type JwtHeader } from '../src/index.js';
import { AUDIENCE, ISSUER, signingKey, type SigningKey } from './key-support.js';
import { next, nowSeconds, SECRET, type WireError } from './support.js';

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** The claims every namespace requires; a case overrides what it attacks. */
const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'u-1', iss: ISSUER, aud: AUDIENCE, iat: nowSeconds(), exp: nowSeconds() + 3600, ...extra });

/** A JWS signed with HMAC over whatever header and payload segments are given, as an attacker would. */
function hmac(header: unknown, payload: unknown, key: string | Buffer = SECRET, hash = 'sha256'): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
}

function asymmetric(header: { alg: string; [name: string]: unknown }, payload: unknown, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const hash = { RS256: 'sha256', ES256: 'sha256', ES384: 'sha384' }[header.alg] ?? 'sha256';
  const signature = cryptoSign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

function replaceSegment(token: string, index: number, segment: string): string {
  const parts = token.split('.');
  parts[index] = segment;
  return parts.join('.');
}

interface Keys {
  rsa: { privateKey: KeyObject; publicKey: KeyObject };
  ec: { privateKey: KeyObject; publicKey: KeyObject };
  otherEc: { privateKey: KeyObject; publicKey: KeyObject };
  published: SigningKey;
  attacker: SigningKey;
  jwksUri: string;
  attackerUri: string;
}

/** Namespaces: one `authorize()` configuration each, named by what it verifies with. */
function configurations(keys: Keys): Record<string, Partial<AuthorizeOptions>> {
  return {
    hs: { secret: SECRET },
    rs: { secret: keys.rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    es: { secret: keys.ec.publicKey },
    jwks: { jwks: { uri: keys.jwksUri, cooldownMs: 0 } },
    // The same key set behind `issuers`: every JWKS case below runs again through the selection by `iss`.
    issuers: { issuers: [{ issuer: ISSUER, jwks: { uri: keys.jwksUri, cooldownMs: 0 }, audience: AUDIENCE }, { issuer: `${ISSUER}/other`, secret: SECRET }] },
    jwkset: { secret: { keys: [keys.published.jwk] } },
    kidfn: {
      secret: (_request: unknown, header: JwtHeader, _payload: unknown, callback: (error: unknown, key?: string) => void) => {
        kidsSeen.push(header.kid);
        callback(null, SECRET);
      },
    },
    typ: { secret: SECRET, typ: 'at+jwt' },
    skew: { secret: SECRET, clockTolerance: 30 },
    sub: { secret: SECRET, subject: 'u-1' },
    age: { secret: SECRET, maxAge: 600 },
  };
}

/** `kid`s the `kidfn` secret function was handed, verbatim. */
const kidsSeen: unknown[] = [];

type Expect = { code: string; reason: string } | 'admitted';
interface Case {
  name: string;
  nsp: string;
  token: (keys: Keys) => unknown;
  expect: Expect;
}

const refused = (reason: string, code = 'invalid_token'): Expect => ({ code, reason });

const NONE_CASINGS = ['none', 'None', 'NONE', 'nOnE'];
const PATH_AND_SQL_KIDS = ['../../../../../../dev/null', "' OR '1'='1", 'key"; DROP TABLE keys; --', '/etc/passwd\u0000', '..\\..\\windows\\win.ini'];

function rsPublicPems(keys: Keys): Array<[string, string | Buffer]> {
  const spki = keys.rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const pkcs1 = keys.rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return [
    ['SPKI PEM', spki],
    ['SPKI PEM without its final newline', spki.trimEnd()],
    ['SPKI PEM with CRLF line ends', spki.replace(/\n/g, '\r\n')],
    ['PKCS#1 PEM', pkcs1],
    ['SPKI DER bytes', keys.rsa.publicKey.export({ type: 'spki', format: 'der' })],
    ['JWK JSON of the public key', JSON.stringify(keys.rsa.publicKey.export({ format: 'jwk' }))],
  ];
}

const CASES: Case[] = [
  // --- alg: none, every casing, with and without a signature
  ...NONE_CASINGS.flatMap((alg): Case[] => [
    { name: `alg "${alg}", empty signature`, nsp: 'hs', token: () => `${b64({ alg, typ: 'JWT' })}.${b64(claims())}.`, expect: refused('bad_signature') },
    { name: `alg "${alg}", signature present`, nsp: 'hs', token: () => replaceSegment(hmac({ alg: 'HS256' }, claims()), 0, b64({ alg })), expect: refused('algorithm_not_allowed') },
    // No signature is refused before the key set is consulted, with jsonwebtoken's `jwt signature is required`.
    { name: `alg "${alg}" against a JWKS`, nsp: 'jwks', token: () => `${b64({ alg, kid: 'published' })}.${b64(claims())}.`, expect: refused('bad_signature') },
  ]),
  { name: 'alg missing from the header', nsp: 'hs', token: () => replaceSegment(hmac({ alg: 'HS256' }, claims()), 0, b64({ typ: 'JWT' })), expect: refused('algorithm_not_allowed') },
  { name: 'alg of the wrong type (a number)', nsp: 'hs', token: () => hmac({ alg: 256 }, claims()), expect: refused('algorithm_not_allowed') },

  // --- RS256 → HS256: the public key used as an HMAC secret, in every form it is published
  ...(['HS256', 'HS384', 'HS512'] as const).flatMap((alg) =>
    [0, 1, 2, 3, 4, 5].map((variant): Case => ({
      name: `${alg} signed with the RSA public key (variant ${variant})`,
      nsp: 'rs',
      token: (keys) => hmac({ alg }, claims(), rsPublicPems(keys)[variant]![1], `sha${alg.slice(2)}`),
      expect: refused('algorithm_not_allowed'),
    })),
  ),
  { name: 'HS256 signed with a published JWK modulus, against a JWKS', nsp: 'jwks', token: (keys) => hmac({ alg: 'HS256', kid: 'published' }, claims(), String(keys.published.jwk['n'])), expect: refused('algorithm_not_allowed') },
  { name: 'HS256 signed with the EC public key PEM', nsp: 'es', token: (keys) => hmac({ alg: 'HS256' }, claims(), keys.ec.publicKey.export({ type: 'spki', format: 'pem' }).toString()), expect: refused('algorithm_not_allowed') },

  // --- ES/RS mismatch
  { name: 'ES256 token against an RSA key', nsp: 'rs', token: (keys) => asymmetric({ alg: 'ES256' }, claims(), keys.ec.privateKey), expect: refused('algorithm_not_allowed') },
  { name: 'RS256 token against an EC key', nsp: 'es', token: (keys) => asymmetric({ alg: 'RS256' }, claims(), keys.rsa.privateKey), expect: refused('algorithm_not_allowed') },
  { name: 'ES384 header over an ES256 signature', nsp: 'es', token: (keys) => replaceSegment(asymmetric({ alg: 'ES256' }, claims(), keys.ec.privateKey), 0, b64({ alg: 'ES384' })), expect: refused('algorithm_not_allowed') },
  { name: 'ES256 signed by another P-256 key', nsp: 'es', token: (keys) => asymmetric({ alg: 'ES256' }, claims(), keys.otherEc.privateKey), expect: refused('bad_signature') },
  { name: 'ES256 signed by the right key (control)', nsp: 'es', token: (keys) => asymmetric({ alg: 'ES256' }, claims(), keys.ec.privateKey), expect: 'admitted' },
  { name: 'RS256 signed by the right key (control)', nsp: 'rs', token: (keys) => asymmetric({ alg: 'RS256' }, claims(), keys.rsa.privateKey), expect: 'admitted' },

  // --- kid with path and SQL characters
  ...PATH_AND_SQL_KIDS.flatMap((kid): Case[] => [
    { name: `kid ${JSON.stringify(kid)} against a JWK Set`, nsp: 'jwkset', token: (keys) => keys.attacker.sign({}, { kid }), expect: refused('no_matching_key') },
    { name: `kid ${JSON.stringify(kid)} signed with an empty key, static secret`, nsp: 'hs', token: () => hmac({ alg: 'HS256', kid }, claims(), Buffer.alloc(0)), expect: refused('bad_signature') },
    { name: `kid ${JSON.stringify(kid)} reaches a secret function verbatim`, nsp: 'kidfn', token: () => hmac({ alg: 'HS256', kid }, claims(), Buffer.alloc(0)), expect: refused('bad_signature') },
  ]),

  // --- headers that point at keys: never followed, never trusted
  { name: 'jku pointing at the attacker, unknown kid', nsp: 'jwks', token: (keys) => keys.attacker.sign({}, { jku: keys.attackerUri }), expect: refused('no_matching_key') },
  { name: 'jku pointing at the attacker, published kid', nsp: 'jwks', token: (keys) => keys.attacker.sign({}, { kid: 'published', jku: keys.attackerUri }), expect: refused('bad_signature') },
  { name: 'x5u pointing at the attacker', nsp: 'jwks', token: (keys) => keys.attacker.sign({}, { kid: 'published', x5u: keys.attackerUri }), expect: refused('bad_signature') },
  { name: 'embedded jwk of the attacker, published kid', nsp: 'jwks', token: (keys) => keys.attacker.sign({}, { kid: 'published', jwk: keys.attacker.jwk }), expect: refused('bad_signature') },
  { name: 'embedded jwk of the attacker, static RSA key', nsp: 'rs', token: (keys) => asymmetric({ alg: 'RS256', jwk: keys.attacker.jwk }, claims(), keys.attacker.privateKey), expect: refused('bad_signature') },
  { name: 'embedded jwk of the attacker, static JWK Set', nsp: 'jwkset', token: (keys) => keys.attacker.sign({}, { kid: 'published', jwk: keys.attacker.jwk }), expect: refused('bad_signature') },
  { name: 'x5c chain of garbage, published kid', nsp: 'jwks', token: (keys) => keys.attacker.sign({}, { kid: 'published', x5c: ['MIIB' + 'A'.repeat(60)] }), expect: refused('bad_signature') },
  { name: 'published key (control)', nsp: 'jwks', token: (keys) => keys.published.sign(), expect: 'admitted' },

  // --- crit
  { name: 'crit naming an unknown extension', nsp: 'hs', token: () => hmac({ alg: 'HS256', crit: ['exp-ext'], 'exp-ext': 1 }, claims()), expect: refused('malformed') },
  { name: 'crit empty', nsp: 'hs', token: () => hmac({ alg: 'HS256', crit: [] }, claims()), expect: refused('malformed') },
  { name: 'crit naming a standard header', nsp: 'hs', token: () => hmac({ alg: 'HS256', crit: ['alg'] }, claims()), expect: refused('malformed') },
  { name: 'crit naming an absent extension', nsp: 'hs', token: () => hmac({ alg: 'HS256', crit: ['b64'] }, claims()), expect: refused('malformed') },

  // --- tampering
  { name: 'tampered header (HS256 → HS512, same signature)', nsp: 'hs', token: () => replaceSegment(hmac({ alg: 'HS256' }, claims()), 0, b64({ alg: 'HS512' })), expect: refused('bad_signature') },
  { name: 'tampered header (typ added)', nsp: 'hs', token: () => replaceSegment(hmac({ alg: 'HS256' }, claims()), 0, b64({ alg: 'HS256', typ: 'JWT' })), expect: refused('bad_signature') },
  { name: 'tampered payload (sub → admin)', nsp: 'hs', token: () => replaceSegment(hmac({ alg: 'HS256' }, claims()), 1, b64(claims({ sub: 'admin' }))), expect: refused('bad_signature') },
  { name: 'tampered payload (exp extended)', nsp: 'hs', token: () => replaceSegment(hmac({ alg: 'HS256' }, claims()), 1, b64(claims({ exp: nowSeconds() + 10 ** 6 }))), expect: refused('bad_signature') },
  { name: 'tampered signature (one character)', nsp: 'hs', token: () => { const token = hmac({ alg: 'HS256' }, claims()); return token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1); }, expect: refused('bad_signature') },
  { name: 'signature stripped', nsp: 'hs', token: () => replaceSegment(hmac({ alg: 'HS256' }, claims()), 2, ''), expect: refused('bad_signature') },
  { name: 'signature of another token', nsp: 'hs', token: () => replaceSegment(hmac({ alg: 'HS256' }, claims()), 2, hmac({ alg: 'HS256' }, claims({ sub: 'u-2' })).split('.')[2]!), expect: refused('bad_signature') },
  { name: 'signed with another secret', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims(), 'not-the-secret'), expect: refused('bad_signature') },
  { name: 'HS256 with the right secret (control)', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims()), expect: 'admitted' },

  // --- shape
  { name: 'one segment', nsp: 'hs', token: () => b64({ alg: 'HS256' }), expect: refused('malformed') },
  { name: 'two segments', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims()).split('.').slice(0, 2).join('.'), expect: refused('malformed') },
  { name: 'four segments', nsp: 'hs', token: () => `${hmac({ alg: 'HS256' }, claims())}.extra`, expect: refused('malformed') },
  { name: 'five segments (a JWE shape)', nsp: 'hs', token: () => 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aaaa.bbbb.cccc', expect: refused('malformed') },
  { name: 'only dots', nsp: 'hs', token: () => '..', expect: refused('malformed') },
  { name: 'not base64url at all', nsp: 'hs', token: () => '***.***.***', expect: refused('malformed') },
  { name: 'base64 "+" in the header', nsp: 'hs', token: () => 'eyJhbGciOiJIUzI1NiJ9+.e30.abc', expect: refused('malformed') },
  { name: 'header not JSON', nsp: 'hs', token: () => `${b64('nope')}.${b64(claims())}.sig`, expect: refused('malformed') },
  { name: 'header a JSON array', nsp: 'hs', token: () => hmac([{ alg: 'HS256' }], claims()), expect: refused('malformed') },
  { name: 'payload not JSON', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, 'not json'), expect: refused('malformed') },
  { name: 'payload a JSON number', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, 42), expect: refused('malformed') },
  { name: 'payload a JSON array', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, [claims()]), expect: refused('malformed') },
  { name: 'payload JSON null', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, null), expect: refused('malformed') },
  { name: 'payload a JSON string', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, '"sub"'), expect: refused('malformed') },
  { name: 'payload a JSON array, via a secret function', nsp: 'kidfn', token: () => hmac({ alg: 'HS256' }, [claims()]), expect: refused('malformed') },
  { name: 'token not a string (number)', nsp: 'hs', token: () => 12345, expect: refused('malformed') },
  { name: 'token not a string (object)', nsp: 'hs', token: () => ({ token: 'x' }), expect: refused('malformed') },
  { name: 'token not a string (array)', nsp: 'hs', token: () => [hmac({ alg: 'HS256' }, claims())], expect: refused('malformed') },
  { name: 'oversized token (8193 characters)', nsp: 'hs', token: () => 'a'.repeat(8193), expect: refused('too_large') },
  { name: 'oversized but validly signed token', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ pad: 'x'.repeat(9000) })), expect: refused('too_large') },

  // --- time claims
  { name: 'exp exactly now', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ exp: nowSeconds() })), expect: refused('expired') },
  { name: 'exp one second ago', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ exp: nowSeconds() - 1 })), expect: refused('expired') },
  { name: 'exp a numeric string', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ exp: String(nowSeconds() + 3600) })), expect: refused('claim_invalid') },
  { name: 'exp not a number (boolean)', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ exp: true })), expect: refused('claim_invalid') },
  { name: 'exp negative', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ exp: -1 })), expect: refused('expired') },
  { name: 'exp zero', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ exp: 0 })), expect: refused('expired') },
  { name: 'exp in year 9999 (far future, admitted)', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ exp: 253402300799 })), expect: 'admitted' },
  { name: 'exp beyond every timer (1e20, admitted)', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ exp: 1e20 })), expect: 'admitted' },
  { name: 'nbf in the future', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ nbf: nowSeconds() + 60 })), expect: refused('not_yet_valid') },
  { name: 'nbf far future', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ nbf: 253402300799 })), expect: refused('not_yet_valid') },
  { name: 'nbf not a number', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ nbf: 'now' })), expect: refused('claim_invalid') },
  { name: 'nbf negative (admitted)', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ nbf: -5 })), expect: 'admitted' },
  { name: 'nbf exactly now (admitted)', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ nbf: nowSeconds() })), expect: 'admitted' },
  { name: 'iat not a number', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ iat: 'yesterday' })), expect: refused('claim_invalid') },
  { name: 'iat an object', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ iat: { $gt: 0 } })), expect: refused('claim_invalid') },
  { name: 'iat older than maxAge', nsp: 'age', token: () => hmac({ alg: 'HS256' }, claims({ iat: nowSeconds() - 601 })), expect: refused('expired') },
  { name: 'iat missing with maxAge', nsp: 'age', token: () => hmac({ alg: 'HS256' }, { sub: 'u-1', iss: ISSUER, aud: AUDIENCE, exp: nowSeconds() + 60 }), expect: refused('claim_invalid') },
  { name: 'iat within maxAge (control)', nsp: 'age', token: () => hmac({ alg: 'HS256' }, claims({ iat: nowSeconds() - 60 })), expect: 'admitted' },

  // --- clock skew (clockTolerance 30 s)
  { name: 'expired 10 s ago, within tolerance', nsp: 'skew', token: () => hmac({ alg: 'HS256' }, claims({ exp: nowSeconds() - 10 })), expect: 'admitted' },
  { name: 'expired 60 s ago, beyond tolerance', nsp: 'skew', token: () => hmac({ alg: 'HS256' }, claims({ exp: nowSeconds() - 60 })), expect: refused('expired') },
  { name: 'nbf 10 s ahead, within tolerance', nsp: 'skew', token: () => hmac({ alg: 'HS256' }, claims({ nbf: nowSeconds() + 10 })), expect: 'admitted' },
  { name: 'nbf 60 s ahead, beyond tolerance', nsp: 'skew', token: () => hmac({ alg: 'HS256' }, claims({ nbf: nowSeconds() + 60 })), expect: refused('not_yet_valid') },

  // --- audience, issuer, subject
  { name: 'wrong aud', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ aud: 'other-app' })), expect: refused('claim_invalid') },
  { name: 'aud missing', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, { sub: 'u-1', iss: ISSUER, exp: nowSeconds() + 60 }), expect: refused('claim_invalid') },
  { name: 'aud an array of other apps', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ aud: ['a', 'b'] })), expect: refused('claim_invalid') },
  { name: 'aud a number', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ aud: 1 })), expect: refused('claim_invalid') },
  { name: 'aud a prefix of the expected one', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ aud: AUDIENCE.slice(0, -1) })), expect: refused('claim_invalid') },
  { name: 'wrong iss', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ iss: 'https://evil.example' })), expect: refused('claim_invalid') },
  { name: 'iss with a trailing slash', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, claims({ iss: `${ISSUER}/` })), expect: refused('claim_invalid') },
  { name: 'iss missing', nsp: 'hs', token: () => hmac({ alg: 'HS256' }, { sub: 'u-1', aud: AUDIENCE, exp: nowSeconds() + 60 }), expect: refused('claim_invalid') },
  { name: 'wrong sub', nsp: 'sub', token: () => hmac({ alg: 'HS256' }, claims({ sub: 'u-2' })), expect: refused('claim_invalid') },
  { name: 'sub missing', nsp: 'sub', token: () => hmac({ alg: 'HS256' }, { iss: ISSUER, aud: AUDIENCE, exp: nowSeconds() + 60 }), expect: refused('claim_invalid') },

  // --- typ (RFC 8725 §3.11): an ID token is not an access token
  { name: 'ID token (typ JWT) where at+jwt is required', nsp: 'typ', token: () => hmac({ alg: 'HS256', typ: 'JWT' }, claims()), expect: refused('claim_invalid') },
  { name: 'no typ where at+jwt is required', nsp: 'typ', token: () => hmac({ alg: 'HS256' }, claims()), expect: refused('claim_invalid') },
  { name: 'typ a number', nsp: 'typ', token: () => hmac({ alg: 'HS256', typ: 1 }, claims()), expect: refused('claim_invalid') },
  { name: 'typ application/at+jwt (admitted)', nsp: 'typ', token: () => hmac({ alg: 'HS256', typ: 'application/at+jwt' }, claims()), expect: 'admitted' },
  { name: 'typ AT+JWT (admitted)', nsp: 'typ', token: () => hmac({ alg: 'HS256', typ: 'AT+JWT' }, claims()), expect: 'admitted' },
];
CASES.push(...CASES.filter((c) => c.nsp === 'jwks').map((c) => ({ ...c, name: `${c.name}, through issuers`, nsp: 'issuers' })));
// The other issuer verifies HS256 with SECRET: its key must never verify a token claiming ISSUER.
CASES.push(
  { name: 'HS256 with the other issuer\'s secret, claiming the key-set issuer', nsp: 'issuers', token: () => hmac({ alg: 'HS256' }, claims()), expect: refused('algorithm_not_allowed') },
  { name: 'the other issuer\'s own token (control)', nsp: 'issuers', token: () => hmac({ alg: 'HS256' }, claims({ iss: `${ISSUER}/other` })), expect: 'admitted' },
  { name: 'iss of the key-set issuer with a trailing slash', nsp: 'issuers', token: (keys) => keys.published.sign({ iss: `${ISSUER}/` }), expect: refused('claim_invalid') },
);

interface Running {
  keys: Keys;
  url: string;
  attackerRequests: string[];
  jwksRequests: string[];
  close(): Promise<void>;
}

async function listen(server: HttpServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The socket.io server (both modes, one namespace each per configuration), a JWKS endpoint and an attacker's. */
async function start(): Promise<Running> {
  const published = signingKey('RS256', 'published');
  const attacker = signingKey('RS256', 'attacker');
  const jwksRequests: string[] = [];
  const attackerRequests: string[] = [];
  const jwksServer = createServer((request, response) => {
    jwksRequests.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [published.jwk] }));
  });
  const attackerServer = createServer((request, response) => {
    attackerRequests.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [attacker.jwk] }));
  });
  const jwksUri = `${await listen(jwksServer)}/jwks.json`;
  const attackerUri = `${await listen(attackerServer)}/jwks.json`;
  const keys: Keys = {
    rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    otherEc: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    published,
    attacker,
    jwksUri,
    attackerUri,
  };
  const http = createServer();
  const io = new Server(http);
  for (const [name, options] of Object.entries(configurations(keys))) {
    const common = options.issuers ? options : { issuer: ISSUER, audience: AUDIENCE, ...options };
    io.of(`/h-${name}`).use(authorize({ ...common, handshake: true } as AuthorizeOptions));
    io.of(`/m-${name}`).on('connection', authorize({ ...common, timeout: 10_000 } as AuthorizeOptions) as (socket: unknown) => void);
  }
  const url = await listen(http);
  return {
    keys,
    url,
    attackerRequests,
    jwksRequests,
    async close() {
      await io.close();
      for (const server of [jwksServer, attackerServer]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
}

const clients: ClientSocket[] = [];
function client(url: string, options: object = {}): ClientSocket {
  const socket = connectClient(url, { forceNew: true, reconnection: false, transports: ['websocket'], ...options });
  clients.push(socket);
  return socket;
}

/** Handshake mode: the token in `auth`; the answer is `connect` or `connect_error`. */
async function handshakeOutcome(running: Running, nsp: string, token: unknown): Promise<Expect> {
  const socket = client(`${running.url}/h-${nsp}`, { auth: { token } });
  const outcome = await Promise.race([
    next(socket, 'connect', 8000).then((): Expect => 'admitted'),
    next<[WireError]>(socket, 'connect_error', 8000).then(([error]): Expect => ({ code: error.data.code, reason: error.data.reason })),
  ]);
  socket.disconnect();
  return outcome;
}

/** Message mode: `authenticate` after connect; the answer is its acknowledgement. */
async function messageOutcome(running: Running, nsp: string, token: unknown): Promise<Expect> {
  const socket = client(`${running.url}/m-${nsp}`);
  await next(socket, 'connect', 8000);
  const ack = (await socket.timeout(8000).emitWithAck('authenticate', { token })) as { ok: boolean; data?: WireError['data'] };
  socket.disconnect();
  return ack.ok ? 'admitted' : { code: ack.data!.code, reason: ack.data!.reason };
}

describe('attack matrix', () => {
  let running: Running;
  before(async () => {
    running = await start();
  });
  after(async () => {
    for (const socket of clients) socket.disconnect();
    await running.close();
  });

  for (const [mode, outcome] of [['handshake', handshakeOutcome], ['message', messageOutcome]] as const) {
    describe(`${mode} mode`, () => {
      for (const c of CASES) {
        const expected = c.expect === 'admitted' ? 'admitted' : `${c.expect.code}/${c.expect.reason}`;
        it(`${c.name} → ${expected}`, async () => {
          const token = await c.token(running.keys);
          assert.deepEqual(await outcome(running, c.nsp, token), c.expect);
        });
      }
    });
  }

  it('no token ever made the server fetch from a jku or x5u it named', () => {
    assert.deepEqual(running.attackerRequests, []);
    assert.ok(running.jwksRequests.length >= 1, 'the configured JWKS endpoint was used');
  });

  it('a kid reaches a secret function verbatim, as data', () => {
    for (const kid of PATH_AND_SQL_KIDS) assert.equal(kidsSeen.filter((seen) => seen === kid).length, 2, `kid ${JSON.stringify(kid)} seen once per mode`);
  });
});

export const ATTACK_CASES = CASES.length;
