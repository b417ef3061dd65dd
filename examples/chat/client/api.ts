// The HTTP calls the page makes. The refresh token never appears here: it is an httpOnly
// cookie the browser sends to /refresh and /logout by itself.
import type { ErrorResponse, TokenResponse } from '../shared/protocol.js';

/** A refusal from the server, with the message it gave. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function post(path: string, body?: object): Promise<Response> {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : null,
  });
  if (response.ok) return response;
  const answer = (await response.json().catch(() => null)) as ErrorResponse | null;
  throw new ApiError(answer?.error ?? `The server answered ${response.status}.`, response.status);
}

export async function login(username: string, password: string): Promise<TokenResponse> {
  return (await post('/login', { username, password })).json() as Promise<TokenResponse>;
}

/** A new access token for the refresh cookie (which the server rotates). */
export async function refresh(): Promise<TokenResponse> {
  return (await post('/refresh')).json() as Promise<TokenResponse>;
}

export async function logout(): Promise<void> {
  await post('/logout');
}
