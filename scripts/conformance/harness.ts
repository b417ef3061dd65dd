import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { Server, type Namespace, type Socket } from 'socket.io';
import { authorize, type AuthorizeOptions, type ConnectionListener, type HandshakeMiddleware, type SockjwtEvent } from '../../src/index.js';

export type Mode = 'handshake' | 'message';

/** What the server saw, in order; `t` is Date.now() (comparable with `exp` × 1000). */
export type Entry =
  | { kind: 'token'; t: number; status: number }
  | { kind: 'attempt'; t: number; socket: string }
  | { kind: 'admitted'; t: number; socket: string; exp: number | undefined; sub: unknown }
  | { kind: 'authenticate'; t: number; socket: string }
  | { kind: 'ack'; t: number; socket: string }
  | { kind: 'refreshed'; t: number; socket: string; exp: number | undefined }
  | { kind: 'refused'; t: number; stage: string; reason: string }
  | { kind: 'dropped'; t: number; reason: string }
  | { kind: 'disconnect'; t: number; socket: string; reason: string }
  | { kind: 'stopped'; t: number; reason: string }
  | { kind: 'exit'; t: number; code: number | null };

export type Kind = Entry['kind'];
export type EntryOf<K extends Kind> = Extract<Entry, { kind: K }>;

/** What the token endpoint answers next: a token, or a status without one (503: the token source is down). */
export type TokenAnswer = string | { status: number };

/** One scenario run in one mode: its namespace, its token endpoint, its log, and the client under test. */
export class ScenarioRun {
  readonly log: Entry[] = [];
  readonly startedAt = Date.now();
  private readonly changes = new EventEmitter();
  /** Answers the token endpoint; the scenario sets it. */
  tokens: () => TokenAnswer = () => ({ status: 503 });
  private child: ChildProcess | undefined;
  /** sockjwt's `authorize()` for this namespace, once `install()` has run. */
  auth!: HandshakeMiddleware | ConnectionListener;

  constructor(
    readonly mode: Mode,
    readonly scenario: string,
    readonly nsp: Namespace,
    private readonly secret: string,
  ) {}

  get id(): string {
    return `${this.mode}/${this.scenario}`;
  }

  record(entry: Entry): void {
    this.log.push(entry);
    this.changes.emit('entry', entry);
  }

  /** Entries logged after the first `mark` of them (a position in the log: milliseconds can tie). */
  after<K extends Kind>(kind: K, mark: number): EntryOf<K>[] {
    return this.log.slice(mark).filter((entry): entry is EntryOf<K> => entry.kind === kind);
  }

  entries<K extends Kind>(kind: K, since = 0): EntryOf<K>[] {
    return this.log.filter((entry): entry is EntryOf<K> => entry.kind === kind && entry.t >= since);
  }

