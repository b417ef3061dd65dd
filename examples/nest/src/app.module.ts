import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { SockjwtModule } from 'sockjwt/nest';
import { ChatGateway } from './chat.gateway.js';
import { TokenController } from './token.controller.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    // Signs the tokens (TokenController); sockjwt verifies them with the same secret and options.
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({ secret: config.getOrThrow<string>('JWT_SECRET'), signOptions: { expiresIn: '15m', issuer: 'nest-chat' } }),
    }),
    SockjwtModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        secret: config.getOrThrow<string>('JWT_SECRET'),
        algorithms: ['HS256'],
        issuer: 'nest-chat',
        handshake: true,
      }),
    }),
  ],
  controllers: [TokenController],
  providers: [ChatGateway],
})
export class AppModule {}
