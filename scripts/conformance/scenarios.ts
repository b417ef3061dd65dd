import type { Entry, EntryOf, ScenarioRun } from './harness.js';

/** One behaviour of docs/protocol.md section 9, judged on what the server saw. */
export interface Verdict {
  behaviour: string;
  pass: boolean;
  detail: string;
}

export interface Scenario {
  name: string;
  /** The behaviours it judges, in the order it reports them (a mode may skip some). */
  behaviours: readonly string[];
  /** The modes it runs in, when not both (a scenario about message mode only). */
  modes?: readonly string[];
  /** Drives the server, waits for the client, and judges. The client is already running. */
  run(run: ScenarioRun): Promise<Verdict[]>;
}

/*
 * Timing. A verdict is read from the order of the log, never from an upper bound on a latency: on
 * a loaded machine a Python interpreter, a token fetch and a new engine.io session can take seconds.
 * The only timed checks are lower bounds (a wait of at least 250 ms, at least retryAfterMs), which
 * load can only make safer, and "before the token expired", which is the protocol's own deadline.
 * The limits below only cap a client that never does what is awaited.
 */
/** A client that says nothing for this long after the server is ready has failed the scenario. */
const FIRST_CONTACT_MS = 10_000;
/** How long something the spec requires (a reconnection, a refresh) is awaited before it counts as never. */
const DEADLINE_MS = 10_000;
/** How long a client that must stop is given to exit by itself (it prints `stopped` and exits, section 9). */
export const STOP_CAP_MS = 8_000;

const verdict = (behaviour: string, pass: boolean, detail: string): Verdict => ({ behaviour, pass, detail });
const ms = (value: number) => `${Math.round(value)} ms`;

/** Behaviours a scenario could not reach fail with the reason, rather than vanish from the report. */
function unreached(behaviours: readonly string[], why: string): Verdict[] {
  return behaviours.map((behaviour) => verdict(behaviour, false, why));
}

/**
 * A connection made after log position `from` with a token fetched after `from`: the entry of its
 * admission, or undefined. Judged by order (a 200 token answer, then the attempt that was admitted).
 */
function reconnectedWithFreshToken(run: ScenarioRun, from: number, other: string | undefined): EntryOf<'admitted'> | undefined {
  const admitted = run.log.findIndex((entry, index) => index >= from && entry.kind === 'admitted' && entry.socket !== other);
  if (admitted < 0) return undefined;
  const token = run.log.findIndex((entry, index) => index >= from && index < admitted && entry.kind === 'token' && entry.status === 200);
  return token >= 0 ? (run.log[admitted] as EntryOf<'admitted'>) : undefined;
}

/** Waits (up to the deadline) for an admission after `event`, then reads it as reconnectedWithFreshToken does. */
async function freshReconnection(run: ScenarioRun, event: Entry, other: string | undefined): Promise<EntryOf<'admitted'> | undefined> {
  const mark = run.log.indexOf(event);
  await run.waitFor(DEADLINE_MS, () => run.after('admitted', mark).length > 0);
  return reconnectedWithFreshToken(run, mark, other);
}

/** The first attempt after a refusal came no sooner than the spec's 250 ms floor. */
function backsOff(behaviour: string, run: ScenarioRun, refused: Entry & { t: number }): Verdict {
  const next = run.after('attempt', run.log.indexOf(refused) + 1)[0];
  return verdict(behaviour, next !== undefined && next.t - refused.t >= 250, next ? `retried ${ms(next.t - refused.t)} after the refusal` : 'never retried');
}

/** A refusal a new token fixes: `reconnects` (with a fresh token) and `backsOffName` (not sooner than 250 ms). */
async function reconnectsAfterBackOff(run: ScenarioRun, refused: EntryOf<'refused'>, reconnects: string, backsOffName: string): Promise<Verdict[]> {
  const again = await freshReconnection(run, refused, undefined);
  return [
    verdict(reconnects, again !== undefined, again ? `connected ${ms(again.t - refused.t)} after the refusal, with a new token` : 'never connected with a new token'),
    backsOff(backsOffName, run, refused),
  ];
}

