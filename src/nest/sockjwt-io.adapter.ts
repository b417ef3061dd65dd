import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { SockjwtService, type ProtectableTarget } from './sockjwt.service.js';

// Typed by IoAdapter's own declarations: @nestjs/platform-socket.io may bring its own copy of
// socket.io, whose classes TypeScript cannot match with the app's copy.
type CreateOptions = Parameters<IoAdapter['create']>[1];
type GatewayServer = ReturnType<IoAdapter['create']>;

/**
 * `@nestjs/platform-socket.io`'s `IoAdapter` with sockjwt on every gateway namespace, the default
 * one and each `@WebSocketGateway({ namespace })`, installed before Nest binds the gateway. A
 * gateway's `handleConnection` therefore runs only for an authenticated socket (in message mode:
 * when it authenticates, not when it connects), and `handleDisconnect` only for one that got in.
 * Extend it as you would extend `IoAdapter` (e.g. a Redis adapter in `createIOServer`).
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new SockjwtIoAdapter(app));
 * ```
 */
export class SockjwtIoAdapter extends IoAdapter {
  private readonly app: INestApplicationContext;
  private service: SockjwtService | undefined;

  /** `sockjwt`: the service to install; default the app's `SockjwtService` (from `SockjwtModule`). */
  constructor(app: INestApplicationContext, sockjwt?: SockjwtService) {
    super(app);
    this.app = app;
    this.service = sockjwt;
  }

  override create(port: number, options?: CreateOptions): GatewayServer {
    const target = super.create(port, options);
    // The same classes at run time whichever copy of socket.io made them.
    this.sockjwt().protect(target as unknown as ProtectableTarget);
    return target;
  }

  /**
   * `IoAdapter.createIOServer`, re-declared without its socket.io types, so a subclass (Nest's
   * documented RedisIoAdapter) may name the app's own `ServerOptions` and `Server` even where
   * `@nestjs/platform-socket.io` pins a second copy of socket.io, whose declarations
   * TypeScript would not match with the app's.
   */
  override createIOServer(port: number, options?: any): any {
    return super.createIOServer(port, options);
  }

  /** Binds the gateway to admitted sockets only: `connection` in handshake mode, `authenticated` in message mode. */
  override bindClientConnect(server: any, callback: Function): void {
    server.on(this.sockjwt().admissionEvent, callback);
  }

  private sockjwt(): SockjwtService {
    this.service ??= this.app.get(SockjwtService, { strict: false });
    if (this.service === undefined) throw new TypeError('sockjwt/nest: SockjwtIoAdapter found no SockjwtService: import SockjwtModule.forRoot() or pass the service');
    return this.service;
  }
}
