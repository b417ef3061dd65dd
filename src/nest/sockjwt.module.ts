import type { DynamicModule, Provider } from '@nestjs/common';
import type { AuthorizeOptions } from '../index.js';
import type { SockjwtModuleAsyncOptions, SockjwtModuleOptions } from './options.js';
import { SockjwtService } from './sockjwt.service.js';
import { SOCKJWT_OPTIONS } from './tokens.js';

const serviceProvider: Provider = {
  provide: SockjwtService,
  useFactory: (options: AuthorizeOptions<any>) => new SockjwtService(options),
  inject: [SOCKJWT_OPTIONS],
};

/**
 * Provides `SockjwtService`, one `authorize()` for every gateway; `SockjwtIoAdapter` installs it
 * on each gateway namespace.
 *
 * @example
 * ```ts
 * @Module({ imports: [SockjwtModule.forRoot({ secret: process.env.JWT_SECRET!, algorithms: ['HS256'], handshake: true })] })
 * export class AppModule {}
 * ```
 */
export class SockjwtModule {
  static forRoot(options: SockjwtModuleOptions<any>): DynamicModule {
    const { isGlobal, ...authorizeOptions } = options;
    return {
      module: SockjwtModule,
      global: isGlobal === true,
      providers: [{ provide: SOCKJWT_OPTIONS, useValue: authorizeOptions }, serviceProvider],
      exports: [SockjwtService],
    };
  }

  /**
   * Options from a factory, e.g. a secret from `ConfigService`:
   * `forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (config) => ({ secret: config.getOrThrow('JWT_SECRET') }) })`.
   */
  static forRootAsync(options: SockjwtModuleAsyncOptions<any>): DynamicModule {
    return {
      module: SockjwtModule,
      global: options.isGlobal === true,
      imports: options.imports ?? [],
      providers: [{ provide: SOCKJWT_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }, serviceProvider],
      exports: [SockjwtService],
    };
  }
}
