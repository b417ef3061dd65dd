// Short-lived access tokens: what the browser hands socket.io, and what sockjwt verifies.
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { PublicUser } from '../shared/protocol.js';
import type { IssuedAccessToken } from './refresh-tokens.js';

/** Pinned on both sides: the secret could sign tokens for other apps, these claims say "for this chat". */
export const ISSUER = 'sockjwt-chat-example';
export const AUDIENCE = 'sockjwt-chat';
export const ALGORITHM = 'HS256';

export class AccessTokenIssuer {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  /** A token carrying `sub` (the user's public id), `name`, `role` and a fresh `jti`. */
  issue(user: PublicUser): { token: string; expiresAt: number; issued: IssuedAccessToken } {
    const jti = randomUUID();
    const token = jwt.sign({ name: user.name, role: user.role }, this.secret, {
      algorithm: ALGORITHM,
      subject: user.id,
      jwtid: jti,
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: this.ttlSeconds,
    });
    const { exp } = jwt.decode(token) as { exp: number };
    return { token, expiresAt: exp * 1000, issued: { jti, exp } };
  }
}
