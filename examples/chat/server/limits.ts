// Every limit of the example in one place, with the numbers (docs/decisions.md says why).
// Counters are rate-limiter-flexible's in-memory limiters: each key is forgotten when its window
// ends, so memory follows the number of active addresses and users. With several nodes, use
// its Redis limiter (RateLimiterRedis) so that the limits hold across them.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** `points` per `durationSeconds`. */
export interface Rate {
  points: number;
  durationSeconds: number;
}

export interface ChatLimits {
  /** Sign-in attempts per client address. Default 10 a minute. */
  loginsPerAddress: Rate;
  /** Failed sign-ins per username (typed, existing or not), then even the right password waits. Default 5 per 15 min. */
  loginFailuresPerUser: Rate;
  /** Password checks (scrypt, ~16 MiB and tens of ms on libuv's 4 threads) at once; more wait in line. Default 2. */
  concurrentPasswordChecks: number;
  /** Sign-ins waiting for a password check; more are answered 503 at once. Default 16. */
  queuedPasswordChecks: number;
  /** /auth/refresh per client address. Default 2 × `refreshesPerUser`. */
  refreshesPerAddress: Rate;
  /** /auth/refresh per user, all tabs and devices together. Default from the access-token lifetime: `socketsPerUser` tabs' worth + 10, at least 30 a minute. */
  refreshesPerUser: Rate;
  /** In-place refreshes per socket (sockjwt's `refreshLimit`). Default twice what a token's lifetime needs, at least 10 a minute. */
  refreshesPerSocket: Rate;
  /** Chat messages per socket. Default 5 per 5 s. */
  messagesPerSocket: Rate;
  /** Chat messages per user, all sockets together. Default 10 per 5 s. */
  messagesPerUser: Rate;
  /** Open sockets per user on this node. Default 8. */
  socketsPerUser: number;
  /** Refresh-token families (signed-in devices) per user, and in all. Defaults 10 and 10,000. */
  familiesPerUser: number;
  families: number;
}

/**
 * The defaults for a given access-token lifetime. A page refreshes at half the token's
 * remaining life, so a token of `ttl` s costs 120 / ttl refreshes a minute per tab:
 * `ACCESS_TOKEN_TTL=5 npm start` makes 24, which sockjwt's default (10 a minute) would refuse.
 * A user may have `socketsPerUser` tabs open, all refreshing: the per-user budget pays for
 * each of them (sized for 4, the 5th tab on 5-second tokens was answered 429 after ~30 s).
 */
export function defaultLimits(accessTokenTtlSeconds: number, socketsPerUser = 8): ChatLimits {
  const perTabPerMinute = Math.ceil(120 / accessTokenTtlSeconds);
  const refreshesPerUser = Math.max(30, socketsPerUser * perTabPerMinute + 10);
  return {
    loginsPerAddress: { points: 10, durationSeconds: 60 },
    loginFailuresPerUser: { points: 5, durationSeconds: 15 * 60 },
    concurrentPasswordChecks: 2,
    queuedPasswordChecks: 16,
    refreshesPerAddress: { points: 2 * refreshesPerUser, durationSeconds: 60 },
    refreshesPerUser: { points: refreshesPerUser, durationSeconds: 60 },
    refreshesPerSocket: { points: Math.max(10, 2 * perTabPerMinute), durationSeconds: 60 },
    messagesPerSocket: { points: 5, durationSeconds: 5 },
    messagesPerUser: { points: 10, durationSeconds: 5 },
    socketsPerUser,
    familiesPerUser: 10,
    families: 10_000,
  };
}

/** A limiter: `take(key)` spends one point and answers 0, or the ms to wait when there is none left. */
export class Limiter {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly rate: Rate) {
    this.limiter = new RateLimiterMemory({ points: rate.points, duration: rate.durationSeconds });
  }

  async take(key: string): Promise<number> {
    try {
      await this.limiter.consume(key);
      return 0;
    } catch (result) {
      if (result instanceof RateLimiterRes) return Math.max(1, result.msBeforeNext);
      throw result;
    }
  }

  /** Gives back one point `take()` spent, for an attempt that turned out not to count. */
  async giveBack(key: string): Promise<void> {
    await this.limiter.reward(key, 1);
  }

  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}

/** At most `concurrency` tasks at once, `queue` more waiting; beyond that `run()` answers undefined at once. */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly queue: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T | undefined> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queue) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** "12 s", for messages people read. */
export function seconds(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))} s`;
}
