// Benchmark 6: what OpenID Connect discovery and several issuers cost a handshake once their
// caches are warm. Four ways to verify the same ES256 tokens: a static public key, `jwks: { uri }`,
// `issuers: [{ discovery }]`, and eight discovered issuers with the token from the eighth.
// A local provider serves the discovery documents and key sets; it must see no request after
// the warm-up (checked and reported).
//  1. the verify path alone (µs per token, distinct tokens, scenarios interleaved per round);
//  2. real handshakes, one at a time, socket.io server and client in this process (latency).
//
//   node --import tsx bench/discovery.ts [--rounds 7] [--verifies 5000] [--handshakes 300]
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { authorize, type HandshakeOptions } from '../src/index.js';
import { issuersVerifier } from '../src/config/issuer-settings.js';
import { jwksSettings } from '../src/config/jwks-settings.js';
import { createRemoteKeySet } from '../src/verify/jwks.js';
import { createIssuerVerifier } from '../src/verify/issuers.js';
import { createKeySetVerifier, createTokenVerifier, type ClaimChecks, type VerifyToken } from '../src/verify/verify.js';
import { fmt, load, median, percentile, provenance, writeSection } from './lib/report.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    verifies: { type: 'string', default: '5000' },
    handshakes: { type: 'string', default: '300' },
    'no-write': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const VERIFIES = Number(values.verifies);
const HANDSHAKES = Number(values.handshakes);
const loadBefore = load();
const AUDIENCE = 'chat';
const TENANTS = 8;

// The provider: one ES256 key, TENANTS issuers on one origin, every request counted.
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' };
let providerRequests = 0;
const provider = createServer((request, response) => {
  providerRequests++;
  const match = /^\/t(\d+)(\/.*)$/.exec(request.url ?? '');
  const json = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (match?.[2] === '/.well-known/openid-configuration') return json({ issuer: issuer(Number(match[1])), jwks_uri: `${issuer(Number(match[1]))}/jwks` });
  if (match?.[2] === '/jwks') return json({ keys: [jwk] });
  response.writeHead(404).end();
});
await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
function issuer(tenant: number): string {
  return `${origin}/t${tenant}`;
}

function sign(key: KeyObject, iss: string): Promise<string> {
  return new SignJWT({ sub: randomUUID(), jti: randomUUID(), iss, aud: AUDIENCE }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuedAt().setExpirationTime('1h').sign(key);
}
const tokensFor = (iss: string, count: number) => Promise.all(Array.from({ length: count }, () => sign(privateKey, iss)));

type Scenario = 'static key' | 'jwks' | 'discovery' | 'discovery, 8 issuers';
const SCENARIOS: Scenario[] = ['static key', 'jwks', 'discovery', 'discovery, 8 issuers'];
const issuerOf = (scenario: Scenario) => issuer(scenario === 'discovery, 8 issuers' ? TENANTS : 1);
const allIssuers = Array.from({ length: TENANTS }, (_, i) => ({ issuer: issuer(i + 1), discovery: true as const, audience: AUDIENCE, algorithms: ['ES256' as const] }));

function options(scenario: Scenario): Partial<HandshakeOptions> {
  const scoped = { issuer: issuer(1), audience: AUDIENCE, algorithms: ['ES256' as const] };
  switch (scenario) {
    case 'static key': return { ...scoped, secret: publicKey };
    case 'jwks': return { ...scoped, jwks: { uri: `${issuer(1)}/jwks` } };
    case 'discovery': return { issuers: allIssuers.slice(0, 1) };
    case 'discovery, 8 issuers': return { issuers: allIssuers };
  }
}

// 1. The verify path, built as settings.ts builds it.
function verifier(scenario: Scenario): VerifyToken {
  const checks: ClaimChecks = { allowedIss: issuer(1), allowedAud: AUDIENCE, requiredClaims: ['iss', 'aud'] };
  switch (scenario) {
    case 'static key': return createTokenVerifier(publicKey, ['ES256'], checks, { secretTimeoutMs: 1 });
    case 'jwks': return createKeySetVerifier(createRemoteKeySet(jwksSettings({ uri: `${issuer(1)}/jwks` })), ['ES256'], checks);
    default: {
      const { allowedIss: _, ...shared } = checks;
      return issuersVerifier({ handshake: true, ...options(scenario) } as HandshakeOptions<unknown>, { checks: shared, algorithms: undefined, parseAlgorithms: (a) => a as never, parseTyp: () => undefined });
    }
  }
}

const request = {} as Parameters<VerifyToken>[0];
const verifiers = new Map(SCENARIOS.map((scenario) => [scenario, verifier(scenario)]));
const verifyTokens = new Map<Scenario, string[]>();
for (const scenario of SCENARIOS) verifyTokens.set(scenario, await tokensFor(issuerOf(scenario), VERIFIES));
for (const scenario of SCENARIOS) await verifiers.get(scenario)!(request, verifyTokens.get(scenario)![0]!); // warm the caches
const requestsAfterWarmUp = providerRequests;

const verifySamples = new Map<Scenario, number[]>(SCENARIOS.map((s) => [s, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < SCENARIOS.length; i++) {
    const scenario = SCENARIOS[(i + round) % SCENARIOS.length]!;
    const verify = verifiers.get(scenario)!;
    const start = performance.now();
    for (const token of verifyTokens.get(scenario)!) await verify(request, token);
    verifySamples.get(scenario)!.push(((performance.now() - start) * 1000) / VERIFIES);
  }
}
const verifyRequests = providerRequests - requestsAfterWarmUp;

// What selection by `iss` adds by itself: decode the payload, look the issuer up, call through.
const selectOnly = createIssuerVerifier(new Map(allIssuers.map(({ issuer: iss }) => [iss, () => ({})])));
const selectionSamples: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const start = performance.now();
  for (const token of verifyTokens.get('discovery, 8 issuers')!) selectOnly(request, token);
  selectionSamples.push(((performance.now() - start) * 1000) / VERIFIES);
}

// 2. Real handshakes, one at a time: latency from connect() to `connect`.
const http = createServer();
const io = new Server(http);
for (const [index, scenario] of SCENARIOS.entries()) io.of(`/s${index}`).use(authorize({ handshake: true, ...options(scenario) } as HandshakeOptions));
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

async function handshake(nsp: string, token: string): Promise<number> {
  const client = connectClient(url + nsp, { forceNew: true, reconnection: false, transports: ['websocket'], auth: { token } });
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('connect_error', (error) => reject(error));
  });
  const ms = performance.now() - start;
  client.disconnect();
  return ms;
}