const connect: Scenario = {
  name: 'connect',
  behaviours: ['connects'],
  async run(run) {
    run.install();
    run.tokens = () => run.sign('conformance', 60);
    const admitted = await run.until('admitted', FIRST_CONTACT_MS);
    return [verdict('connects', admitted !== undefined, admitted ? `admitted ${ms(admitted.t - run.startedAt)} after launch` : 'never authenticated')];
  },
};

const refresh: Scenario = {
  name: 'refresh',
  behaviours: ['refreshes-in-place', 'refresh-timing'],
  async run(run) {
    run.install();
    run.tokens = () => run.sign('conformance', 3);
    const first = await run.until('admitted', FIRST_CONTACT_MS);
    if (!first) return unreached(this.behaviours, 'never authenticated');
    // Three refreshes on the first socket, or that socket's end: whichever comes first.
    await run.waitFor(DEADLINE_MS, (log) => log.filter((e) => e.kind === 'refreshed' && e.socket === first.socket).length >= 3 || log.some((e) => e.kind === 'disconnect' && e.socket === first.socket));
    const refreshes = run.entries('refreshed').filter((entry) => entry.socket === first.socket);
    const disconnects = run.entries('disconnect').filter((entry) => entry.socket === first.socket && entry.t < (refreshes[2]?.t ?? Infinity));
    const inPlace = refreshes.length >= 3 && disconnects.length === 0 && run.entries('admitted').length === 1;
    // Each refresh: sent before the token it replaces expired, and not before ~half its remaining life.
    const accepted = [first, ...refreshes];
    const sent = run.entries('authenticate').filter((entry) => entry.socket === first.socket);
    const problems: string[] = [];
    for (let i = 0; i < Math.min(3, refreshes.length); i++) {
      const previous = accepted[i]!;
      // The authenticate that produced this refresh: the last one sent before the server accepted it.
      const attempt = sent.filter((entry) => entry.t <= refreshes[i]!.t).at(-1);
      if (!attempt || previous.exp === undefined) continue;
      const life = previous.exp * 1000 - previous.t;
      if (attempt.t >= previous.exp * 1000) problems.push(`refresh ${i + 1} sent ${ms(attempt.t - previous.exp * 1000)} after exp`);
      if (attempt.t - previous.t < 0.4 * life) problems.push(`refresh ${i + 1} sent ${ms(attempt.t - previous.t)} into a ${ms(life)} life`);
    }
    return [
      verdict('refreshes-in-place', inPlace, `${refreshes.length} refreshes on the first socket, ${disconnects.length} disconnects, ${run.entries('admitted').length} connections`),
      verdict('refresh-timing', refreshes.length >= 3 && problems.length === 0, problems.join('; ') || (refreshes.length >= 3 ? 'each refresh between half-life and exp' : 'too few refreshes to judge')),
    ];
  },
};

