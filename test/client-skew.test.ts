// sockjwt/client on a machine whose clock is 5 minutes off (issue 19): it schedules refreshes
// from the server's `expiresInMs`, so it refreshes in place at half the token's life, with no
// storm (clock ahead) and no drop (clock behind). Each client runs in a child process whose
// Date alone is shifted; the server and the tokens keep this process's clock.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import type { Socket } from 'socket.io';
import { connect, type AuthenticatedInfo } from '../src/client/index.js';
import { authorize, TOKEN_REFRESHED } from '../src/index.js';
import { nowSeconds, SECRET, sign, startServer } from './support.js';

const SKEW_MS = 5 * 60_000;
const TOKEN_LIFE_S = 4;
const REFRESHES = 3;

interface Run {
  /** When each token was handed out, and its exp (ms), on the server's clock. */
  tokens: { at: number; expMs: number }[];
  /** When the server accepted each in-place refresh. */
  refreshes: number[];
  connections: number;
  disconnects: string[];
  stopped: string[];
  /** What the helper told the app with each `authenticated`. */
  reported: { expiresInMs: number | null; refreshed: boolean }[];
}

async function runSkewed(t: TestContext, mode: 'handshake' | 'message', skewMs: number): Promise<Run> {
  const run: Run = { tokens: [], refreshes: [], connections: 0, disconnects: [], stopped: [], reported: [] };
  const h = await startServer(t, (io) => {
    if (mode === 'handshake') io.use(authorize({ secret: SECRET, handshake: true }));
    else io.on('connection', authorize({ secret: SECRET }));
    io.on('connection', (socket) => {
      run.connections++;
      socket.on('disconnect', (reason) => run.disconnects.push(reason));
    });
    io.on(TOKEN_REFRESHED, (_socket: Socket) => run.refreshes.push(Date.now()));
  });
  const child: ChildProcess = fork(new URL('./client-skew/child.ts', import.meta.url), {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, CLOCK_SKEW_MS: String(skewMs), SERVER_URL: h.url, MODE: mode },
  });
  t.after(() => {
    if (child.exitCode === null) child.kill();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${run.refreshes.length} refreshes after 20 s`)), 20_000);
    child.on('message', (message: { type: string; reason?: string; expiresInMs?: number | null; refreshed?: boolean }) => {
      if (message.type === 'authenticated') run.reported.push({ expiresInMs: message.expiresInMs!, refreshed: message.refreshed! });
      if (message.type === 'getToken') {
        const expSeconds = nowSeconds() + TOKEN_LIFE_S;
        run.tokens.push({ at: Date.now(), expMs: expSeconds * 1000 });
        child.send({ type: 'token', token: sign({ sub: 'skewed', exp: expSeconds }) });
      }
      if (message.type === 'stopped') run.stopped.push(message.reason!);
      if (run.refreshes.length >= REFRESHES || run.stopped.length > 0 || run.connections > 1) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the client process exited (${code})`)));
  });
  const seen = structuredClone(run); // before the test closes the client itself
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ type: 'close' });
  await exited;
  return seen;
}

// One child at a time: four tsx processes at once on a 2-core machine stretched the refresh
// timings past the window this checks.
describe('sockjwt/client with a clock 5 minutes off', () => {
  for (const mode of ['handshake', 'message'] as const) {
    for (const skewMs of [SKEW_MS, -SKEW_MS]) {
      it(`${mode} mode, clock ${skewMs > 0 ? 'ahead' : 'behind'}: refreshes in place at half the token's life, no storm, no drop`, async (t) => {
        const run = await runSkewed(t, mode, skewMs);
        assert.deepEqual(run.stopped, []);
        assert.equal(run.connections, 1, 'one connection: never dropped');
        assert.deepEqual(run.disconnects, []);
        assert.ok(run.refreshes.length >= REFRESHES, `${run.refreshes.length} refreshes`);
        assert.ok(run.tokens.length <= run.refreshes.length + 2, `${run.tokens.length} tokens fetched for ${run.refreshes.length} refreshes`);
        // Refresh n replaced token n - 1: it happened between 35 % and 80 % of that token's life.
        run.refreshes.forEach((at, n) => {
          const { at: issued, expMs } = run.tokens[n]!;
          const share = (at - issued) / (expMs - issued);
          assert.ok(share > 0.35 && share < 0.8, `refresh ${n + 1} at ${Math.round(share * 100)} % of its token's life`);
        });
        // The app is told the server's view of the time left, the first time too (not exp against this clock).
        const first = run.reported[0]!;
        const life = run.tokens[0]!.expMs - run.tokens[0]!.at;
        assert.equal(first.refreshed, false);
        assert.ok(first.expiresInMs !== null && first.expiresInMs <= life + 100 && first.expiresInMs >= life - 1000, `first authenticated: expiresInMs ${first.expiresInMs} for a token with ${life} ms left`);
        run.reported.forEach((info, n) => {
          assert.ok(info.expiresInMs !== null && info.expiresInMs > 1000 && info.expiresInMs <= TOKEN_LIFE_S * 1000 + 100, `authenticated ${n + 1}: expiresInMs ${info.expiresInMs}`);
        });
      });
    }
  }
});

