import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import { Inject } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway, WebSocketServer, type OnGatewayConnection, type OnGatewayDisconnect, type OnGatewayInit } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { Claims, RequireClaims, SockjwtService } from '../../src/nest/index.js';

export interface TestClaims {
  sub: string;
  name?: string;
  role?: string;
}

export interface Entry {
  hook: 'init' | 'connection' | 'disconnect' | 'admin:ping';
  namespace: string;
  socketId?: string;
  sub?: string;
}

/** What the gateways saw, in order; emits each entry under its hook name for tests to await. */
export class Journal extends EventEmitter {
  readonly entries: Entry[] = [];

  record(entry: Entry): void {
    this.entries.push(entry);
    this.emit(entry.hook, entry);
  }

  count(hook: Entry['hook'], namespace: string): number {
    return this.entries.filter((entry) => entry.hook === hook && entry.namespace === namespace).length;
  }
}

/**
 * The handlers both test gateways share. The decorators are applied as tsc compiles
 * `@Decorator` syntax (`decorate` below), because tsx compiles test/ without
 * experimentalDecorators; examples/nest, compiled by tsc, shows the syntax and is tested too.
 */
abstract class RecordingGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  /** The gateway's namespace, set by Nest (`@WebSocketServer()`). */
  declare server: Namespace;

  constructor(
    private readonly journal: Journal,
    readonly sockjwt: SockjwtService,
  ) {}

  protected abstract readonly namespace: string;

  afterInit(): void {
    this.journal.record({ hook: 'init', namespace: this.namespace });
  }

  handleConnection(socket: Socket): void {
    this.journal.record({ hook: 'connection', namespace: this.namespace, socketId: socket.id, sub: (socket.data as { decoded_token?: TestClaims }).decoded_token?.sub });
  }

  handleDisconnect(socket: Socket): void {
    this.journal.record({ hook: 'disconnect', namespace: this.namespace, socketId: socket.id });
  }

  whoami(claims: TestClaims, sub: string): { sub: string; name: string | undefined } {
    assert(claims.sub === sub, 'both forms of @Claims name the same user');
    return { sub, name: claims.name };
  }

  adminPing(sub: string): { ok: true; sub: string } {
    this.journal.record({ hook: 'admin:ping', namespace: this.namespace, sub });
    return { ok: true, sub };
  }
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** What tsc emits for `@decorator` syntax: parameter decorators, then method or class decorators, last first. */
function decorate(target: object, method: string | undefined, decorators: unknown[], parameters: ParameterDecorator[][] = []): void {
  parameters.forEach((list, index) => list.forEach((parameter) => parameter(target, method, index)));
  const key = method as string;
  const descriptor = method === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
  Reflect.decorate(decorators as never, target as never, method as never, descriptor as never);
}

// constructor(@Inject(Journal) journal, @Inject(SockjwtService) sockjwt): no decorator metadata under tsx.
decorate(RecordingGateway, undefined, [], [[Inject(Journal)], [Inject(SockjwtService)]]);
// @WebSocketServer() server
decorate(RecordingGateway.prototype, 'server', [WebSocketServer()]);
// @SubscribeMessage('whoami') whoami(@Claims() claims, @Claims<TestClaims>('sub') sub)
decorate(RecordingGateway.prototype, 'whoami', [SubscribeMessage('whoami')], [[Claims()], [Claims<TestClaims>('sub')]]);
// @RequireClaims(...) @SubscribeMessage('admin:ping') adminPing(@Claims<TestClaims>('sub') sub)
decorate(RecordingGateway.prototype, 'adminPing', [RequireClaims<TestClaims>((claims, event) => claims.role === 'admin' && event === 'admin:ping'), SubscribeMessage('admin:ping')], [[Claims<TestClaims>('sub')]]);

export class LobbyGateway extends RecordingGateway {
  protected readonly namespace = '/';
}
decorate(LobbyGateway, undefined, [WebSocketGateway()]);

export class ChatGateway extends RecordingGateway {
  protected readonly namespace = '/chat';
}
decorate(ChatGateway, undefined, [WebSocketGateway({ namespace: '/chat' })]);

/** A second gateway on '/chat': Nest asks the adapter for that namespace again. */
export class SecondChatGateway extends RecordingGateway {
  protected readonly namespace = '/chat (second gateway)';
}
decorate(SecondChatGateway, undefined, [WebSocketGateway({ namespace: '/chat' })]);