const expiredToken: Scenario = {
  name: 'expired-token',
  behaviours: ['reconnects-after-expired-token', 'acknowledges-unauthorized'],
  async run(run) {
    // Message mode: the server waits for the client's acknowledgement of `unauthorized` (up to 4 s).
    run.install(run.mode === 'message' ? { callback: 4000 } : {});
    let issued = 0;
    run.tokens = () => run.sign('conformance', issued++ === 0 ? -10 : 60);
    const refused = await run.until('refused', FIRST_CONTACT_MS, (entry) => entry.reason === 'expired');
    if (!refused) return unreached(behavioursOf(this, run.mode), 'the expired token never reached the server');
    const mark = run.log.indexOf(refused);
    const again = await freshReconnection(run, refused, undefined);
    const verdicts = [
      verdict(
        'reconnects-after-expired-token',
        again !== undefined,
        again ? `connected ${ms(again.t - refused.t)} after the refusal, with a new token` : run.after('admitted', mark).length ? 'connected again without fetching a new token' : 'never connected with a new token',
      ),
    ];
    if (run.mode === 'message') {
      // The refused socket is let go at once when the client acknowledges `unauthorized` (an ACK
      // packet) or disconnects itself (section 4.3); otherwise the server holds it until its callback limit.
      const socket = run.log.slice(0, mark).filter((entry): entry is EntryOf<'attempt'> => entry.kind === 'attempt').at(-1)?.socket;
      const releasedAt = run.log.findIndex((entry, index) => index >= mark && entry.kind === 'disconnect' && entry.socket === socket);
      const released = releasedAt < 0 ? undefined : (run.log[releasedAt] as EntryOf<'disconnect'>);
      const acked = run.log.some((entry, index) => index >= mark && index < releasedAt && entry.kind === 'ack' && entry.socket === socket);
      const left = released !== undefined && released.reason !== 'server namespace disconnect';
      const detail = acked ? 'acknowledged unauthorized, so the server let it go at once' : left ? `disconnected itself (${released.reason})` : released ? 'no acknowledgement: the server held the socket until its callback limit' : 'the refused socket was never let go';
      verdicts.push(verdict('acknowledges-unauthorized', acked || left, detail));
    }
    return verdicts;
  },
};

const expiry: Scenario = {
  name: 'expiry',
  behaviours: ['keeps-socket-until-expiry', 'reconnects-after-expiry'],
  async run(run) {
    run.install();
    let issued = 0;
    // The token source is down from the first token until the server's drop is in the log: decided
    // by the log at each request, so no refresh can succeed and no request after the drop is refused.
    run.tokens = () => {
      if (issued++ === 0) return run.sign('conformance', 2);
      return run.entries('dropped').some((entry) => entry.reason === 'expired') ? run.sign('conformance', 60) : { status: 503 };
    };
    const first = await run.until('admitted', FIRST_CONTACT_MS);
    if (!first) return unreached(this.behaviours, 'never authenticated');
    const ended = await run.until('disconnect', DEADLINE_MS, (entry) => entry.socket === first.socket);
    const dropped = run.entries('dropped').find((entry) => entry.reason === 'expired');
    const keeps = verdict('keeps-socket-until-expiry', dropped !== undefined, dropped ? 'dropped by the server at expiry' : `the socket ended otherwise (${ended?.reason ?? 'still open'})`);
    if (!dropped) return [keeps, verdict('reconnects-after-expiry', false, 'no expiry drop to recover from')];
    const again = await freshReconnection(run, dropped, first.socket);
    return [keeps, verdict('reconnects-after-expiry', again !== undefined, again ? `connected ${ms(again.t - dropped.t)} after the drop, with a new token` : 'no new connection with a new token after the drop')];
  },
};

/** `prepare` returns the log position from which any token fetch or attempt is a retry. */
function stopScenario(name: string, reason: string, prepare: (run: ScenarioRun) => Promise<number | undefined>): Scenario {
  const stops = `stops-on-${reason.replace(/_/g, '-')}`;
  const reports = `reports-${reason.replace(/_/g, '-')}`;
  return {
    name,
    behaviours: [stops, reports],
    async run(run) {
      const mark = await prepare(run);
      if (mark === undefined) return unreached(this.behaviours, `no ${reason} refusal happened`);
      await run.ended(STOP_CAP_MS);
      const retried = run.after('token', mark).length + run.after('attempt', mark).length;
      const stopped = run.entries('stopped')[0];
      return [
        verdict(stops, retried === 0, retried === 0 ? 'no token fetched, no attempt made afterwards' : `${retried} token fetches / attempts after the refusal`),
        verdict(reports, stopped?.reason === reason, stopped ? `reported "${stopped.reason}"` : 'reported nothing'),
      ];
    },
  };
}

