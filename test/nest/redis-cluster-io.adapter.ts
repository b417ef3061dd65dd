import type { INestApplicationContext } from '@nestjs/common';
import type { ServerOptions } from 'socket.io';
import { SockjwtIoAdapter } from '../../src/nest/index.js';
import type { RedisCluster } from '../../src/redis/index.js';

/**
 * Nest's documented RedisIoAdapter shape ("Adapters" → "Extend socket.io") with sockjwt/redis's
 * RedisCluster: `attach()` installs the Redis adapter on the server Nest creates, as
 * `server.adapter(...)` does there. docs/nest.md shows this class.
 */
export class RedisClusterIoAdapter extends SockjwtIoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly cluster: RedisCluster,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): any {
    const server = super.createIOServer(port, options);
    this.cluster.attach(server);
    return server;
  }

  // Nest closes the servers first, then disposes of the adapter: the order RedisCluster asks for.
  override async dispose(): Promise<void> {
    await this.cluster.close();
  }
}
