#!/usr/bin/env node
// Verify throughput of JOSE libraries on HS256 and ES256 tokens.
//
//   node bench/verify-libs.mjs
//
// Cases per algorithm: jose jwtVerify, fast-jwt createVerifier (cache off and
// on), jsonwebtoken verify, and a "floor" that does only the signature check
// with bare node:crypto (no header/claims parsing). Every case verifies the
// same token. Rounds are interleaved (each round runs every case once) and the
// median ops/s across rounds is reported, so numbers within one run compare.

import {
  createHmac,
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

const ROUNDS = 3;
const ITERATIONS = { HS256: 30_000, ES256: 5_000 };
const WARMUP_FRACTION = 0.2;

// ------------------------------------------------------------ tokens & keys

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const payload = { sub: 'user-42', name: 'Ada Lovelace', iat: now, exp: now + 3600 };

function makeToken(alg, signFn) {
  const signingInput = `${b64u(JSON.stringify({ alg, typ: 'JWT' }))}.${b64u(JSON.stringify(payload))}`;
  return `${signingInput}.${b64u(signFn(Buffer.from(signingInput)))}`;
}

const secret = randomBytes(32);
const hsToken = makeToken('HS256', (data) => createHmac('sha256', secret).update(data).digest());

const { privateKey: ecPrivate, publicKey: ecPublic } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecPublicPem = ecPublic.export({ type: 'spki', format: 'pem' });
const esToken = makeToken('ES256', (data) =>
  cryptoSign('sha256', data, { key: ecPrivate, dsaEncoding: 'ieee-p1363' }),
);

// ------------------------------------------------------------ floor (node:crypto)

function splitToken(token) {
  const dot = token.lastIndexOf('.');
  return [token.slice(0, dot), Buffer.from(token.slice(dot + 1), 'base64url')];
}

function floorHS256(token) {
  const [signingInput, sig] = splitToken(token);
  const expected = createHmac('sha256', secret).update(signingInput).digest();
  if (sig.length !== expected.length || !timingSafeEqual(sig, expected)) throw new Error('bad signature');
  return true;
}

function floorES256(token) {
  const [signingInput, sig] = splitToken(token);
  const ok = cryptoVerify('sha256', Buffer.from(signingInput), { key: ecPublic, dsaEncoding: 'ieee-p1363' }, sig);
  if (!ok) throw new Error('bad signature');
  return true;
}

// ------------------------------------------------------------ cases

const secretKeyObject = createSecretKey(secret);

function casesFor(alg) {
  const token = alg === 'HS256' ? hsToken : esToken;
  const joseKey = alg === 'HS256' ? new Uint8Array(secret) : ecPublic; // Uint8Array / public KeyObject
  const fastKey = alg === 'HS256' ? secret : ecPublicPem; // Buffer / PEM (fast-jwt prepares a KeyObject once)
  const jwtKey = alg === 'HS256' ? secretKeyObject : ecPublic; // KeyObject: jsonwebtoken's cheapest input
  const fastNoCache = createVerifier({ key: fastKey, algorithms: [alg], cache: false });
  const fastCache = createVerifier({ key: fastKey, algorithms: [alg], cache: true });
  return [
    { lib: 'jose', async: true, fn: () => jwtVerify(token, joseKey, { algorithms: [alg] }) },
    { lib: 'fast-jwt (cache: false)', async: false, fn: () => fastNoCache(token) },
    { lib: 'fast-jwt (cache: true)', async: false, fn: () => fastCache(token) },
    { lib: 'jsonwebtoken', async: false, fn: () => jsonwebtoken.verify(token, jwtKey, { algorithms: [alg] }) },
    { lib: 'node:crypto (floor)', async: false, fn: () => (alg === 'HS256' ? floorHS256(token) : floorES256(token)) },
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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ------------------------------------------------------------ main

const cases = [...casesFor('HS256'), ...casesFor('ES256')];

for (const c of cases) await sanityCheck(c);
for (const c of cases) await run(c, Math.round(ITERATIONS[c.alg] * WARMUP_FRACTION));

for (let round = 1; round <= ROUNDS; round++) {
  for (const c of cases) {
    const n = ITERATIONS[c.alg];
    const ms = await run(c, n);
    c.samples.push((n / ms) * 1000);
  }
  process.stderr.write(`round ${round}/${ROUNDS} done\n`);
}

const fmtOps = (x) => Math.round(x).toLocaleString('en-US');
const fmtRatio = (x) => `${x.toFixed(2)}×`;

console.log(`Node ${process.version} (${process.platform}/${process.arch}), ${new Date().toISOString()}`);
console.log(
  `${ROUNDS} interleaved rounds, median reported; iterations per round: ` +
    Object.entries(ITERATIONS).map(([a, n]) => `${a} ${n.toLocaleString('en-US')}`).join(', '),
);
console.log('');
console.log('| library | alg | ops/s | vs jose | vs floor |');
console.log('|---|---|---:|---:|---:|');
for (const alg of Object.keys(ITERATIONS)) {
  const rows = cases.filter((c) => c.alg === alg).map((c) => ({ ...c, ops: median(c.samples) }));
  const jose = rows.find((r) => r.lib === 'jose').ops;
  const floor = rows.find((r) => r.lib === 'node:crypto (floor)').ops;
  for (const r of rows) {
    console.log(`| ${r.lib} | ${alg} | ${fmtOps(r.ops)} | ${fmtRatio(r.ops / jose)} | ${fmtRatio(r.ops / floor)} |`);
  }
}
