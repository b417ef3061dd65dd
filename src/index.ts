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
export { MemoryRevocationStore } from './lib/revocation-store.js';
export type { MemoryRevocationStoreOptions, RevocationRule, RevocationStore, StoredRule, TokenRef } from './lib/revocation-store.js';
export type { IsRevoked } from './lib/revocation.js';
export type { SessionControl } from './lib/session-registry.js';
export { ackRefusal, roomRefusal } from './lib/claim-guards.js';
export type { AckRefusal, ClaimGuards, ClaimPredicate } from './lib/claim-guards.js';
export type { AckAccepted, LifetimeNotice } from './lib/authenticate-message.js';
export { TOKEN_REFRESHED } from './lib/socket-session.js';
export type { AuthStage, SockjwtEvent, SockjwtLogger, SockjwtObserver } from './lib/observer.js';
export type { RateLimitOptions, RefreshLimitOptions } from './lib/rate-limit.js';
