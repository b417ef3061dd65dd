// The server scenarios and how a client presents its token to each.
import type { BenchAlg } from '../lib/tokens.js';

/** `auth`: handshake `auth.token`; `bearer-auth`: `auth.token = "Bearer …"` (@thream); `query`: `?token=`; `message`: emit `authenticate` after connect. */
export type Presentation = 'none' | 'auth' | 'bearer-auth' | 'query' | 'message';

export interface Scenario {
  label: string;
  alg: BenchAlg;
  presentation: Presentation;
}

export const SCENARIOS = {
  'bare': { label: 'bare socket.io v4 (no auth)', alg: 'HS256', presentation: 'none' },
  // The same wire as sockjwt's two modes on bare socket.io, nothing verified: what carrying a token
  // and the `authenticate` / `authenticated` exchange cost socket.io itself, apart from sockjwt's work.
  'bare-token': { label: 'bare socket.io v4, token in auth, unread', alg: 'HS256', presentation: 'auth' },
  'bare-echo': { label: 'bare socket.io v4, authenticate answered unverified', alg: 'HS256', presentation: 'message' },
  // The cheapest verifiers on bare-token's wire, in a middleware: node:crypto's signature check
  // alone (no claims read), per algorithm, and fast-jwt's verifier with the claims on socket.data.
  // What any verifier pays inside a handshake (cold caches, the garbage a busy server scavenges),
  // which a tight loop (sigcheck) does not show, apart from sockjwt's own work.
  'floor-HS256': { label: 'bare + node:crypto HS256 check of auth.token', alg: 'HS256', presentation: 'auth' },
  'floor-ES256': { label: 'bare + node:crypto ES256 check of auth.token', alg: 'ES256', presentation: 'auth' },
  'floor-RS256': { label: 'bare + node:crypto RS256 check of auth.token', alg: 'RS256', presentation: 'auth' },
  'floor-fast-jwt': { label: 'bare + fast-jwt verify of auth.token (HS256)', alg: 'HS256', presentation: 'auth' },
  'sockjwt-handshake-HS256': { label: 'sockjwt handshake, HS256', alg: 'HS256', presentation: 'auth' },
  'sockjwt-handshake-ES256': { label: 'sockjwt handshake, ES256', alg: 'ES256', presentation: 'auth' },
  'sockjwt-handshake-RS256': { label: 'sockjwt handshake, RS256', alg: 'RS256', presentation: 'auth' },
  'sockjwt-message-HS256': { label: 'sockjwt message mode, HS256', alg: 'HS256', presentation: 'message' },
  // The same, from another checkout's src (BENCH_BASELINE_SRC=/path/to/src/index.ts): before/after in one run.
  'baseline-handshake-HS256': { label: 'baseline sockjwt handshake, HS256', alg: 'HS256', presentation: 'auth' },
  'baseline-handshake-ES256': { label: 'baseline sockjwt handshake, ES256', alg: 'ES256', presentation: 'auth' },
  'baseline-handshake-RS256': { label: 'baseline sockjwt handshake, RS256', alg: 'RS256', presentation: 'auth' },
  'baseline-message-HS256': { label: 'baseline sockjwt message mode, HS256', alg: 'HS256', presentation: 'message' },
  'thream-HS256': { label: '@thream/socketio-jwt 3.1.4, HS256', alg: 'HS256', presentation: 'bearer-auth' },
  'socketio-jwt-HS256': { label: 'socketio-jwt 4.6.2 handshake, HS256', alg: 'HS256', presentation: 'query' },
} as const satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;
