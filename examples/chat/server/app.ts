// The example chat server: express for login and the page, socket.io + sockjwt for the chat.
// `createChatServer()` is the whole app; main.ts only adds the environment and the console.
import { existsSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import { Server } from 'socket.io';
import { authorize, type HandshakeMiddleware, type RevocationStore } from 'sockjwt';
import type { ChatClaims } from '../shared/protocol.js';
import { ALGORITHM, AUDIENCE, AccessTokenIssuer, ISSUER } from './access-tokens.js';
import { registerChatHandlers, type ChatIo } from './chat.js';
import { createHttpApp } from './http.js';
import { defaultLimits, type ChatLimits } from './limits.js';
import { RefreshTokenStore, type EndedFamily } from './refresh-tokens.js';
import { UserDirectory, type UserRecord } from './users.js';

export type { ChatIo } from './chat.js';

export interface ChatServerConfig {
  /** Default 0: any free port (see `url`). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** HS256 secret the access tokens are signed and verified with. Required. */
  jwtSecret: string;
  /** Access-token lifetime, seconds. Default 60. */
  accessTokenTtlSeconds?: number;
  /** Refresh-token lifetime, seconds. Default 8 h. */
  refreshTokenTtlSeconds?: number;
  /** How long (ms) after its rotation a refresh token is still exchanged for the current one (tabs sharing the cookie). Default 10 s. */
  refreshReuseGraceMs?: number;
  /** Who may log in (see users.json and `loadUsers()`). */
  users: readonly UserRecord[];
  /** Where `auth.revoke()` keeps its rules. Default: sockjwt's in-memory store (one process). */
  revocationStore?: RevocationStore;
  /** Runs on the socket.io server before it accepts connections, e.g. to set a cluster adapter. */
  configureIo?: (io: ChatIo) => void | Promise<void>;
  /**
   * Joins a cluster: called with the socket.io server, returns the shared revocation store
   * and what to close on shutdown (`new RedisCluster(io, …)` from `sockjwt/redis` is one).
   */
  cluster?: (io: ChatIo) => ClusterLink;
  /** Where log lines go. Default console.log. */
  log?: (line: string) => void;
  /** Express's `trust proxy` setting, for a server behind a proxy that terminates TLS (TRUST_PROXY; see http.ts). */
  trustProxy?: boolean | number | string;
  /** Rate limits and caps; the defaults (`defaultLimits()` in limits.ts) follow the access-token lifetime. */
  limits?: Partial<ChatLimits>;
}

export interface ClusterLink {
  revocationStore: RevocationStore;
  close(): Promise<void>;
}

export interface ChatServer {
  httpServer: HttpServer;
  io: ChatIo;
  /** The sockjwt middleware, with `revoke()` and `sessionCount`. */
  auth: HandshakeMiddleware;
  app: Express;
  users: UserDirectory;
  /** The refresh-token families and their rotation records (`size`: token hashes held). */
  refreshTokens: RefreshTokenStore;
  /** Where the server listens, e.g. http://127.0.0.1:3000. */
  url: string;
  close(): Promise<void>;
}

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const BUNDLE_DIR = fileURLToPath(new URL('../dist/', import.meta.url));

export async function createChatServer(config: ChatServerConfig): Promise<ChatServer> {
  const { jwtSecret, port = 0, host = '127.0.0.1', accessTokenTtlSeconds = 60, refreshTokenTtlSeconds = 8 * 60 * 60, log = console.log } = config;
  if (typeof jwtSecret !== 'string' || jwtSecret.length === 0) throw new TypeError('createChatServer: "jwtSecret" is required');
  if (!existsSync(join(BUNDLE_DIR, 'app.js'))) {
    throw new Error(`createChatServer: the browser bundle ${BUNDLE_DIR}app.js is missing; run \`npm run build:example\` (npm start does)`);
  }

  // A different socket cap resizes the refresh budgets that follow from it.
  const limits: ChatLimits = { ...defaultLimits(accessTokenTtlSeconds, config.limits?.socketsPerUser), ...config.limits };
  const users = new UserDirectory(config.users);
  const accessTokens = new AccessTokenIssuer(jwtSecret, accessTokenTtlSeconds);
  // A family that ends (sign-out on a device, a reused token, eviction) takes down what it
  // issued: its access tokens are refused from now on, and the sockets using them are dropped.
  let revokeFamily = (_family: EndedFamily): void => {};
  const refreshTokens = new RefreshTokenStore({
    ttlMs: refreshTokenTtlSeconds * 1000,
    ...(config.refreshReuseGraceMs === undefined ? {} : { reuseGraceMs: config.refreshReuseGraceMs }),
    maxFamiliesPerUser: limits.familiesPerUser,
    maxFamilies: limits.families,
    onFamilyEnded: (family) => revokeFamily(family),
  });
  const sweeper = setInterval(() => refreshTokens.sweep(), 60_000).unref();

  const app = createHttpApp({ users, accessTokens, refreshTokens, limits, publicDir: PUBLIC_DIR, bundleDir: BUNDLE_DIR, log, ...(config.trustProxy === undefined ? {} : { trustProxy: config.trustProxy }) });
  const httpServer = createServer(app);
  // serveClient: false, the page's bundle carries socket.io-client (the peer of sockjwt/client).
  const io: ChatIo = new Server(httpServer, { serveClient: false, maxHttpBufferSize: 64 * 1024 });
  await config.configureIo?.(io);
  const cluster = config.cluster?.(io);

  const isAdmin = (claims: ChatClaims) => claims.role === 'admin';
  const auth = authorize<ChatClaims>({
    secret: jwtSecret,
    handshake: true,
    algorithms: [ALGORITHM],
    issuer: ISSUER,
    audience: AUDIENCE,
    // The token only in the handshake `auth` payload, never in a URL that ends up in logs.
    queryToken: false,
    revocationStore: cluster?.revocationStore ?? config.revocationStore,
    // A banned user's tokens are refused at connect and at every refresh, whatever their age.
    isRevoked: (claims) => typeof claims.sub !== 'string' || users.isBanned(claims.sub),
    guards: {
      rooms: { admin: isAdmin },
      events: { 'admin:*': isAdmin },
    },
    // sockjwt's default (10 a minute) is below what 5-second tokens need (ACCESS_TOKEN_TTL=5).
    refreshLimit: { max: limits.refreshesPerSocket.points, windowMs: limits.refreshesPerSocket.durationSeconds * 1000 },
  });
  io.use(auth);
  const chat = registerChatHandlers(io, { auth, users, refreshTokens, limits, log });
  revokeFamily = (family) => {
    for (const { jti, exp } of family.accessTokens) {
      auth.revoke({ jti, exp }).catch((error: unknown) => log(`revoking a token of an ended session failed: ${error instanceof Error ? error.message : String(error)}`));
    }
    if (family.why === 'reused') log(`session ${family.id} of ${family.sub} ended: a refresh token was reused (${family.accessTokens.length} access token(s) revoked)`);
  };

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    httpServer,
    io,
    auth,
    app,
    users,
    refreshTokens,
    url: `http://${shownHost}:${address.port}`,
    async close() {
      clearInterval(sweeper);
      chat.close();
      const closing = io.close();
      httpServer.closeAllConnections();
      await closing;
      await cluster?.close();
    },
  };
}
