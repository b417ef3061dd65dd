import { Counter, Gauge, Histogram, register as globalRegistry, type Metric, type Registry } from 'prom-client';
import type { SockjwtEvent, SockjwtObserver } from '../types.js';

export type { AuthStage, SockjwtEvent, SockjwtLogger, SockjwtObserver } from '../types.js';

export interface SockjwtMetricsOptions {
  /** The prom-client registry to register in. Default: prom-client's global `register`. */
  register?: Registry;
  /** Prefix of every metric name. Default `'sockjwt_'`. */
  prefix?: string;
  /** Buckets of the verification-time histogram, in seconds. Default: 0.5 ms to 5 s. */
  buckets?: number[];
}

/** Verification takes well under a millisecond with HS256, a few with RSA/EC, up to seconds with a slow key source. */
const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Prometheus metrics for `authorize({ metrics: sockjwtMetrics() })`. Share one between
 * namespaces; calling it twice with the same registry returns metrics on the same series.
 *
 * - `sockjwt_authentications_total{stage, result, code, reason}`: counter. `stage` is `connect` or
 *   `refresh`, `result` is `accepted` or `refused` (code and reason are empty when accepted).
 * - `sockjwt_verification_seconds{stage, result}`: histogram of the time spent verifying a token
 *   (signature, claims, key resolution, revocation, app hooks). Refusals decided before any
 *   verification (no credentials, rate limited, timeout) are counted above but not timed.
 * - `sockjwt_authenticated_sockets`: gauge of live authenticated sockets.
 * - `sockjwt_session_drops_total{reason}`: counter of live sockets dropped (`expired`, `revoked`).
 *
 * @example
 * ```ts
 * import { register } from 'prom-client';
 * import { sockjwtMetrics } from 'sockjwt/metrics';
 * io.use(authorize({ secret, handshake: true, metrics: sockjwtMetrics({ register }) }));
 * ```
 */
export function sockjwtMetrics(options: SockjwtMetricsOptions = {}): SockjwtObserver {
  const registry = options.register ?? globalRegistry;
  const prefix = options.prefix ?? 'sockjwt_';
  const authentications = metric(registry, `${prefix}authentications_total`, (name) => new Counter({
    name,
    help: 'Authentications of sockets by stage (connect, refresh), result, error code and reason',
    labelNames: ['stage', 'result', 'code', 'reason'] as const,
    registers: [registry],
  }));
  const verification = metric(registry, `${prefix}verification_seconds`, (name) => new Histogram({
    name,
    help: 'Time spent verifying a token, key resolution, revocation and app hooks included',
    labelNames: ['stage', 'result'] as const,
    buckets: options.buckets ?? DEFAULT_BUCKETS,
    registers: [registry],
  }));
  const sockets = metric(registry, `${prefix}authenticated_sockets`, (name) => new Gauge({
    name,
    help: 'Live authenticated sockets',
    registers: [registry],
  }));
  const drops = metric(registry, `${prefix}session_drops_total`, (name) => new Counter({
    name,
    help: 'Authenticated sockets dropped because their token expired or was revoked',
    labelNames: ['reason'] as const,
    registers: [registry],
  }));

  const observe = (event: SockjwtEvent): void => {
    switch (event.event) {
      case 'authenticated':
        authentications.inc({ stage: event.stage, result: 'accepted', code: '', reason: '' });
        verification.observe({ stage: event.stage, result: 'accepted' }, event.durationMs / 1000);
        return;
      case 'refused':
        authentications.inc({ stage: event.stage, result: 'refused', code: event.code, reason: event.reason });
        if (event.durationMs !== undefined) verification.observe({ stage: event.stage, result: 'refused' }, event.durationMs / 1000);
        return;
      case 'dropped':
        drops.inc({ reason: event.reason });
        return;
      case 'session_opened':
        sockets.inc();
        return;
      case 'session_closed':
        sockets.dec();
        return;
    }
  };
  return { observe };
}

/** The metric already in the registry under that name (a second `sockjwtMetrics()` call), or a new one. */
function metric<M extends Metric>(registry: Registry, name: string, create: (name: string) => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create(name);
}