const handshakeTokens = new Map<Scenario, string[]>();
for (const scenario of SCENARIOS) handshakeTokens.set(scenario, await tokensFor(issuerOf(scenario), HANDSHAKES));
for (const [index, scenario] of SCENARIOS.entries()) for (const token of handshakeTokens.get(scenario)!.slice(0, 50)) await handshake(`/s${index}`, token);
const handshakeRequestsBefore = providerRequests;
const latencies = new Map<Scenario, number[]>(SCENARIOS.map((s) => [s, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < SCENARIOS.length; i++) {
    const index = (i + round) % SCENARIOS.length;
    const scenario = SCENARIOS[index]!;
    for (const token of handshakeTokens.get(scenario)!) latencies.get(scenario)!.push(await handshake(`/s${index}`, token));
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS} done (load ${load()})\n`);
}
const handshakeRequests = providerRequests - handshakeRequestsBefore;
await io.close();
provider.close();
provider.closeAllConnections();

const base = (map: Map<Scenario, number[]>, f: (xs: number[]) => number) => f(map.get('jwks')!);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const rows = SCENARIOS.map((scenario) => {
  const verifyUs = median(verifySamples.get(scenario)!);
  const lat = sorted(latencies.get(scenario)!);
  const rounds = verifySamples.get(scenario)!.map((us) => fmt(us, 0)).join(', ');
  return `| ${scenario} | ${fmt(verifyUs, 1)} | ${fmt(verifyUs / base(verifySamples, median), 2)} | ${rounds} | ${fmt(median(lat), 3)} | ${fmt(percentile(lat, 99), 3)} | ${fmt(median(lat) / median(sorted(latencies.get('jwks')!)), 2)} |`;
});
const body = [
  '## Discovery and several issuers, caches warm (issue 17, benchmark 6)',
  '',
  provenance(`node --import tsx bench/discovery.ts --rounds ${ROUNDS} --verifies ${VERIFIES} --handshakes ${HANDSHAKES}`, loadBefore),
  '',
  `ES256 tokens, each distinct. Verify path: µs per token, median of ${ROUNDS} rounds of ${VERIFIES}, scenarios interleaved. Handshakes: ${ROUNDS} × ${HANDSHAKES} sequential real socket.io handshakes per scenario (server and client in one process), ms from \`connect()\` to \`connect\`.`,
  '',
  '| scenario | verify µs / token | ratio to jwks | every round (µs) | handshake ms (median) | handshake ms (p99) | handshake ratio to jwks |',
  '|---|---:|---:|---|---:|---:|---:|',
  ...rows,
  '',
  `Selection by \`iss\` alone (decode the payload, find the issuer among ${TENANTS}, call through to a verifier that does nothing): ${fmt(median(selectionSamples), 2)} µs per token (rounds: ${selectionSamples.map((us) => fmt(us, 2)).join(', ')}).`,
  '',
  `Requests to the provider after the warm-up: ${verifyRequests} during the verify rounds, ${handshakeRequests} during the handshake rounds.`,
].join('\n');
process.stdout.write(`${body}\n`);
if (!values['no-write']) writeSection('discovery', body);
