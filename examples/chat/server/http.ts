// The HTTP side: sign in, refresh, sign out, and the page itself.
import express, { type NextFunction, type Request, type Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { z } from 'zod';
import { AUTH_PATH, CSRF_HEADER, LOGIN_URL, LOGOUT_URL, REFRESH_URL, type ErrorResponse, type TokenResponse } from '../shared/protocol.js';
import type { AccessTokenIssuer } from './access-tokens.js';
import { Gate, Limiter, seconds, type ChatLimits } from './limits.js';
import { quoted } from './log-safe.js';
import type { Grant, RefreshTokenStore } from './refresh-tokens.js';
import type { UserDirectory } from './users.js';

export const REFRESH_COOKIE = 'chat_refresh';

export interface HttpDeps {
  users: UserDirectory;
  accessTokens: AccessTokenIssuer;
  refreshTokens: RefreshTokenStore;
  limits: ChatLimits;
  /** The page and its stylesheet, served as they are. */
  publicDir: string;
  /** The browser bundle: only `app.js` is served from it (no source map). */
  bundleDir: string;
  log: (line: string) => void;
  /**
   * Express's `trust proxy` (e.g. `'loopback'`, a hop count, an address list): behind a proxy that
   * terminates TLS, the scheme, host and client address are read from its X-Forwarded-* headers.
   * Without it the Origin check refuses every `/auth/*` POST and the cookie is not Secure.
   */
  trustProxy?: boolean | number | string;
}

const LoginBody = z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(200) });

