import type { ModuleMetadata } from '@nestjs/common';
import type { AuthorizeOptions, HandshakeOptions, JwtClaims, MessageOptions } from '../index.js';

/**
 * `SockjwtModule.forRoot()`'s options: `authorize()`'s options (`handshake: true` for handshake
 * mode, else message mode), and `isGlobal`.
 */
export type SockjwtModuleOptions<Claims = JwtClaims> = (HandshakeOptions<Claims> | MessageOptions<Claims>) & {
  /** Provide `SockjwtService` to every module, as `ConfigModule`'s `isGlobal` does. Default `false`. */
  isGlobal?: boolean;
};

/** `SockjwtModule.forRootAsync()`'s options: a factory for `authorize()`'s options, with its dependencies. */
export interface SockjwtModuleAsyncOptions<Claims = JwtClaims> extends Pick<ModuleMetadata, 'imports'> {
  /** Builds `authorize()`'s options from the providers in `inject`, e.g. a `ConfigService`. */
  useFactory: (...args: any[]) => AuthorizeOptions<Claims> | Promise<AuthorizeOptions<Claims>>;
  /** Providers handed to `useFactory`, in order. */
  inject?: any[];
  /** Provide `SockjwtService` to every module. Default `false`. */
  isGlobal?: boolean;
}
