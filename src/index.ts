export { authorize } from './authorize.js';
export { ERROR_CODES, ERROR_REASONS, UnauthorizedError, isUnauthorizedError } from './lib/errors.js';
export type { ErrorCode, ErrorReason, UnauthorizedErrorData } from './lib/errors.js';
export type {
  AdditionalAuth,
  Algorithm,
  AuthorizeOptions,
  CommonOptions,
  HandshakeOptions,
  HeaderSecretFunction,
  JsonWebKey,
  JsonWebKeySet,
  JwksOptions,
  JwtClaims,
  JwtHeader,
  KeyMaterial,
  MessageOptions,
  PayloadSecretFunction,
  SecretCallback,
  SecretFunction,
} from './lib/options.js';
export type { HandshakeMiddleware } from './lib/handshake-mode.js';
export type { ConnectionListener } from './lib/message-mode.js';
export type { AuthorizedSocketData } from './lib/attach.js';
