import type { IncomingMessage } from 'node:http';
import type { VerifierOptions } from 'fast-jwt';
import type { JwtClaims } from '../types.js';

/** Verifies one token's signature and registered claims; the request feeds secret functions. */
export type VerifyToken = (request: IncomingMessage, token: string) => JwtClaims | Promise<JwtClaims>;

/** What fast-jwt checks besides the signature, already in its units (milliseconds). */
export type ClaimChecks = Omit<VerifierOptions, 'algorithms' | 'complete' | 'cache' | 'cacheTTL' | 'errorCacheTTL'>;