const revoked = stopScenario('revoked', 'revoked', async (run) => {
  run.install();
  run.tokens = () => run.sign('conformance-revoked', 60);
  if (!(await run.until('admitted', FIRST_CONTACT_MS))) return undefined;
  const mark = run.log.length;
  await run.auth.revoke({ sub: 'conformance-revoked' });
  return mark;
});

const badSignature = stopScenario('bad-signature', 'bad_signature', async (run) => {
  run.install();
  run.tokens = () => run.sign('conformance', 60, 'not-the-servers-secret-0123456789abcdef');
  const refused = await run.until('refused', FIRST_CONTACT_MS, (entry) => entry.reason === 'bad_signature');
  return refused && run.log.indexOf(refused) + 1;
});

const rateLimited: Scenario = {
  name: 'rate-limited',
  behaviours: ['honours-retry-after', 'connects-after-rate-limit'],
  async run(run) {
    // Longer than a client's second back-off with the default 1 s delay (2 s): only a client that
    // reads retryAfterMs waits it out.
    const windowMs = 3500;
    run.install({ rateLimit: { maxFailures: 1, windowMs } });
    let issued = 0;
    run.tokens = () => run.sign('conformance', issued++ === 0 ? -10 : 60);
    const failure = await run.until('refused', FIRST_CONTACT_MS, (entry) => entry.reason === 'expired');
    if (!failure) return unreached(this.behaviours, 'the expired token never reached the server');
    const limited = await run.until('refused', windowMs, (entry) => entry.reason === 'rate_limited');
    if (!limited) return unreached(this.behaviours, 'no retry inside the window after an expired token, so no rate_limited refusal');
    const admitted = await run.until('admitted', windowMs + DEADLINE_MS);
    const next = run.after('attempt', run.log.indexOf(limited) + 1)[0];
    const reopens = failure.t + windowMs;
    return [
      verdict('honours-retry-after', next !== undefined && next.t >= reopens - 50, next ? `next attempt ${ms(next.t - limited.t)} after the refusal, ${ms(next.t - reopens)} from the end of retryAfterMs` : 'no attempt after the refusal'),
      verdict('connects-after-rate-limit', admitted !== undefined, admitted ? `connected ${ms(admitted.t - limited.t)} after the refusal` : 'never connected'),
    ];
  },
};

const transient: Scenario = {
  name: 'transient',
  behaviours: ['retries-after-transient', 'backs-off'],
  async run(run) {
    let checks = 0;
    run.install({
      logger: { warn() {}, info() {}, debug() {} }, // the outage is staged: no process warning
      isRevoked: () => {
        if (checks++ === 0) throw new Error('revocation store briefly down');
        return false;
      },
    });
    run.tokens = () => run.sign('conformance', 60);
    const refused = await run.until('refused', FIRST_CONTACT_MS, (entry) => entry.reason === 'revocation_unavailable');
    if (!refused) return unreached(this.behaviours, 'the first attempt never reached the server');
    const admitted = await run.until('admitted', DEADLINE_MS);
    return [
      verdict('retries-after-transient', admitted !== undefined, admitted ? `connected ${ms(admitted.t - refused.t)} after the refusal` : 'never connected'),
      backsOff('backs-off', run, refused),
    ];
  },
};

