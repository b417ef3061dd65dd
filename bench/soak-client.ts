/**
 * The client side of `npm run soak` (bench/soak.ts), in its own process: it holds `sockets`
 * socket.io clients open against the server, a fraction of them with bad tokens, replaces some
 * of them every tick (churn) until told to stop, and reports every decision the server made.
 */
import jwt from 'jsonwebtoken';
import { io, type Socket } from 'socket.io-client';

export interface SoakClientConfig {
  url: string;
  secret: string;
  sockets: number;
  badRatio: number;
  /** Share of sockets that use message mode (`/m`) instead of the handshake (`/`). */
  messageRatio: number;
  rampPerSecond: number;
  churnPerSecond: number;
}

export interface SoakClientReport {
  attempts: number;
  admitted: number;
  refused: number;
  /** A good token refused, or a bad token admitted. Must be 0. */
  wrongDecisions: number;
  wrongSamples: string[];
  /** Connect (or authenticate) round trips that got no answer within 30 s. */
  unanswered: number;
  /** What the unanswered attempts got instead (transport errors, timeouts), by message. */
  unansweredBy: Record<string, number>;
  refusedByReason: Record<string, number>;
  /** Handshakes while the ramp-up was opening sockets as fast as this one process can. */
  latencyMs: Quantiles;
  /** Handshakes after it: churn replacing sockets among the open ones. */
  steadyLatencyMs: Quantiles;
  peakOpen: number;
  clientRssMb: number;
}

type Kind = 'good' | 'bad';

interface Quantiles { p50: number; p90: number; p99: number; max: number; samples: number }

function quantiles(values: number[]): Quantiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), samples: sorted.length };
}

const BAD_TOKENS: Array<(secret: string) => string> = [
  () => jwt.sign({ sub: 'mallory' }, 'not-the-secret', { expiresIn: 3600 }),
  (secret) => jwt.sign({ sub: 'late', exp: Math.floor(Date.now() / 1000) - 60 }, secret),
  (secret) => jwt.sign({ sub: 'nobody' }, secret, { algorithm: 'none' as never }),
  () => 'not.a.jwt',
  (secret) => jwt.sign({ sub: 'forged' }, secret, { expiresIn: 3600 }).replace(/\.[^.]+$/, '.AAAA'),
];

function run(config: SoakClientConfig): Promise<SoakClientReport> {
  const report: SoakClientReport = {
    attempts: 0, admitted: 0, refused: 0, wrongDecisions: 0, wrongSamples: [], unanswered: 0, unansweredBy: {},
    refusedByReason: {}, latencyMs: quantiles([]), steadyLatencyMs: quantiles([]), peakOpen: 0, clientRssMb: 0,
  };
  const rampLatencies: number[] = [];
  const steadyLatencies: number[] = [];
  let latencies = rampLatencies;
  const open = new Set<Socket>();
  /** Sockets the ramp has started; a refused or churned socket is replaced in its slot. */
  let slots = 0;
  let serial = 0;
  let stopping = false;

  const wrong = (what: string) => {
    report.wrongDecisions++;
    if (report.wrongSamples.length < 10) report.wrongSamples.push(what);
  };

  /** One socket: connect, be judged, and (if admitted) stay until churned out or the end. */
  const openOne = (): void => {
    const kind: Kind = Math.random() < config.badRatio ? 'bad' : 'good';
    const token = kind === 'good'
      ? jwt.sign({ sub: `user-${serial++ % 5000}` }, config.secret, { expiresIn: 3600 })
      : BAD_TOKENS[serial++ % BAD_TOKENS.length]!(config.secret);
    const message = Math.random() < config.messageRatio;
    const started = performance.now();
    const phase = latencies; // counted in the phase the attempt started in
    const socket = io(message ? `${config.url}/m` : config.url, {
      forceNew: true,
      reconnection: false,
      transports: ['websocket'],
      timeout: 30_000,
      ...(message ? {} : { auth: { token } }),
    });
    report.attempts++;
    open.add(socket);
    report.peakOpen = Math.max(report.peakOpen, open.size);
    const answered = (admitted: boolean, reason?: string) => {
      if (!open.has(socket)) return; // churned out while its answer was on the way
      phase.push(performance.now() - started);
      if (admitted) report.admitted++;
      else {
        report.refused++;
        report.refusedByReason[reason ?? 'none'] = (report.refusedByReason[reason ?? 'none'] ?? 0) + 1;
      }
      if (admitted !== (kind === 'good')) wrong(`${kind} token ${admitted ? 'admitted' : `refused (${reason})`} in ${message ? 'message' : 'handshake'} mode`);
      if (!admitted) close(socket, true);
    };
    if (message) {
      socket.once('connect', () => {
        socket.timeout(30_000).emit('authenticate', { token }, (timeout: Error | null, ack?: { ok?: boolean; data?: { reason?: string } }) => {
          if (timeout) return unanswered(socket, 'authenticate not acknowledged');
          answered(ack?.ok === true, ack?.data?.reason);
        });
      });
    } else {
      socket.once('connect', () => answered(true));
    }
    socket.once('connect_error', (error: Error & { data?: { reason?: string } }) => {
      if (error.data?.reason) answered(false, error.data.reason);
      else unanswered(socket, error.message);
    });
  };

  const unanswered = (socket: Socket, why: string) => {
    if (!open.has(socket)) return;
    report.unanswered++;
    report.unansweredBy[why] = (report.unansweredBy[why] ?? 0) + 1;
    close(socket, true);
  };

  /** A refused socket is replaced at once, so about `sockets` are always trying or connected. */
  const close = (socket: Socket, replace: boolean) => {
    if (!open.delete(socket)) return;
    socket.disconnect();
    if (replace && !stopping) setImmediate(openOne);
  };

  return new Promise((resolve) => {
    // Ramp up in 100 ms steps.
    const perStep = Math.max(1, Math.round(config.rampPerSecond / 10));
    const ramp = setInterval(() => {
      for (let i = 0; i < perStep && slots < config.sockets; i++, slots++) openOne();
      if (slots >= config.sockets) clearInterval(ramp);
    }, 100);
    // Churn: every 100 ms, some connected sockets leave and are replaced by new ones.
    const churnPerStep = config.churnPerSecond / 10;
    let churnDebt = 0;
    const churn = setInterval(() => {
      churnDebt += churnPerStep;
      const sockets = [...open];
      while (churnDebt >= 1 && sockets.length > 0) {
        churnDebt--;
        close(sockets[Math.floor(Math.random() * sockets.length)]!, true);
      }
    }, 100);
    const ready = setInterval(() => {
      if (slots >= config.sockets) {
        clearInterval(ready);
        latencies = steadyLatencies;
        process.send?.({ type: 'ramped', open: open.size });
      }
    }, 100);
    process.on('message', (message: { type?: string }) => {
      if (message.type !== 'stop') return;
      stopping = true;
      clearInterval(ramp);
      clearInterval(churn);
      clearInterval(ready);
      report.clientRssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
      for (const socket of [...open]) close(socket, false);
      report.latencyMs = quantiles(rampLatencies);
      report.steadyLatencyMs = quantiles(steadyLatencies);
      resolve(report);
    });
  });
}

process.once('message', async (config: SoakClientConfig) => {
  const report = await run(config);
  process.send?.({ type: 'report', report }, () => process.exit(0));
});
