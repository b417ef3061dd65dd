import type { KeyObject } from 'node:crypto';

// The JOSE vocabulary every layer speaks; a leaf, so any module can import it without a cycle.

/** Registered JWT claims (RFC 7519 §4.1) plus whatever the issuer adds. */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

/** The decoded JOSE header, as handed to a four-parameter secret function. */
export interface JwtHeader {
  alg: string;
  typ?: string;
  kid?: string;
  [parameter: string]: unknown;
}

export type Algorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA';

/**
 * A JSON Web Key (RFC 7517): public (`RSA`, `EC`, `OKP`) or symmetric (`oct`). When it names
 * an `alg`, only that algorithm is accepted with it; a `use` other than `sig` is refused.
 */
export interface JsonWebKey {
  kty: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  crv?: string;
  [parameter: string]: unknown;
}

/** A JSON Web Key Set, as a JWKS endpoint serves it. Its members must be public keys. */
export interface JsonWebKeySet {
  keys: JsonWebKey[];
}

/** A shared secret (string or Buffer), a PEM public key, a node:crypto KeyObject, or a JWK. */
export type KeyMaterial = string | Buffer | KeyObject | JsonWebKey;