const transientRepeated: Scenario = {
  name: 'transient-repeated',
  behaviours: ['backs-off-exponentially', 'connects-after-transients'],
  async run(run) {
    // The revocation check fails three times in a row: the n-th retry waits retryDelay × 2^(n−1)
    // (section 8.5). Judged by lower bounds only, with the smallest retryDelay allowed (250 ms).
    const outages = 3;
    let checks = 0;
    run.install({
      logger: { warn() {}, info() {}, debug() {} }, // the outage is staged: no process warning
      isRevoked: () => {
        if (checks++ < outages) throw new Error('revocation store down');
        return false;
      },
    });
    run.tokens = () => run.sign('conformance', 60);
    const admitted = await run.until('admitted', FIRST_CONTACT_MS + outages * DEADLINE_MS);
    const refusals = run.entries('refused').filter((entry) => entry.reason === 'revocation_unavailable');
    const waits = refusals.slice(0, outages).map((refused, index) => {
      const next = run.after('attempt', run.log.indexOf(refused) + 1)[0];
      return { floor: 250 * 2 ** index, waited: next === undefined ? undefined : next.t - refused.t };
    });
    const short = waits.filter(({ floor, waited }) => waited === undefined || waited < floor);
    const described = waits.map(({ waited }) => (waited === undefined ? 'never' : ms(waited))).join(', ');
    return [
      verdict('backs-off-exponentially', refusals.length >= outages && short.length === 0, refusals.length < outages ? `${refusals.length} refusals, ${outages} expected` : `retried ${described} after each refusal (at least 250, 500, 1000 ms)`),
      verdict('connects-after-transients', admitted !== undefined, admitted ? `connected after ${refusals.length} refusals` : 'never connected'),
    ];
  },
};

const subjectMismatch: Scenario = {
  name: 'subject-mismatch',
  behaviours: ['keeps-after-refused-refresh', 'reconnects-after-expiry'],
  async run(run) {
    run.install();
    let issued = 0;
    run.tokens = () => (issued++ === 0 ? run.sign('conformance-ann', 3) : run.sign('conformance-bob', 60));
    const first = await run.until('admitted', FIRST_CONTACT_MS);
    if (!first) return unreached(this.behaviours, 'never authenticated');
    const refused = await run.until('refused', DEADLINE_MS, (entry) => entry.reason === 'subject_mismatch');
    if (!refused) return unreached(this.behaviours, 'no refresh with the other subject reached the server');
    const ended = await run.until('disconnect', DEADLINE_MS, (entry) => entry.socket === first.socket);
    const dropped = run.entries('dropped').find((entry) => entry.reason === 'expired');
    const retries = run.after('authenticate', run.log.indexOf(refused) + 1).filter((entry) => entry.socket === first.socket && entry.t < (ended?.t ?? Infinity));
    const keeps = dropped !== undefined && retries.length === 0;
    const keepsDetail = !dropped ? `the socket ended otherwise (${ended?.reason ?? 'still open'})` : retries.length ? `${retries.length} more refreshes after subject_mismatch` : 'kept until the expiry drop, no further refresh';
    if (!dropped) return [verdict('keeps-after-refused-refresh', false, keepsDetail), verdict('reconnects-after-expiry', false, 'no expiry drop to recover from')];
    const again = await run.until('admitted', DEADLINE_MS, (entry) => entry.socket !== first.socket);
    return [
      verdict('keeps-after-refused-refresh', keeps, keepsDetail),
      verdict('reconnects-after-expiry', again?.sub === 'conformance-bob', again ? `the new subject connected ${ms(again.t - dropped.t)} after the drop` : 'no new connection after the drop'),
    ];
  },
};

const connectionLost: Scenario = {
  name: 'connection-lost',
  behaviours: ['reconnects-after-connection-lost', 'fresh-token-on-reconnect'],
  async run(run) {
    run.install();
    run.tokens = () => run.sign('conformance', 60);
    const first = await run.until('admitted', FIRST_CONTACT_MS);
    if (!first) return unreached(this.behaviours, 'never authenticated');
    const cut = Date.now();
    const mark = run.log.length;
    run.socket(first.socket)?.conn.close(); // the transport, not the namespace: the client sees a lost connection
    const again = await run.until('admitted', DEADLINE_MS, (entry) => entry.socket !== first.socket);
    const afterCut = run.log.slice(mark);
    const attempt = again && afterCut.findIndex((entry) => entry.kind === 'attempt');
    const fetched = attempt !== undefined && attempt >= 0 && afterCut.slice(0, attempt).some((entry) => entry.kind === 'token' && entry.status === 200);
    return [
      verdict('reconnects-after-connection-lost', again !== undefined, again ? `connected again ${ms(again.t - cut)} after the cut` : 'never connected again'),
      verdict('fresh-token-on-reconnect', fetched, fetched ? 'asked the token endpoint before reconnecting' : again ? 'reconnected with the token it already had' : 'never reconnected'),
    ];
  },
};