  /** Resolves with the first entry (already logged or to come) matching, or undefined after `ms`. */
  until<K extends Kind>(kind: K, ms: number, match: (entry: EntryOf<K>) => boolean = () => true, since = 0): Promise<EntryOf<K> | undefined> {
    const found = this.entries(kind, since).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const onEntry = (entry: Entry) => {
        if (entry.kind !== kind || entry.t < since || !match(entry as EntryOf<K>)) return;
        done(entry as EntryOf<K>);
      };
      const done = (entry: EntryOf<K> | undefined) => {
        clearTimeout(timer);
        this.changes.off('entry', onEntry);
        resolve(entry);
      };
      const timer = setTimeout(() => done(undefined), ms);
      this.changes.on('entry', onEntry);
    });
  }

  /**
   * Resolves true once `holds(log)` is true (checked now and after every entry), false after `ms`.
   * `ms` only caps a hang: verdicts are read from the log, in order, not from how long things took.
   */
  waitFor(ms: number, holds: (log: readonly Entry[]) => boolean): Promise<boolean> {
    if (holds(this.log)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onEntry = () => {
        if (holds(this.log)) done(true);
      };
      const done = (result: boolean) => {
        clearTimeout(timer);
        this.changes.off('entry', onEntry);
        resolve(result);
      };
      const timer = setTimeout(() => done(false), ms);
      this.changes.on('entry', onEntry);
    });
  }

  /**
   * Waits for the client to end itself (docs/protocol.md section 9: a client that stops prints
   * `stopped` and exits), or `ms` for one that never does. No attempt can follow an exit, so a
   * check over the whole log afterwards is exact, whatever the machine's load.
   */
  async ended(ms: number): Promise<void> {
    await this.until('exit', ms);
  }

  /** Signs a token with the server's secret; `ttlS` seconds from now (negative: already expired); `claims` added. */
  sign(sub: string, ttlS: number, secret = this.secret, claims: object = {}): string {
    return jwt.sign({ sub, exp: Math.ceil(Date.now() / 1000 + ttlS), ...claims }, secret, { algorithm: 'HS256' });
  }

  /**
   * Puts sockjwt on the namespace in this run's mode, with observers that fill the log. In
   * message mode a refused socket is let go at once (`callback: false`) unless `options` says
   * otherwise: only the scenario about acknowledging `unauthorized` waits for the client.
   */
  install(options: Partial<AuthorizeOptions> = {}): void {
    const metrics = { observe: (event: SockjwtEvent) => this.observe(event) };
    const admitted = (socket: Socket) => {
      const claims = socket.data?.decoded_token as { exp?: number; sub?: unknown } | undefined;
      this.record({ kind: 'admitted', t: Date.now(), socket: socket.id, exp: claims?.exp, sub: claims?.sub });
    };
    const live = new WeakSet<Socket>();
    // sockjwt hides `authenticate` from every app listener and middleware, so the harness
    // watches the wire: the engine.io packets of the socket's connection, as they arrive.
    const spy = (socket: Socket) =>
      socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
        if (packet.type !== 'message') return;
        // The client's acknowledgement of a server emit: only `unauthorized` asks for one here.
        if (isAckPacket(packet.data, this.nsp.name)) return this.record({ kind: 'ack', t: Date.now(), socket: socket.id });
        if (!isAuthenticatePacket(packet.data, this.nsp.name)) return;
        this.record({ kind: live.has(socket) ? 'authenticate' : 'attempt', t: Date.now(), socket: socket.id });
      });
    const watch = (socket: Socket) => socket.on('disconnect', (reason) => this.record({ kind: 'disconnect', t: Date.now(), socket: socket.id, reason }));
    if (this.mode === 'handshake') {
      this.nsp.use((socket, next) => {
        this.record({ kind: 'attempt', t: Date.now(), socket: socket.id });
        spy(socket);
        live.add(socket); // an authenticate on a connected handshake-mode socket is a refresh
        next();
      });
      this.auth = authorize({ secret: this.secret, handshake: true, metrics, ...options } as AuthorizeOptions & { handshake: true });
      this.nsp.use(this.auth as never);
      this.nsp.on('connection', (socket: Socket) => {
        watch(socket);
        admitted(socket);
      });
    } else {
      this.nsp.on('connection', (socket: Socket) => {
        spy(socket);
        watch(socket);
      });
      this.auth = authorize({ secret: this.secret, metrics, timeout: 4000, callback: false, ...options } as AuthorizeOptions);
      this.nsp.on('connection', this.auth as never);
      this.nsp.on('authenticated', (socket: Socket) => {
        live.add(socket);
        admitted(socket);
      });
    }
    this.nsp.on('token_refreshed', (socket: Socket) => {
      const claims = socket.data?.decoded_token as { exp?: number } | undefined;
      this.record({ kind: 'refreshed', t: Date.now(), socket: socket.id, exp: claims?.exp });
    });
  }

  /** The live server-side socket of an admitted entry. */
  socket(id: string): Socket | undefined {
    return this.nsp.sockets.get(id);
  }

  private observe(event: SockjwtEvent): void {
    if (event.event === 'refused') this.record({ kind: 'refused', t: Date.now(), stage: event.stage, reason: event.reason });
    else if (event.event === 'dropped') this.record({ kind: 'dropped', t: Date.now(), reason: event.reason });
  }

  /** Starts the client under test with this run's URL, token endpoint and mode. */
  launch(command: string, baseUrl: string, onOutput: (line: string) => void): void {
    const env = {
      ...process.env,
      SOCKJWT_URL: `${baseUrl}${this.nsp.name}`,
      SOCKJWT_TOKEN_URL: `${baseUrl}/token${this.nsp.name}`,
      SOCKJWT_MODE: this.mode,
    };
    const child = spawn(command, { shell: true, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let buffered = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        this.readLine(line);
        onOutput(line);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => onOutput(chunk.trimEnd()));
    // 'close': the process has exited and its output has been read, so a `stopped` line it printed
    // before exiting is already in the log.
    child.once('close', (code) => this.record({ kind: 'exit', t: Date.now(), code }));
  }

  /** Ends the client under test (its whole process group: the shell and what it started). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
  }

  private readLine(line: string): void {
    if (!line.startsWith('{')) return;
    try {
      const message = JSON.parse(line) as { event?: unknown; reason?: unknown };
      if (message.event === 'stopped') this.record({ kind: 'stopped', t: Date.now(), reason: String(message.reason) });
    } catch {
      // not one of ours: the client may print what it likes
    }
  }

  answerToken(response: ServerResponse): void {
    let answer: TokenAnswer;
    try {
      answer = this.tokens();
    } catch {
      answer = { status: 500 };
    }
    const status = typeof answer === 'string' ? 200 : answer.status;
    this.record({ kind: 'token', t: Date.now(), status });
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(typeof answer === 'string' ? JSON.stringify({ token: answer }) : JSON.stringify({ error: 'token source unavailable' }));
  }
}

/** The conformance server: one socket.io server, a namespace and a token endpoint per run. */
export class ConformanceServer {
  readonly secret = randomBytes(32).toString('base64url');
  private readonly runs = new Map<string, ScenarioRun>();
  private readonly http: HttpServer;
  readonly io: Server;
  url = '';

  constructor() {
    this.http = createServer((request, response) => this.route(request, response));
    this.io = new Server(this.http, { pingInterval: 5000, pingTimeout: 4000 });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this.url;
  }

  run(mode: Mode, scenario: string): ScenarioRun {
    const run = new ScenarioRun(mode, scenario, this.io.of(`/${mode}/${scenario}`), this.secret);
    this.runs.set(run.nsp.name, run);
    return run;
  }

  async close(): Promise<void> {
    await this.io.close();
  }

  private route(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const run = path.startsWith('/token/') ? this.runs.get(path.slice('/token'.length)) : undefined;
    if (!run || (request.method !== 'GET' && request.method !== 'POST')) {
      response.writeHead(404).end();
      return;
    }
    run.answerToken(response);
  }
}

/** A socket.io ACK packet (`3`, then `/nsp,` unless the main namespace, then the ack id). */
function isAckPacket(data: unknown, nsp: string): boolean {
  return typeof data === 'string' && data.startsWith(nsp === '/' ? '3' : `3${nsp},`);
}

/** A socket.io EVENT packet (`2`, then `/nsp,` unless the main namespace, an optional ack id) whose event is `authenticate`. */
function isAuthenticatePacket(data: unknown, nsp: string): boolean {
  if (typeof data !== 'string') return false;
  const prefix = nsp === '/' ? '2' : `2${nsp},`;
  if (!data.startsWith(prefix)) return false;
  return data.slice(prefix.length).replace(/^\d+/, '').startsWith('["authenticate"');
}
