import type { Namespace, Server } from 'socket.io';
import { authorize } from '../index.js';
import type { AuthorizeOptions, ConnectionListener, HandshakeMiddleware, RevocationRule } from '../index.js';
import { rememberClaimsProperty } from './claims-of.js';

/** A Server, or one of its namespaces, from the app's socket.io or from `@nestjs/platform-socket.io`'s own copy. */
export type ProtectableTarget = Server | Namespace;

/**
 * The live sessions of one `authorize()`, shared by every gateway namespace: inject it to revoke
 * a user's tokens, count sessions or protect a namespace by hand.
 *
 * @example
 * ```ts
 * constructor(private readonly sockjwt: SockjwtService) {}
 * await this.sockjwt.revoke({ sub: 'user-42' }); // drops the user on every gateway
 * ```
 */
export class SockjwtService {
  /** Message mode admits a socket on the namespace's `authenticated` event, handshake mode on `connection`. */
  readonly admissionEvent: 'connection' | 'authenticated';
  private readonly auth: HandshakeMiddleware | ConnectionListener;
  private readonly claimsProperty: string | undefined;
  private readonly protectedNamespaces = new WeakSet<Namespace>();

  constructor(options: AuthorizeOptions<any>) {
    this.auth = authorize(options);
    this.admissionEvent = options.handshake === true ? 'connection' : 'authenticated';
    this.claimsProperty = options.decodedPropertyName;
  }

  /**
   * Revokes a token (`{ jti }`) or a user's tokens (`{ sub, issuedBefore? }`): their live sockets,
   * on every gateway, are sent `unauthorized` (reason `revoked`) and disconnected. Resolves with
   * the number of sockets dropped on this node; nodes sharing the revocation store drop theirs.
   */
  revoke(rule: RevocationRule): Promise<number> {
    return this.auth.revoke(rule);
  }

  /** Authenticated sockets currently live on this node, over every gateway namespace. */
  get sessionCount(): number {
    return this.auth.sessionCount;
  }

  /**
   * Guards a namespace from now on (connection state recovery, and each socket taken in hand
   * before any listener of the app's). `protect()` calls it; call it yourself only for a
   * namespace you protect by hand.
   */
  watch(target: ProtectableTarget): void {
    this.auth.watch(target);
  }

  /**
   * Installs sockjwt on a namespace (a Server: its main namespace), once: the handshake middleware,
   * or the message-mode hold. `SockjwtIoAdapter` calls it for every gateway namespace before Nest
   * binds the gateway.
   */
  protect(target: ProtectableTarget): void {
    const namespace = namespaceOf(target);
    if (this.protectedNamespaces.has(namespace)) return;
    this.protectedNamespaces.add(namespace);
    rememberClaimsProperty(namespace, this.claimsProperty);
    if (this.admissionEvent === 'connection') namespace.use(this.auth as HandshakeMiddleware);
    else namespace.on('connection', this.auth as ConnectionListener);
    this.auth.watch(namespace);
  }
}

function namespaceOf(target: ProtectableTarget): Namespace {
  return 'of' in target && typeof target.of === 'function' ? target.of('/') : (target as Namespace);
}
