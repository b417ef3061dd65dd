// The client side of the socket benchmarks, in its own process: real socket.io-client
// sockets over websocket, opened with a bounded number in flight.
//
// Commands (IPC): prepare { scenario, count } signs the next open's tokens ahead of time;
// open { url, scenario, count, inFlight } → { ms, failed, errors } (uses the prepared
// tokens when they fit, else signs its own before the clock starts); close → disconnects
// every socket it holds; cpu; gc (needs --expose-gc).
import { io, type Socket } from 'socket.io-client';
import { serveCommands } from '../lib/child.js';
import { userTokens, type SigningKeys } from '../lib/tokens.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';

const keys: SigningKeys = JSON.parse(process.env['BENCH_KEYS']!);
let sockets: Socket[] = [];
let prepared: { alg: string; tokens: string[] } | undefined;

function prepare({ scenario, count }: { scenario: ScenarioName; count: number }) {
  const { alg } = SCENARIOS[scenario];
  prepared = { alg, tokens: userTokens(alg, count, keys) };
  return count;
}

function open({ url, scenario, count, inFlight }: { url: string; scenario: ScenarioName; count: number; inFlight: number }) {
  const { alg, presentation } = SCENARIOS[scenario];
  // Signed before the clock starts (or ahead, by prepare); each connection has its own token.
  const tokens = prepared && prepared.alg === alg && prepared.tokens.length >= count ? prepared.tokens : userTokens(alg, count, keys);
  prepared = undefined;
  const errors = new Map<string, number>();
  let started = 0;
  let settled = 0;
  let failed = 0;
  return new Promise<{ ms: number; failed: number; errors: Record<string, number> }>((resolve) => {
    const t0 = performance.now();
    const settle = (error?: string) => {
      settled++;
      if (error !== undefined) {
        failed++;
        errors.set(error, (errors.get(error) ?? 0) + 1);
      }
      if (started < count) launch();
      else if (settled === count) resolve({ ms: performance.now() - t0, failed, errors: Object.fromEntries(errors) });
    };
    const launch = () => {
      const token = tokens[started++]!;
      const socket = io(url, {
        forceNew: true,
        reconnection: false,
        transports: ['websocket'],
        ...(presentation === 'auth' && { auth: { token } }),
        ...(presentation === 'bearer-auth' && { auth: { token: `Bearer ${token}` } }),
        ...(presentation === 'query' && { query: { token } }),
      });
      sockets.push(socket);
      let done = false;
      const finish = (error?: string) => {
        if (done) return;
        done = true;
        settle(error);
      };
      socket.once('connect_error', (error) => finish(error.message));
      socket.once('disconnect', (reason) => finish(`disconnected: ${reason}`));
      if (presentation === 'message') {
        socket.once('connect', () => socket.emit('authenticate', { token }));
        socket.once('authenticated', () => finish());
        socket.once('unauthorized', (error: { message: string }) => finish(error.message));
      } else {
        socket.once('connect', () => finish());
      }
    };
    for (let i = 0; i < Math.min(inFlight, count); i++) launch();
  });
}

serveCommands(
  {
    prepare,
    open,
    cpu: () => process.cpuUsage(),
    gc: () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new Error('run with --expose-gc');
      gc();
      return true;
    },
    close() {
      for (const socket of sockets) {
        socket.removeAllListeners();
        socket.disconnect();
      }
      const closed = sockets.length;
      sockets = [];
      return closed;
    },
  },
  {},
);
