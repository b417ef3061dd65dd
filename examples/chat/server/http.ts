// The HTTP side: log in, refresh, log out, and the page itself.
import express, { type NextFunction, type Request, type Response } from 'express';
import { parse as parseCookies } from 'cookie';
import type { ErrorResponse, TokenResponse } from '../shared/protocol.js';
import type { AccessTokenIssuer } from './access-tokens.js';
import type { RefreshTokenStore } from './refresh-tokens.js';
import type { UserDirectory } from './users.js';

export const REFRESH_COOKIE = 'chat_refresh';

export interface HttpDeps {
  users: UserDirectory;
  accessTokens: AccessTokenIssuer;
  refreshTokens: RefreshTokenStore;
  refreshTtlMs: number;
  /** Folders served as they are: the page, its stylesheet, the bundle. */
  staticDirs: string[];
  log: (line: string) => void;
}

const MAX_FIELD_LENGTH = 200;

export function createHttpApp({ users, accessTokens, refreshTokens, refreshTtlMs, staticDirs, log }: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders);

  /** The access token in the body, the refresh token in a cookie script cannot read. */
  const grant = (req: Request, res: Response, status: number, refreshToken: string, body: TokenResponse): void => {
    res.cookie(REFRESH_COOKIE, refreshToken, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      maxAge: refreshTtlMs,
    });
    res.status(status).json(body);
  };
  const refuse = (res: Response, status: number, error: string): void => {
    res.status(status).json({ error } satisfies ErrorResponse);
  };
  const endRefresh = (res: Response, status: number, error: string): void => {
    res.clearCookie(REFRESH_COOKIE, { path: '/' });
    refuse(res, status, error);
  };

  app.post('/login', express.json({ limit: '4kb' }), async (req, res) => {
    // JSON only: a cross-site HTML form cannot send it, so no CSRF login.
    if (!req.is('application/json')) return refuse(res, 415, 'Send the credentials as JSON.');
    const { username, password } = (req.body ?? {}) as { username?: unknown; password?: unknown };
    if (!isField(username) || !isField(password)) return refuse(res, 400, 'Enter a username and a password.');
    const user = await users.verify(username.trim().toLowerCase(), password);
    if (!user) {
      log(`login refused for "${username.slice(0, 32)}": wrong username or password`);
      return refuse(res, 401, 'Wrong username or password.');
    }
    // Checked after the password, so the ban is not revealed to someone guessing.
    if (users.isBanned(user.username)) return refuse(res, 403, 'This account has been banned by an admin.');
    log(`${user.username} logged in`);
    grant(req, res, 200, refreshTokens.issue(user.username), accessTokens.issue(user));
  });

  app.post('/refresh', (req, res) => {
    const presented = parseCookies(req.headers.cookie ?? '')[REFRESH_COOKIE];
    if (!presented) return endRefresh(res, 401, 'Not signed in.');
    const rotated = refreshTokens.rotate(presented);
    if (!rotated.ok) {
      if (rotated.reason === 'reused') log('a refresh token was used twice: its session is revoked');
      return endRefresh(res, 401, 'Your session has ended. Please sign in again.');
    }
    const user = users.get(rotated.sub);
    if (!user || users.isBanned(user.username)) {
      refreshTokens.revokeSubject(rotated.sub);
      return endRefresh(res, 403, 'This account has been banned by an admin.');
    }
    grant(req, res, 200, rotated.token, accessTokens.issue(user));
  });

  app.post('/logout', (req, res) => {
    const presented = parseCookies(req.headers.cookie ?? '')[REFRESH_COOKIE];
    if (presented) refreshTokens.revoke(presented);
    res.clearCookie(REFRESH_COOKIE, { path: '/' });
    res.status(204).end();
  });

  for (const dir of staticDirs) app.use(express.static(dir, { index: 'index.html' }));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) log(`error: ${err instanceof Error ? err.stack : String(err)}`);
    refuse(res, status, status >= 500 ? 'Something went wrong on the server.' : 'Bad request.');
  });
  return app;
}

function isField(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_LENGTH;
}

/** The page loads only its own script and style, and talks only to its own origin. */
function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
}
