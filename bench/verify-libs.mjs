#!/usr/bin/env node
// Benchmark 1: verify throughput, HS256 / RS256 / ES256 / EdDSA.
//
//   node --import tsx bench/verify-libs.mjs [--no-write]
//
// Cases per algorithm: sockjwt's own verification path, jose jwtVerify, fast-jwt
// createVerifier (cache off and on), jsonwebtoken verify (what socketio-jwt and
// @thream/socketio-jwt use), and a "floor" that does only the signature check with bare
// node:crypto (no header/claims parsing). sockjwt appears twice: its verifier (what
// `authorize()` builds from `secret`, src/verify/verify.ts) and the whole per-handshake
// authenticate step (token shape, verify, revocation check; synchronous with a static key). Every case
// verifies the same token. Rounds are interleaved (each round runs every case once) and the
// median ops/s across rounds is reported, so numbers within one run compare.

import {
  createHmac,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
} from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { jwtVerify } from 'jose';
import { createVerifier } from 'fast-jwt';
import jsonwebtoken from 'jsonwebtoken';
import { createTokenVerifier } from '../src/verify/verify.js';
import { buildContext } from '../src/config/build-context.js';
import { SocketSession } from '../src/session/socket-session.js';
import { fmt, load, median, provenance, verdict, writeSection } from './lib/report.js';

const ROUNDS = 5;
const ITERATIONS = { HS256: 30_000, RS256: 10_000, ES256: 5_000, EdDSA: 5_000 };
const WARMUP_FRACTION = 0.2;
const loadBefore = load();

// ------------------------------------------------------------ tokens & keys

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const payload = { sub: 'user-42', name: 'Ada Lovelace', jti: 'c6b1b0f6-1a3e-4c55-9a53-0d1e4f3b8a21', iat: now, exp: now + 3600 };

function makeToken(alg, signFn) {
  const signingInput = `${b64u(JSON.stringify({ alg, typ: 'JWT' }))}.${b64u(JSON.stringify(payload))}`;
  return `${signingInput}.${b64u(signFn(Buffer.from(signingInput)))}`;
}

const secret = randomBytes(32);
const pairs = {
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: generateKeyPairSync('ed25519'),
};
const signers = {
  HS256: (data) => createHmac('sha256', secret).update(data).digest(),
  RS256: (data) => cryptoSign('sha256', data, pairs.RS256.privateKey),
  ES256: (data) => cryptoSign('sha256', data, { key: pairs.ES256.privateKey, dsaEncoding: 'ieee-p1363' }),
  EdDSA: (data) => cryptoSign(null, data, pairs.EdDSA.privateKey),
};
const tokens = Object.fromEntries(Object.keys(ITERATIONS).map((alg) => [alg, makeToken(alg, signers[alg])]));

// ------------------------------------------------------------ floor (node:crypto)

function splitToken(token) {
  const dot = token.lastIndexOf('.');
  return [token.slice(0, dot), Buffer.from(token.slice(dot + 1), 'base64url')];
}

function floor(alg, token) {
  const [signingInput, sig] = splitToken(token);
  if (alg === 'HS256') {
    const expected = createHmac('sha256', secret).update(signingInput).digest();
    if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) throw new Error('bad signature');
    return true;
  }
  const key = alg === 'ES256' ? { key: pairs.ES256.publicKey, dsaEncoding: 'ieee-p1363' } : pairs[alg].publicKey;
  if (!cryptoVerify(alg === 'EdDSA' ? null : 'sha256', Buffer.from(signingInput), key, sig)) throw new Error('bad signature');
  return true;
}

// ------------------------------------------------------------ cases

const secretKeyObject = createSecretKey(secret);
const pem = (alg) => pairs[alg].publicKey.export({ type: 'spki', format: 'pem' });
const request = /** @type {import('node:http').IncomingMessage} */ ({ headers: {} });
// What `authorize()` hands fast-jwt with no claim options set (src/config/parse-options.ts claimChecks).
const defaultChecks = { clockTolerance: 0, ignoreExpiration: false, ignoreNotBefore: false };