/** socket.io packet types (socket.io-parser): an event, and the acknowledgement of one. */
const EVENT = 2;
const ACK = 3;
type Packet = { type: number; data?: unknown[] };

/**
 * A sockjwt server made to answer as the older ones did (docs/protocol.md §11): the handshake's
 * `lifetime` request is removed before `authorize` reads it, so no `authenticated` follows the
 * connection; `authenticated` goes without argument and the acknowledgement without `expiresInMs`.
 */
function asAnOlderServer(socket: Socket, next: (error?: Error) => void): void {
  delete (socket.handshake.auth as { lifetime?: unknown }).lifetime;
  // Every packet of this connection goes out through its client's _packet (sockjwt's seams call
  // the Socket prototype's packet(), so an override on the socket would miss its events).
  const target = (socket as unknown as { client: { _packet(packet: Packet, options?: unknown): void } }).client;
  const send = target._packet.bind(target);
  target._packet = (packet, options) => {
    if (packet.type === EVENT && packet.data?.[0] === 'authenticated') packet = { ...packet, data: ['authenticated'] };
    if (packet.type === ACK && typeof packet.data?.[0] === 'object' && packet.data[0] !== null) {
      const { expiresInMs: _dropped, ...older } = packet.data[0] as Record<string, unknown>;
      packet = { ...packet, data: [older] };
    }
    send(packet, options);
  };
  next();
}

describe('sockjwt/client with an older server (no expiresInMs): the token\'s exp on this clock', () => {
  for (const mode of ['handshake', 'message'] as const) {
    it(`${mode} mode: refreshes in place at about half the token's life, one connection`, async (t) => {
      const tokens: { at: number; expMs: number }[] = [];
      const refreshes: number[] = [];
      const notices: unknown[] = [];
      let connections = 0;
      const h = await startServer(t, (io) => {
        io.use(asAnOlderServer);
        if (mode === 'handshake') io.use(authorize({ secret: SECRET, handshake: true }));
        else io.on('connection', authorize({ secret: SECRET }));
        io.on('connection', () => connections++);
        io.on(TOKEN_REFRESHED, () => refreshes.push(Date.now()));
      });
      const socket = connect(h.url, {
        mode,
        transports: ['websocket'],
        reconnection: false,
        getToken: () => {
          const expSeconds = nowSeconds() + TOKEN_LIFE_S;
          tokens.push({ at: Date.now(), expMs: expSeconds * 1000 });
          return sign({ sub: 'older', exp: expSeconds });
        },
      });
      t.after(() => socket.disconnect());
      socket.on('authenticated', (notice: unknown) => notices.push(notice));
      const reported: AuthenticatedInfo[] = [];
      await new Promise<void>((resolve, reject) => {
        const bound = setTimeout(() => reject(new Error(`only ${refreshes.length} refreshes after 20 s`)), 20_000);
        t.after(() => clearTimeout(bound));
        socket.session.on('authenticated', (info) => {
          reported.push(info);
          if (refreshes.length >= REFRESHES) resolve();
        });
        socket.session.on('stopped', reject);
        socket.on('disconnect', (reason) => reject(new Error(`dropped (${reason}) after ${refreshes.length} refreshes`)));
      });
      assert.equal(connections, 1);
      assert.ok(notices.every((notice) => notice === undefined || notice === null), `the server stated no lifetime: ${JSON.stringify(notices)}`);
      refreshes.forEach((at, n) => {
        const { at: issued, expMs } = tokens[n]!;
        const share = (at - issued) / (expMs - issued);
        assert.ok(share > 0.35 && share < 0.8, `refresh ${n + 1} at ${Math.round(share * 100)} % of its token's life`);
      });
      // What the app is told: the time left by exp and this clock, as each token was accepted.
      reported.forEach((info, n) => {
        assert.equal(info.refreshed, n > 0);
        assert.ok(info.expiresInMs !== null && info.expiresInMs > 0 && info.expiresInMs <= TOKEN_LIFE_S * 1000, `authenticated ${n + 1}: expiresInMs ${info.expiresInMs}`);
      });
    });
  }
});