const connectionLostRepeatedly: Scenario = {
  name: 'connection-lost-repeatedly',
  behaviours: ['lost-connections-not-counted'],
  async run(run) {
    // The transport is cut under each of 6 connections in a row, more than the default maxRetries
    // (5): transport failures do not count against it (section 8.5), so a 7th connection follows.
    const cuts = 6;
    run.install();
    run.tokens = () => run.sign('conformance', 60);
    let last = await run.until('admitted', FIRST_CONTACT_MS);
    if (!last) return unreached(this.behaviours, 'never authenticated');
    for (let cut = 1; cut <= cuts; cut++) {
      const previous: string = last.socket;
      run.socket(previous)?.conn.close();
      last = await run.until('admitted', DEADLINE_MS, (entry) => !run.entries('disconnect').some((ended) => ended.socket === entry.socket) && entry.socket !== previous);
      if (!last) return [verdict('lost-connections-not-counted', false, `no connection after cut ${cut}`)];
    }
    return [verdict('lost-connections-not-counted', true, `connected again after each of ${cuts} cuts`)];
  },
};

const serverDisconnect: Scenario = {
  name: 'server-disconnect',
  behaviours: ['no-reconnect-after-server-disconnect', 'reports-server-disconnect'],
  async run(run) {
    run.install();
    run.tokens = () => run.sign('conformance', 60);
    const first = await run.until('admitted', FIRST_CONTACT_MS);
    if (!first) return unreached(this.behaviours, 'never authenticated');
    const mark = run.log.length;
    run.socket(first.socket)?.disconnect(); // the application's decision: no `unauthorized`
    await run.ended(STOP_CAP_MS);
    const retried = run.after('token', mark).length + run.after('attempt', mark).length;
    const stopped = run.entries('stopped')[0];
    return [
      verdict('no-reconnect-after-server-disconnect', retried === 0, retried === 0 ? 'stayed away' : `${retried} token fetches / attempts afterwards`),
      verdict('reports-server-disconnect', stopped?.reason === 'server_disconnect', stopped ? `reported "${stopped.reason}"` : 'reported nothing'),
    ];
  },
};

/** Another middleware of the application refuses: a connect_error without sockjwt's data (section 8.4, `connect_refused`). */
const connectRefused = stopScenario('connect-refused', 'connect_refused', async (run) => {
  run.install();
  run.tokens = () => run.sign('conformance', 60);
  run.nsp.use((_socket, next) => {
    // Logged as a refusal of stage 'app': no sockjwt reason, the app's own middleware said no.
    run.record({ kind: 'refused', t: Date.now(), stage: 'app', reason: 'connect_refused' });
    next(new Error('not allowed here'));
  });
  const refused = await run.until('refused', FIRST_CONTACT_MS, (entry) => entry.stage === 'app');
  return refused && run.log.indexOf(refused) + 1;
});

const sessionLimit: Scenario = {
  name: 'session-limit',
  behaviours: ['reconnects-after-session-limit'],
  async run(run) {
    // A 60 s token, but the server caps the socket's life at 2 s: a drop with session_limit, which
    // the next token fixes (section 7: reconnect now).
    run.install({ maxSessionMs: 2000 });
    run.tokens = () => run.sign('conformance', 60);
    const first = await run.until('admitted', FIRST_CONTACT_MS);
    if (!first) return unreached(this.behaviours, 'never authenticated');
    const dropped = await run.until('dropped', DEADLINE_MS, (entry) => entry.reason === 'session_limit');
    if (!dropped) return unreached(this.behaviours, 'the server never dropped the socket at its session limit');
    const again = await freshReconnection(run, dropped, first.socket);
    return [verdict('reconnects-after-session-limit', again !== undefined, again ? `connected ${ms(again.t - dropped.t)} after the drop, with a new token` : 'no new connection with a new token after the drop')];
  },
};

