import type { ErrorReason } from '../errors/errors.js';

/** Where an authentication happened: the connection's first, or an in-band refresh. */
export type AuthStage = 'connect' | 'refresh';

interface SocketContext {
  /** The namespace's name. */
  nsp: string;
  /** The client's address (after `rateLimit.trustedProxies`, when set). */
  address: string;
  /** The verified subject (the `subjectClaim`, a number as its decimal string), when one is known. Never read from an unverified token. */
  sub?: string;
}

/**
 * What sockjwt reports to `metrics` and `logger`: a union keyed on `event`. No event carries a
 * token, a header or a claim other than a verified `sub`.
 */
export type SockjwtEvent =
  | (SocketContext & {
      event: 'authenticated';
      stage: AuthStage;
      /** Time spent verifying: shape, signature and claims, revocation, app hooks. */
      durationMs: number;
    })
  | (SocketContext & {
      event: 'refused';
      stage: AuthStage;
      code: string;
      reason: ErrorReason;
      /** Undefined when nothing was verified: no credentials, rate limited, timed out. */
      durationMs?: number;
      /**
       * What an app hook or a key source actually said (a secret function's error, a hook's
       * exception), for the server's logs only: the client is told sockjwt's own message.
       */
      cause?: string;
    })
  | (SocketContext & {
      /** A live socket was dropped: its token expired or was revoked. */
      event: 'dropped';
      code: string;
      reason: ErrorReason;
    })
  | (SocketContext & {
      /** An authenticated socket started (`opened`) or ended (`closed`) its live session. */
      event: 'session_opened' | 'session_closed';
    });

/** The `metrics` option: anything with `observe(event)`, such as `sockjwtMetrics()` from `sockjwt/metrics`. */
export interface SockjwtObserver {
  observe(event: SockjwtEvent): void;
}

type LogMethod = (object: object, message: string) => void;

/** The `logger` option: pino, or anything with pino's `(object, message)` methods. */
export interface SockjwtLogger {
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

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