function casesFor(alg) {
  const token = tokens[alg];
  const publicKey = alg === 'HS256' ? undefined : createPublicKey(pem(alg));
  const joseKey = alg === 'HS256' ? new Uint8Array(secret) : publicKey; // Uint8Array / public KeyObject
  const fastKey = alg === 'HS256' ? secret : pem(alg); // Buffer / PEM (fast-jwt prepares a KeyObject once)
  const jwtKey = alg === 'HS256' ? secretKeyObject : publicKey; // KeyObject: jsonwebtoken's cheapest input
  const ourKey = alg === 'HS256' ? secret : pem(alg); // what a user passes as `secret`
  const fastNoCache = createVerifier({ key: fastKey, algorithms: [alg], cache: false });
  const fastCache = createVerifier({ key: fastKey, algorithms: [alg], cache: true });
  const ourVerifier = createTokenVerifier(ourKey, undefined, defaultChecks, { secretTimeoutMs: 3000 });
  const ourCachedVerifier = createTokenVerifier(ourKey, undefined, defaultChecks, { secretTimeoutMs: 3000, verifiedTokenCache: 1000 });
  // The whole per-token step of both modes, as a socket's session calls it: token, revocation, hooks.
  // (SocketSession's `authenticate`, private in TypeScript, on a session over a stand-in socket.)
  const session = (options) => new SocketSession({ request, data: {}, on() {} }, buildContext(options));
  const ours = session({ secret: ourKey, handshake: true });
  const ourCached = session({ secret: ourKey, handshake: true, verifiedTokenCache: 1000 });
  const ourAuthenticate = () => ours.authenticate(token, 'connect', undefined);
  const ourCachedAuthenticate = () => ourCached.authenticate(token, 'connect', undefined);
  return [
    { lib: 'sockjwt verifier', async: false, fn: () => ourVerifier(request, token) },
    { lib: 'sockjwt verifier, verifiedTokenCache hits', async: false, fn: () => ourCachedVerifier(request, token) },
    { lib: 'sockjwt authenticate (whole handshake step)', async: false, fn: ourAuthenticate },
    { lib: 'sockjwt authenticate, verifiedTokenCache hits', async: false, fn: ourCachedAuthenticate },
    { lib: 'jose', async: true, fn: () => jwtVerify(token, joseKey, { algorithms: [alg] }) },
    { lib: 'fast-jwt (cache: false)', async: false, fn: () => fastNoCache(token) },
    { lib: 'fast-jwt (cache: true)', async: false, fn: () => fastCache(token) },
    // jsonwebtoken 9 has no EdDSA.
    ...(alg === 'EdDSA' ? [] : [{ lib: 'jsonwebtoken', async: false, fn: () => jsonwebtoken.verify(token, jwtKey, { algorithms: [alg] }) }]),
    { lib: 'node:crypto (floor)', async: false, fn: () => floor(alg, token) },
  ].map((c) => ({ ...c, alg, samples: [] }));
}

async function sanityCheck(c) {
  const out = await c.fn();
  const claims = out === true ? payload : (out.payload ?? out);
  if (claims.sub !== payload.sub) throw new Error(`${c.lib} ${c.alg}: unexpected result ${JSON.stringify(out)}`);
}

async function run(c, n) {
  const start = performance.now();
  if (c.async) {
    for (let i = 0; i < n; i++) await c.fn();
  } else {
    for (let i = 0; i < n; i++) c.fn();
  }
  return performance.now() - start;
}

// ------------------------------------------------------------ main

const algs = Object.keys(ITERATIONS);
const cases = algs.flatMap(casesFor);

for (const c of cases) await sanityCheck(c);
for (const c of cases) await run(c, Math.round(ITERATIONS[c.alg] * WARMUP_FRACTION));

for (let round = 1; round <= ROUNDS; round++) {
  for (const c of cases) {
    const n = ITERATIONS[c.alg];
    const ms = await run(c, n);
    c.samples.push((n / ms) * 1000);
  }
  process.stderr.write(`round ${round}/${ROUNDS} done (load ${load()})\n`);
}