const sessionCap: Scenario = {
  name: 'session-cap',
  behaviours: ['stops-refreshing-at-session-cap'],
  async run(run) {
    // 60 s tokens, a 4 s cap on the socket's life: the first refresh (at half of 4 s) is accepted
    // but moves nothing, so the client refreshes no more until the session_limit drop (section 8.2).
    // A client that halves the remaining life refreshes again at 3 s, and at 4 s.
    run.install({ maxSessionMs: 4000 });
    run.tokens = () => run.sign('conformance', 60);
    const first = await run.until('admitted', FIRST_CONTACT_MS);
    if (!first) return unreached(this.behaviours, 'never authenticated');
    const dropped = await run.until('dropped', DEADLINE_MS, (entry) => entry.reason === 'session_limit');
    if (!dropped) return unreached(this.behaviours, 'the server never dropped the socket at its session limit');
    const refreshes = run.log.slice(0, run.log.indexOf(dropped)).filter((entry) => entry.kind === 'authenticate' && entry.socket === first.socket).length;
    return [verdict('stops-refreshing-at-session-cap', refreshes <= 1, `${refreshes} refreshes before the session_limit drop`)];
  },
};

const notYetValid: Scenario = {
  name: 'not-yet-valid',
  behaviours: ['reconnects-after-not-yet-valid', 'backs-off-after-not-yet-valid'],
  async run(run) {
    run.install();
    let issued = 0;
    // The first token is valid only from an hour on (nbf): not_yet_valid, a new token after a back-off.
    run.tokens = () => (issued++ === 0 ? run.sign('conformance', 7200, undefined, { nbf: Math.floor(Date.now() / 1000) + 3600 }) : run.sign('conformance', 60));
    const refused = await run.until('refused', FIRST_CONTACT_MS, (entry) => entry.reason === 'not_yet_valid');
    if (!refused) return unreached(this.behaviours, 'the not-yet-valid token never reached the server');
    return reconnectsAfterBackOff(run, refused, 'reconnects-after-not-yet-valid', 'backs-off-after-not-yet-valid');
  },
};

const tokenSourceDown: Scenario = {
  name: 'token-source-down',
  behaviours: ['no-attempt-without-token', 'backs-off-token-source', 'connects-after-token-source'],
  async run(run) {
    run.install();
    let requests = 0;
    // The token source is down for the first request: no handshake may go out without a token.
    run.tokens = () => (requests++ === 0 ? { status: 503 } : run.sign('conformance', 60));
    const failed = await run.until('token', FIRST_CONTACT_MS, (entry) => entry.status !== 200);
    if (!failed) return unreached(this.behaviours, 'the token endpoint was never asked');
    const mark = run.log.indexOf(failed);
    await run.waitFor(DEADLINE_MS, () => run.after('admitted', mark).length > 0);
    const firstToken = run.log.findIndex((entry) => entry.kind === 'token' && entry.status === 200);
    const early = run.log.filter((entry, index) => entry.kind === 'attempt' && (firstToken < 0 || index < firstToken)).length;
    const retry = run.after('token', mark + 1)[0];
    const admitted = run.after('admitted', mark)[0];
    return [
      verdict('no-attempt-without-token', early === 0, early === 0 ? 'no attempt before a token was had' : `${early} attempts without a token`),
      verdict('backs-off-token-source', retry !== undefined && retry.t - failed.t >= 250, retry ? `asked again ${ms(retry.t - failed.t)} after the failure` : 'never asked again'),
      verdict('connects-after-token-source', admitted !== undefined, admitted ? `connected ${ms(admitted.t - failed.t)} after the failure` : 'never connected'),
    ];
  },
};

