import { MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer, type OnGatewayConnection, type OnGatewayDisconnect } from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import { Claims, RequireClaims, SockjwtService } from 'sockjwt/nest';
import type { ChatClaims } from './claims.js';

/** Every socket here is authenticated: sockjwt refused the others before Nest saw them. */
@WebSocketGateway({ namespace: '/chat' })
export class ChatGateway implements OnGatewayConnection, OnGatewayDisconnect {
  @WebSocketServer() server!: Server;

  constructor(private readonly sockjwt: SockjwtService) {}

  handleConnection(socket: Socket): void {
    const { name } = socket.data.decoded_token as ChatClaims;
    this.server.emit('presence', { name, online: true, sessions: this.sockjwt.sessionCount });
  }

  handleDisconnect(socket: Socket): void {
    const claims = socket.data.decoded_token as ChatClaims | undefined;
    this.server.emit('presence', { name: claims?.name, online: false, sessions: this.sockjwt.sessionCount });
  }

  @SubscribeMessage('message')
  message(@MessageBody() text: string, @Claims<ChatClaims>('name') name: string): { ok: true } {
    this.server.emit('message', { from: name, text: String(text).slice(0, 500) });
    return { ok: true };
  }

  /** Admins only: drops every socket of a user, on every node sharing the revocation store. */
  @RequireClaims<ChatClaims>((claims) => claims.role === 'admin')
  @SubscribeMessage('admin:ban')
  async ban(@MessageBody() sub: string): Promise<{ ok: true; dropped: number }> {
    return { ok: true, dropped: await this.sockjwt.revoke({ sub: String(sub) }) };
  }
}
