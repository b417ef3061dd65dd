import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { SockjwtIoAdapter } from 'sockjwt/nest';
import { AppModule } from './app.module.js';

// A throwaway secret when none is set: tokens die with the process.
process.env['JWT_SECRET'] ??= randomBytes(32).toString('base64url');

const app = await NestFactory.create(AppModule);
app.useWebSocketAdapter(new SockjwtIoAdapter(app));
app.enableShutdownHooks();
await app.listen(Number(process.env['PORT'] ?? 3001), process.env['HOST'] ?? '127.0.0.1');
console.log(`nest chat listening on ${await app.getUrl()}`);
