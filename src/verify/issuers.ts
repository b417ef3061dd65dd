import { createDecoder } from 'fast-jwt';
import * as refuse from '../errors/refusals.js';
import type { VerifyToken } from './verify-token.js';

/**
 * Several trusted issuers, each with its own verifier (its own keys, key cache, audience,
 * algorithms). The token's `iss`, read before anything is verified, may only *select* one of
 * them by exact string match: no case folding, no trailing-slash repair, no URL built from it.
 * A token naming no configured issuer is refused before any key is looked up or fetched. The
 * selected verifier checks `iss` again, verified this time, so the selection is never the
 * only thing standing between a token and its issuer's keys.
 */
export function createIssuerVerifier(byIssuer: ReadonlyMap<string, VerifyToken>): VerifyToken {
  const decode = createDecoder() as (token: string) => unknown;
  return (request, token) => {
    const verify = byIssuer.get(unverifiedIssuer(decode, token));
    if (!verify) throw refuse.unknownIssuer();
    return verify(request, token);
  };
}

function unverifiedIssuer(decode: (token: string) => unknown, token: string): string {
  let payload: unknown;
  try {
    payload = decode(token);
  } catch (cause) {
    throw refuse.malformed('jwt malformed', cause);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw refuse.malformed('jwt payload must be a JSON object');
  const iss = (payload as { iss?: unknown }).iss;
  if (typeof iss !== 'string') throw refuse.unknownIssuer();
  return iss;
}
