import type { DynamicModule } from '@nestjs/common';
import { RedisCluster, type RedisClusterOptions } from '../../src/redis/index.js';

/**
 * Provides the app's `RedisCluster`, built before the socket.io server exists, so that
 * `SockjwtModule.forRootAsync()` can inject it for its revocation store;
 * `RedisClusterIoAdapter` attaches it to the server. docs/nest.md shows this module.
 */
export class RedisClusterModule {
  static forRoot(options: RedisClusterOptions): DynamicModule {
    return {
      module: RedisClusterModule,
      providers: [{ provide: RedisCluster, useFactory: () => new RedisCluster(options) }],
      exports: [RedisCluster],
    };
  }
}