const messageTimeout: Scenario = {
  name: 'message-timeout',
  behaviours: ['reconnects-after-timeout', 'backs-off-after-timeout'],
  modes: ['message'],
  async run(run) {
    // Message mode only: the first authenticate is still being verified (an app hook that waits)
    // when the server's 1.5 s `timeout` ends it: `unauthorized` timeout, then a disconnect.
    let checks = 0;
    run.install({
      timeout: 1500,
      hookTimeoutMs: DEADLINE_MS,
      additional_auth: async () => {
        if (checks++ > 0) return true;
        await run.waitFor(DEADLINE_MS, (log) => log.some((entry) => entry.kind === 'refused' && entry.reason === 'timeout'));
        return true;
      },
    });
    run.tokens = () => run.sign('conformance', 60);
    const refused = await run.until('refused', FIRST_CONTACT_MS, (entry) => entry.reason === 'timeout');
    if (!refused) return unreached(this.behaviours, 'no authenticate reached the server');
    return reconnectsAfterBackOff(run, refused, 'reconnects-after-timeout', 'backs-off-after-timeout');
  },
};

const refreshRateLimited: Scenario = {
  name: 'refresh-rate-limited',
  behaviours: ['honours-refresh-retry-after', 'keeps-socket-after-rate-limited-refresh'],
  async run(run) {
    // 6 s tokens, one refresh per 4 s window: the second refresh (at about half the new token's
    // life, ~3 s after the first) is refused rate_limited with retryAfterMs, and the socket stays.
    const windowMs = 4000;
    run.install({ refreshLimit: { max: 1, windowMs } });
    run.tokens = () => run.sign('conformance', 6);
    const first = await run.until('admitted', FIRST_CONTACT_MS);
    if (!first) return unreached(this.behaviours, 'never authenticated');
    const limited = await run.until('refused', DEADLINE_MS, (entry) => entry.reason === 'rate_limited');
    if (!limited) return unreached(this.behaviours, 'no refresh was rate limited');
    const mark = run.log.indexOf(limited);
    const opened = run.entries('authenticate').find((entry) => entry.socket === first.socket);
    await run.waitFor(DEADLINE_MS, (log) => log.some((entry, index) => index > mark && (entry.kind === 'refreshed' || entry.kind === 'disconnect') && entry.socket === first.socket));
    const next = run.after('authenticate', mark + 1).find((entry) => entry.socket === first.socket);
    const reopens = (opened?.t ?? limited.t) + windowMs;
    const ended = run.log.findIndex((entry, index) => index > mark && entry.kind === 'disconnect' && entry.socket === first.socket);
    const refreshedAt = run.log.findIndex((entry, index) => index > mark && entry.kind === 'refreshed' && entry.socket === first.socket);
    const kept = refreshedAt >= 0 && (ended < 0 || refreshedAt < ended);
    return [
      verdict('honours-refresh-retry-after', next !== undefined && next.t >= reopens - 50, next ? `refresh retried ${ms(next.t - limited.t)} after the refusal, ${ms(next.t - reopens)} from the end of retryAfterMs` : 'no refresh after the refusal'),
      verdict('keeps-socket-after-rate-limited-refresh', kept, kept ? 'a later refresh was accepted on the same socket' : ended >= 0 ? 'the socket ended before a refresh was accepted' : 'no refresh accepted afterwards'),
    ];
  },
};

export const SCENARIOS: readonly Scenario[] = [
  connect,
  refresh,
  expiredToken,
  expiry,
  revoked,
  badSignature,
  rateLimited,
  transient,
  transientRepeated,
  subjectMismatch,
  connectionLost,
  connectionLostRepeatedly,
  serverDisconnect,
  connectRefused,
  sessionLimit,
  sessionCap,
  notYetValid,
  tokenSourceDown,
  messageTimeout,
  refreshRateLimited,
];

/** The behaviours a scenario judges in a mode (`acknowledges-unauthorized` only exists in message mode). */
export function behavioursOf(scenario: Scenario, mode: string): string[] {
  if (scenario.modes && !scenario.modes.includes(mode)) return [];
  return scenario.behaviours.filter((behaviour) => mode === 'message' || behaviour !== 'acknowledges-unauthorized');
}