const ops = (alg, lib) => median(cases.find((c) => c.alg === alg && c.lib === lib).samples);
const ratio = (x) => `${x.toFixed(2)}×`;
const lines = ['| library | alg | ops/s | vs jsonwebtoken | vs floor |', '|---|---|---:|---:|---:|'];
for (const alg of algs) {
  const rows = cases.filter((c) => c.alg === alg);
  const jwt = alg === 'EdDSA' ? undefined : ops(alg, 'jsonwebtoken');
  const fl = ops(alg, 'node:crypto (floor)');
  for (const r of rows) {
    const x = median(r.samples);
    lines.push(`| ${r.lib} | ${alg} | ${fmt(x)} | ${jwt ? ratio(x / jwt) : 'n/a'} | ${ratio(x / fl)} |`);
  }
  if (alg === 'EdDSA') lines.push('| jsonwebtoken | EdDSA | not supported | — | — |');
}

const hsOurs = ops('HS256', 'sockjwt verifier');
const hsCached = ops('HS256', 'sockjwt verifier, verifiedTokenCache hits');
const hsAuth = ops('HS256', 'sockjwt authenticate (whole handshake step)');
const hsAuthCached = ops('HS256', 'sockjwt authenticate, verifiedTokenCache hits');
const hsJwt = ops('HS256', 'jsonwebtoken');
const hsFloor = ops('HS256', 'node:crypto (floor)');
const targets = [
  `- HS256 verify path ≥ 3× jsonwebtoken: with cache hits ${ratio(hsCached / hsJwt)} (verifier), ${ratio(hsAuthCached / hsJwt)} (whole authenticate step) — ${verdict(hsCached / hsJwt >= 3)}; ` +
    `on a first verification (no cache hit possible) ${ratio(hsOurs / hsJwt)} (verifier), ${ratio(hsAuth / hsJwt)} (authenticate step) — ${verdict(hsOurs / hsJwt >= 3)}. ` +
    `The floor itself is ${ratio(hsFloor / hsJwt)} jsonwebtoken, so 3× without a cache would need ${((3 * hsJwt) / hsFloor * 100).toFixed(0)} % of the floor while also parsing header and claims.`,
  `- within 1.5× of the node:crypto floor with cache hits: the cached verifier takes ${(hsFloor / hsCached).toFixed(2)}× the floor's time per token, the whole authenticate step ${(hsFloor / hsAuthCached).toFixed(2)}× — ${verdict(hsFloor / hsCached <= 1.5)} (verifier), ${verdict(hsFloor / hsAuthCached <= 1.5)} (authenticate step).`,
].join('\n');

const body = `## Verify path (issue 8, benchmark 1)

${provenance('npm run bench:verify', loadBefore)}

Every case verifies the same token (payload \`sub\`, \`name\`, \`jti\`, \`iat\`, \`exp\` = now + 1 h); RSA 2048, P-256, Ed25519.
Warm-up first, then ${ROUNDS} interleaved rounds (iterations per case and round: ${Object.entries(ITERATIONS).map(([a, n]) => `${a} ${fmt(n)}`).join(', ')});
the table gives the median. Async APIs are awaited on each call. **sockjwt verifier** is the function \`authorize()\` builds
from a static \`secret\` (src/verify/verify.ts: the key type bound once, a prebuilt fast-jwt verifier, errors mapped to reasons).
**sockjwt authenticate** is the whole per-token step both modes run (\`SocketSession\`'s \`authenticate\`, src/session/socket-session.ts): token shape and size,
verify, revocation against the default in-memory store (empty: not asked), no hooks (synchronous: no Promise with a static key). jsonwebtoken and jose get \`KeyObject\`s
(their cheapest input), fast-jwt and sockjwt the Buffer secret or PEM a user would pass. The \`cache: true\` and
\`verifiedTokenCache\` rows verify the same token again and again, so they measure cache hits (sockjwt's cache is off
by default; \`verifiedTokenCache: 1000\` here). The floor is the signature check alone.

${lines.join('\n')}

Targets:
${targets}
`;
console.log(body);
if (!process.argv.includes('--no-write')) writeSection('verify', body);