export function createHttpApp({ users, accessTokens, refreshTokens, limits, publicDir, bundleDir, log, trustProxy }: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  app.use(securityHeaders);

  const loginsPerAddress = new Limiter(limits.loginsPerAddress);
  const loginFailures = new Limiter(limits.loginFailuresPerUser);
  const refreshesPerAddress = new Limiter(limits.refreshesPerAddress);
  const refreshesPerUser = new Limiter(limits.refreshesPerUser);
  const passwordChecks = new Gate(limits.concurrentPasswordChecks, limits.queuedPasswordChecks);

  /** The access token in the body; the refresh token in a cookie script cannot read, sent to /auth/ only. */
  const grant = (req: Request, res: Response, refresh: Grant, user: TokenResponse['user']): void => {
    const body = accessTokens.issue(user);
    refreshTokens.noteAccessToken(refresh.family, body.issued);
    res.cookie(REFRESH_COOKIE, refresh.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: AUTH_PATH,
      // The family's absolute end: rotating does not extend a session.
      maxAge: Math.max(0, refresh.expiresAt - Date.now()),
    });
    res.status(200).json({ token: body.token, expiresAt: body.expiresAt, user } satisfies TokenResponse);
  };
  const refuse = (res: Response, status: number, error: string, retryAfterMs?: number): void => {
    if (retryAfterMs !== undefined) res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
    res.status(status).json({ error } satisfies ErrorResponse);
  };
  /** Only a request that carried the cookie may clear it: a cross-site request carries none. */
  const endSession = (res: Response, status: number, error: string): void => {
    res.clearCookie(REFRESH_COOKIE, { path: AUTH_PATH });
    refuse(res, status, error);
  };
  const presentedCookie = (req: Request): string | undefined => parseCookies(req.headers.cookie ?? '')[REFRESH_COOKIE] || undefined;

  app.post(LOGIN_URL, sameOrigin(false), express.json({ limit: '4kb' }), async (req, res) => {
    // JSON only: a cross-site HTML form cannot send it, so no CSRF login.
    if (!req.is('application/json')) return refuse(res, 415, 'Send the credentials as JSON.');
    const body = LoginBody.safeParse(req.body);
    if (!body.success) return refuse(res, 400, 'Enter a username and a password.');
    const username = body.data.username.toLowerCase();
    const addressWait = await loginsPerAddress.take(req.ip ?? '');
    if (addressWait > 0) return refuse(res, 429, `Too many sign-in attempts from your network. Try again in ${seconds(addressWait)}.`, addressWait);
    // Every attempt is counted as a failure *before* the password check, and forgiven on success:
    // counted after it, 20 concurrent guesses would all be checked before the first one counted.
    const userWait = await loginFailures.take(username);
    if (userWait > 0) return refuse(res, 429, `Too many failed sign-ins for this account. Try again in ${seconds(userWait)}.`, userWait);
    const checked = await passwordChecks.run(() => users.verify(username, body.data.password));
    if (checked === undefined) {
      await loginFailures.giveBack(username); // not checked: not a guess
      return refuse(res, 503, 'The server is busy. Try again in a moment.', 1000);
    }
    if (!checked) {
      log(`login refused for ${quoted(username)}: wrong username or password`);
      return refuse(res, 401, 'Wrong username or password.');
    }
    await loginFailures.reset(username);
    // Checked after the password, so the ban is not revealed to someone guessing.
    if (users.isBanned(checked.id)) return refuse(res, 403, 'This account has been banned by an admin.');
    log(`${checked.id} logged in`);
    grant(req, res, refreshTokens.issue(checked.id), checked);
  });

  app.post(REFRESH_URL, sameOrigin(true), async (req, res) => {
    const presented = presentedCookie(req);
    if (!presented) return refuse(res, 401, 'Not signed in.');
    const addressWait = await refreshesPerAddress.take(req.ip ?? '');
    if (addressWait > 0) return refuse(res, 429, `Too many refreshes from your network. Try again in ${seconds(addressWait)}.`, addressWait);
    const owner = refreshTokens.peek(presented);
    if (owner) {
      const userWait = await refreshesPerUser.take(owner.sub);
      if (userWait > 0) return refuse(res, 429, `Too many refreshes for this account. Try again in ${seconds(userWait)}.`, userWait);
    }
    const rotated = refreshTokens.rotate(presented);
    if (!rotated.ok) {
      if (rotated.reason === 'reused') log('a refresh token was used twice: its session is revoked');
      return endSession(res, 401, 'Your session has ended. Please sign in again.');
    }
    const user = users.get(rotated.sub);
    if (!user || users.isBanned(user.id)) {
      refreshTokens.revokeSubject(rotated.sub);
      return endSession(res, 403, 'This account has been banned by an admin.');
    }
    grant(req, res, rotated, user);
  });

  app.post(LOGOUT_URL, sameOrigin(true), (req, res) => {
    const presented = presentedCookie(req);
    if (presented) {
      refreshTokens.revoke(presented); // ends the family: its live sockets and access tokens too
      res.clearCookie(REFRESH_COOKIE, { path: AUTH_PATH });
    }
    res.status(204).end();
  });

  // The page, its stylesheet and its script; nothing else (no source map, no stray build output).
  app.use(express.static(publicDir, { index: 'index.html' }));
  app.get('/app.js', (_req, res, next) => res.sendFile('app.js', { root: bundleDir }, (error) => error && next(error)));

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) log(`error: ${err instanceof Error ? err.stack : String(err)}`);
    refuse(res, status, status >= 500 ? 'Something went wrong on the server.' : 'Bad request.');
  });
  return app;
}

/**
 * CSRF defence for the endpoints a cookie authenticates. Browsers say where a request comes
 * from: `Sec-Fetch-Site` (anything but same-origin is refused, so a sibling subdomain or
 * another port is too: SameSite=Strict alone lets those send the cookie) and `Origin` (must be
 * this server). `requireHeader`: the page's custom header must be there too, which no form and
 * no cross-origin script without a CORS preflight (never granted here) can send. Scheme and
 * host are the proxy's X-Forwarded-* when `trust proxy` trusts it, else this server's own.
 */
function sameOrigin(requireHeader: boolean) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    const crossSite = (site !== undefined && site !== 'same-origin') || (origin !== undefined && origin !== `${req.protocol}://${req.host}`);
    if (crossSite || (requireHeader && req.get(CSRF_HEADER) !== '1')) {
      res.status(403).json({ error: 'Refused: this request did not come from the chat page.' } satisfies ErrorResponse);
      return;
    }
    next();
  };
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
