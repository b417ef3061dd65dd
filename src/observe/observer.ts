import type { SockjwtEvent, SockjwtLogger, SockjwtObserver } from '../types.js';

export type Observe = (event: SockjwtEvent) => void;

/**
 * `metrics` and `logger` folded into one function, once, in `authorize()`; undefined when
 * neither is set, so the handshake path builds no event at all.
 */
export function observerFrom(metrics: SockjwtObserver | undefined, logger: SockjwtLogger | undefined): Observe | undefined {
  if (metrics !== undefined && (typeof metrics !== 'object' || metrics === null || typeof metrics.observe !== 'function')) {
    throw new TypeError('sockjwt: "metrics" must have an observe(event) method (see sockjwt/metrics)');
  }
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || !(['warn', 'info', 'debug'] as const).every((level) => typeof logger[level] === 'function'))) {
    throw new TypeError('sockjwt: "logger" must have warn(), info() and debug() methods (pino or compatible)');
  }
  const observers: Observe[] = [];
  if (metrics) observers.push((event) => metrics.observe(event));
  if (logger) observers.push(logTo(logger));
  if (observers.length === 0) return undefined;
  const observe = observers.length === 1 ? observers[0]! : (event: SockjwtEvent) => observers.forEach((each) => each(event));
  // An observer that throws must not decide whether a socket gets in.
  return (event) => {
    try {
      observe(event);
    } catch (error) {
      process.emitWarning(`sockjwt: a metrics or logger call threw: ${error instanceof Error ? error.message : String(error)}`, { code: 'SOCKJWT_OBSERVER_FAILED' });
    }
  };
}

const MESSAGES: Readonly<Record<SockjwtEvent['event'], string>> = {
  authenticated: 'sockjwt: authenticated',
  refused: 'sockjwt: authentication refused',
  dropped: 'sockjwt: socket dropped',
  session_opened: 'sockjwt: session opened',
  session_closed: 'sockjwt: session closed',
};

/** Refusals at `warn`, drops at `info`, successes at `debug`; session bookkeeping is for metrics only. */
function logTo(logger: SockjwtLogger): Observe {
  return (event) => {
    switch (event.event) {
      case 'refused': return logger.warn(event, MESSAGES.refused);
      case 'dropped': return logger.info(event, MESSAGES.dropped);
      case 'authenticated': return logger.debug(event, MESSAGES.authenticated);
      default: return undefined;
    }
  };
}
