// The HTTP calls the page makes. The refresh token never appears here: it is an httpOnly
// cookie the browser sends to /auth/refresh and /auth/logout by itself.
import { CSRF_HEADER, LOGIN_URL, LOGOUT_URL, REFRESH_URL, type ErrorResponse, type TokenResponse } from '../shared/protocol.js';

/**
 * A refusal from the server, with the message it gave. `retryable` and `retryAfterMs` are read
 * by sockjwt/client when getToken() throws this: a 401 or 403 stops the session at once, a 429
 * waits as long as the server said.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    readonly status: number,
    retryAfterSeconds?: number,
  ) {
    super(message);
    this.retryable = status !== 401 && status !== 403;
    this.retryAfterMs = retryAfterSeconds === undefined ? undefined : retryAfterSeconds * 1000;
  }
}

async function post(path: string, body?: object): Promise<Response> {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    // The custom header is the CSRF defence: no other site's form or script can send it.
    headers: { [CSRF_HEADER]: '1', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : null,
  });
  if (response.ok) return response;
  const answer = (await response.json().catch(() => null)) as ErrorResponse | null;
  const retryAfter = Number(response.headers.get('retry-after'));
  throw new ApiError(answer?.error ?? `The server answered ${response.status}.`, response.status, retryAfter > 0 ? retryAfter : undefined);
}

export async function login(username: string, password: string): Promise<TokenResponse> {
  return (await post(LOGIN_URL, { username, password })).json() as Promise<TokenResponse>;
}

/** A new access token for the refresh cookie (which the server rotates). */
export async function refresh(): Promise<TokenResponse> {
  return (await post(REFRESH_URL)).json() as Promise<TokenResponse>;
}

export async function logout(): Promise<void> {
  await post(LOGOUT_URL);
}
