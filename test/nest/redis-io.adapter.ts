import type { INestApplicationContext } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { ServerOptions } from 'socket.io';
import { SockjwtIoAdapter } from '../../src/nest/index.js';

/**
 * Nest's documented RedisIoAdapter ("Adapters" → "Extend socket.io"), extending SockjwtIoAdapter
 * instead of IoAdapter: nothing else changes. docs/nest.md shows this class.
 */
export class RedisIoAdapter extends SockjwtIoAdapter {
  private adapterConstructor: ReturnType<typeof createAdapter> | undefined;
  private readonly clients: { close(): Promise<unknown> }[] = [];

  constructor(app: INestApplicationContext, private readonly url: string) {
    super(app);
  }

  async connectToRedis(): Promise<void> {
    const pubClient = createClient({ url: this.url });
    const subClient = pubClient.duplicate();
    this.clients.push(pubClient, subClient);
    await Promise.all([pubClient.connect(), subClient.connect()]);
    this.adapterConstructor = createAdapter(pubClient, subClient);
  }

  override createIOServer(port: number, options?: ServerOptions): any {
    const server = super.createIOServer(port, options);
    server.adapter(this.adapterConstructor);
    return server;
  }

  override async dispose(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
  }
}
