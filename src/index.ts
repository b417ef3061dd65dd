export { authorize } from './authorize.js';
export { ERROR_CODES, ERROR_REASONS, UnauthorizedError, isUnauthorizedError } from './errors/errors.js';
export type { ErrorCode, ErrorReason, UnauthorizedErrorData } from './errors/errors.js';
export type {
  AdditionalAuth,
  AdditionalAuthError,
  AdditionalAuthRefusal,
  Algorithm,
  AuthorizeOptions,
  CommonOptions,
  HandshakeOptions,
  HeaderSecretFunction,
  JsonWebKey,
  JsonWebKeySet,
  JwksOptions,
  DiscoveryOptions,
  IssuerOptions,
  JwtClaims,
  JwtHeader,
  KeyMaterial,
  MessageOptions,
  PayloadSecretFunction,
  SecretCallback,
  SecretFunction,
  SecretResult,
} from './options/options.js';
export type { IOptions, ISocketCallback, ISocketIOError, ISocketIOMiddleware, JWTServer } from './options/socketio-jwt.js';
export type { HandshakeMiddleware } from './socket/handshake-mode.js';
export type { ConnectionListener } from './socket/message-mode.js';
export type { AuthorizedSocketData } from './session/attach.js';
export { MemoryRevocationStore } from './revocation/revocation-store.js';
export type { MemoryRevocationStoreOptions, RevocationRule, RevocationStore, StoredRule, TokenQuery, TokenRef } from './revocation/revocation-store.js';
export type { IsRevoked } from './revocation/revocation.js';
export type { SessionControl } from './session/session-registry.js';
export { ackRefusal, roomRefusal } from './session/claim-guards.js';
export type { AckRefusal, ClaimGuards, ClaimPredicate } from './session/claim-guards.js';
export type { AckAccepted, LifetimeNotice } from './session/authenticate-message.js';
export { TOKEN_REFRESHED } from './session/socket-session.js';
export type { AuthStage, SockjwtEvent, SockjwtLogger, SockjwtObserver } from './observe/observer.js';
export type { RateLimitOptions, RefreshLimitOptions } from './session/rate-limit.js';
