// The chat page: log in, connect through sockjwt/client, and show what the session does.
import { ClientSessionError, connect, isUnauthorizedError, type AuthenticatedSocket } from 'sockjwt/client';
import type { Ack, BannedUser, ChatMessage, ClientToServerEvents, PublicUser, ServerToClientEvents, SessionEnding, TokenResponse } from '../shared/protocol.js';
import { ApiError, login, logout, refresh } from './api.js';

type ChatSocket = AuthenticatedSocket<ServerToClientEvents, ClientToServerEvents>;
/** How the page shows a session that is over; `data-state` on the banner, for styles and tests. */
type Ending = { state: 'revoked' | 'expired' | 'refused' | 'signed-out'; text: string };

const ACK_TIMEOUT_MS = 5000;
/** Set while signed in, so a reload knows there is a refresh cookie worth trying (it cannot read it). */
const SIGNED_IN = 'sockjwt-chat:signed-in';
const LOG_LENGTH = 8;

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

const ui = {
  whoami: byId('whoami'),
  loginView: byId('login-view'),
  loginForm: byId<HTMLFormElement>('login-form'),
  username: byId<HTMLInputElement>('username'),
  password: byId<HTMLInputElement>('password'),
  loginError: byId('login-error'),
  loginStatus: byId('login-status'),
  chatView: byId('chat-view'),
  banner: byId('session-banner'),
  bannerText: byId('session-banner-text'),
  signInAgain: byId<HTMLButtonElement>('sign-in-again'),
  roomButtons: [...document.querySelectorAll<HTMLButtonElement>('.room-tabs button')],
  roomNotice: byId('room-notice'),
  messages: byId<HTMLOListElement>('messages'),
  messageForm: byId<HTMLFormElement>('message-form'),
  messageInput: byId<HTMLInputElement>('message-input'),
  connectionState: byId('connection-state'),
  socketId: byId('socket-id'),
  reconnects: byId('reconnects'),
  tokenProgress: byId<HTMLProgressElement>('token-progress'),
  tokenRemaining: byId('token-remaining'),
  tokenJti: byId('token-jti'),
  refreshCount: byId('refresh-count'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  signOutEverywhere: byId<HTMLButtonElement>('sign-out-everywhere'),
  sessionLog: byId<HTMLOListElement>('session-log'),
  online: byId<HTMLUListElement>('online'),
  adminPanel: byId('admin-panel'),
  banned: byId<HTMLUListElement>('banned'),
  adminNotice: byId('admin-notice'),
};

/** One signed-in session: a socket kept authenticated by sockjwt/client, and the view of it. */
class ChatSession {
  private readonly socket: ChatSocket;
  private readonly history = new Map<string, ChatMessage[]>();
  private readonly joined = new Set<string>();
  private room = 'lobby';
  private connects = 0;
  private refreshes = 0;
  private tokenLifetimeMs: number;
  private notice: SessionEnding | undefined;
  private signingOutEverywhere = false;
  private ended = false;
  private readonly ticker: ReturnType<typeof setInterval>;

  constructor(
    grant: TokenResponse,
    readonly user: PublicUser,
  ) {
    resetView(user);
    this.tokenLifetimeMs = grant.expiresAt - Date.now();
    let loginToken: string | undefined = grant.token;
    let lastToken = grant.token;

    this.socket = connect<ServerToClientEvents, ClientToServerEvents>(location.origin, {
      // One websocket, no long-polling: a load balancer needs no sticky sessions for it.
      transports: ['websocket'],
      // Called before every connection and before each in-place refresh: the login's token
      // once, then a new one from /refresh, which reads the httpOnly cookie.
      getToken: async () => {
        if (loginToken) {
          const token = loginToken;
          loginToken = undefined;
          return token;
        }
        const fresh = await refresh();
        lastToken = fresh.token;
        return fresh.token;
      },
    });
    const { session } = this.socket;

    session.on('authenticated', ({ refreshed, expiresInMs }) => {
      // As the server counts it: this machine's clock may be off.
      if (expiresInMs !== null) this.tokenLifetimeMs = expiresInMs;
      // Every token has its own jti: watch it change while the socket id stays the same.
      ui.tokenJti.textContent = String(readClaims(lastToken)['jti'] ?? '–').slice(0, 8);
      if (refreshed) {
        this.refreshes++;
        ui.refreshCount.textContent = String(this.refreshes);
        this.log(`Token refreshed in place; still socket ${this.socket.id}`);
      } else {
        this.log('Token accepted at connect');
      }
      this.tick();
    });
    session.on('unauthorized', (error) => this.log(`Refused: ${error.message} (${error.reason})`));
    session.on('stopped', (error) => this.finish(this.describe(error)));

    this.socket.on('connect', () => {
      this.connects++;
      ui.reconnects.textContent = String(this.connects - 1);
      ui.socketId.textContent = this.socket.id ?? '–';
      this.setConnection('connected');
      if (this.connects > 1) this.log(`Reconnected as socket ${this.socket.id}`);
    });
    this.socket.on('disconnect', (reason) => {
      if (this.ended) return;
      this.setConnection('disconnected');
      this.log(`Disconnected (${reason})`);
    });
    this.socket.io.on('reconnect_attempt', () => this.setConnection('reconnecting'));

    this.socket.on('joined', (room, messages) => {
      this.joined.add(room);
      this.history.set(room, [...messages]);
      if (room !== this.room) return;
      setNotice(ui.roomNotice, '');
      this.renderRoom();
    });
    this.socket.on('message', (message) => {
      const kept = this.history.get(message.room) ?? [];
      kept.push(message);
      this.history.set(message.room, kept);
      if (message.room === this.room) this.renderRoom();
    });
    this.socket.on('presence', (users) => this.renderPresence(users));
    this.socket.on('admin:banned', (usernames) => this.renderBanned(usernames));
    this.socket.on('session-ending', (notice) => (this.notice = notice));

    this.ticker = setInterval(() => this.tick(), 250);
    this.renderRoom();
  }

  async selectRoom(room: string): Promise<void> {
    this.room = room;
    for (const button of ui.roomButtons) button.setAttribute('aria-pressed', String(button.dataset['room'] === room));
    setNotice(ui.roomNotice, '');
    this.renderRoom();
    if (this.joined.has(room)) return;
    setNotice(ui.roomNotice, `Joining #${room}…`);
    const answer = await this.ask((socket) => socket.emitWithAck('join', room));
    if (this.room !== room) return;
    if (answer.ok) {
      this.joined.add(room);
      this.history.set(room, [...answer.history]);
      setNotice(ui.roomNotice, '');
      this.renderRoom();
    } else {
      setNotice(ui.roomNotice, `#${room} is closed to you: ${refusalText(answer)}`, 'refused');
    }
  }

  /** The notice shows the last send's refusal until the next send or room change; others' messages leave it. */
  async send(text: string): Promise<boolean> {
    setNotice(ui.roomNotice, '');
    const answer = await this.ask((socket) => socket.emitWithAck('message', { room: this.room, text }));
    if (!answer.ok) setNotice(ui.roomNotice, `Not sent: ${refusalText(answer)}`, 'refused');
    return answer.ok;
  }

  async ban(user: PublicUser): Promise<void> {
    const answer = await this.ask((socket) => socket.emitWithAck('admin:ban', user.id));
    setNotice(ui.adminNotice, answer.ok ? `${user.name} is banned; their sessions were revoked.` : `Not banned: ${refusalText(answer)}`, answer.ok ? undefined : 'refused');
  }

  async unban(user: BannedUser): Promise<void> {
    const answer = await this.ask((socket) => socket.emitWithAck('admin:unban', user.id));
    setNotice(ui.adminNotice, answer.ok ? `${user.name} may sign in again.` : `Not unbanned: ${refusalText(answer)}`, answer.ok ? undefined : 'refused');
  }

  signOutEverywhere(): void {
    // The server answers, then revokes every session of this user, this one included: the
    // `stopped` event that follows shows it.
    this.signingOutEverywhere = true;
    this.socket.emit('signout-everywhere', () => this.log('Signing out everywhere'));
  }

  /** Ends this page's session: no more refreshes or reconnections. */
  finish(ending: Ending): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.ticker);
    this.socket.disconnect();
    this.setConnection('ended');
    this.log(ending.text);
    ui.banner.dataset['state'] = ending.state;
    ui.bannerText.textContent = ending.text;
    ui.banner.hidden = false;
    for (const control of [ui.messageInput, ui.signOut, ui.signOutEverywhere, ...ui.roomButtons]) control.disabled = true;
    for (const button of document.querySelectorAll<HTMLButtonElement>('.people button')) button.disabled = true;
    // What the page showed of the live session no longer holds.
    ui.tokenRemaining.textContent = 'no longer used';
    ui.tokenProgress.value = 0;
    ui.online.replaceChildren(element('li', 'empty', 'Offline: sign in again to see who is here.'));
    ui.messageForm.querySelector('button')!.disabled = true;
    ui.signInAgain.focus();
  }

  /** An emit with an acknowledgement, and a refusal of our own if none comes in time. */
  private async ask<T extends object>(send: (socket: ReturnType<ChatSocket['timeout']>) => Promise<Ack<T>>): Promise<Ack<T>> {
    try {
      return await send(this.socket.timeout(ACK_TIMEOUT_MS));
    } catch {
      return { ok: false, message: 'the server did not answer in time' };
    }
  }

  private describe(error: Error): Ending {
    if (isUnauthorizedError(error)) {
      if (error.reason === 'revoked') return { state: 'revoked', text: this.revokedText() };
      if (error.reason === 'expired') return { state: 'expired', text: 'Your session expired: the access token could not be refreshed in time.' };
      return { state: 'refused', text: `The server refused this session: ${error.message} (${error.code}, ${error.reason}).` };
    }
    const cause = error instanceof ClientSessionError ? error.cause : undefined;
    if (cause instanceof ApiError) {
      // getToken() failed: /auth/refresh said no (signed out, banned, the session's time is up, or too many refreshes).
      return { state: cause.status === 403 ? 'revoked' : 'expired', text: cause.message };
    }
    if (error instanceof ClientSessionError && error.reason === 'connect_refused' && cause instanceof Error) {
      return { state: 'refused', text: `The server refused this connection: ${cause.message}` };
    }
    return { state: 'refused', text: `Disconnected: ${error.message}` };
  }

  private revokedText(): string {
    if (this.notice?.reason === 'banned') return `${this.notice.by} banned your account: this session was revoked.`;
    if (this.signingOutEverywhere) return 'You signed out everywhere: every session of yours was revoked, this one too.';
    if (this.notice?.reason === 'signed-out-everywhere') return 'You signed out everywhere from another window: this session was revoked.';
    return 'This session was revoked.';
  }

  private tick(): void {
    const expiresAt = this.socket.session.expiresAt;
    if (expiresAt === null) return;
    const remaining = Math.max(0, expiresAt - Date.now());
    ui.tokenRemaining.textContent = `expires in ${Math.ceil(remaining / 1000)} s`;
    ui.tokenRemaining.dataset['expiresAt'] = String(expiresAt);
    ui.tokenProgress.value = this.tokenLifetimeMs > 0 ? Math.min(1, remaining / this.tokenLifetimeMs) : 0;
  }

  private setConnection(state: 'connecting' | 'connected' | 'disconnected' | 'reconnecting' | 'ended'): void {
    ui.connectionState.dataset['state'] = state;
    ui.connectionState.textContent = state;
  }

  private log(text: string): void {
    const item = element('li', undefined, `${clock(Date.now(), true)} ${text}`);
    ui.sessionLog.append(item);
    while (ui.sessionLog.children.length > LOG_LENGTH) ui.sessionLog.firstElementChild!.remove();
  }

  private renderRoom(): void {
    const joined = this.joined.has(this.room);
    ui.messageInput.disabled = !joined || this.ended;
    ui.messageForm.querySelector('button')!.disabled = !joined || this.ended;
    const messages = this.history.get(this.room) ?? [];
    ui.messages.replaceChildren(
      ...(joined && messages.length === 0 ? [element('li', 'empty', `No messages in #${this.room} yet.`)] : []),
      ...messages.map((message) => {
        const mine = message.from.id === this.user.id;
        const meta = element('div', 'meta');
        meta.append(element('span', 'from', message.from.name), ...(message.from.role === 'admin' ? [element('span', 'role', 'admin')] : []), ` ${clock(message.at)}`);
        const item = element('li', mine ? 'mine' : undefined);
        item.append(meta, element('p', 'text', message.text));
        return item;
      }),
    );
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  private renderPresence(users: PublicUser[]): void {
    const isAdmin = this.user.role === 'admin';
    ui.online.replaceChildren(
      ...users.map((user) => {
        const item = element('li');
        item.append(element('span', 'name', user.id === this.user.id ? `${user.name} (you)` : user.name));
        if (user.role === 'admin') item.append(element('span', 'role', 'admin'));
        if (isAdmin && user.id !== this.user.id) {
          item.append(element('span', 'spacer'), actionButton('Ban', `Ban ${user.name}`, 'danger', () => void this.ban(user)));
        }
        return item;
      }),
    );
  }

  private renderBanned(banned: BannedUser[]): void {
    ui.banned.replaceChildren(
      ...(banned.length === 0 ? [element('li', 'empty', 'Nobody is banned.')] : []),
      ...banned.map((user) => {
        const item = element('li', undefined, user.name);
        item.append(element('span', 'spacer'), actionButton('Unban', `Unban ${user.name}`, undefined, () => void this.unban(user)));
        return item;
      }),
    );
  }
}

let current: ChatSession | undefined;

function start(grant: TokenResponse): void {
  localStorage.setItem(SIGNED_IN, '1');
  current = new ChatSession(grant, grant.user);
  document.body.dataset['view'] = 'chat';
  ui.loginView.hidden = true;
  ui.chatView.hidden = false;
  ui.messageInput.focus();
}

function showLogin(status = ''): void {
  current = undefined;
  localStorage.removeItem(SIGNED_IN);
  document.body.dataset['view'] = 'login';
  ui.whoami.replaceChildren();
  ui.chatView.hidden = true;
  ui.loginView.hidden = false;
  ui.loginError.textContent = '';
  ui.loginStatus.textContent = status;
  ui.username.focus();
}

/** Clears what a previous session left on the page. */
function resetView(user: PublicUser): void {
  ui.whoami.replaceChildren(`Signed in as ${user.name}`, ...(user.role === 'admin' ? [element('span', 'role', 'admin')] : []));
  ui.banner.hidden = true;
  delete ui.banner.dataset['state'];
  for (const list of [ui.messages, ui.sessionLog, ui.online, ui.banned]) list.replaceChildren();
  for (const text of [ui.roomNotice, ui.adminNotice]) setNotice(text, '');
  for (const control of [ui.messageInput, ui.signOut, ui.signOutEverywhere, ...ui.roomButtons]) control.disabled = false;
  for (const button of ui.roomButtons) button.setAttribute('aria-pressed', String(button.dataset['room'] === 'lobby'));
  ui.socketId.textContent = '–';
  ui.reconnects.textContent = '0';
  ui.refreshCount.textContent = '0';
  ui.tokenRemaining.textContent = '–';
  ui.tokenJti.textContent = '–';
  ui.adminPanel.hidden = user.role !== 'admin';
}

ui.loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = ui.loginForm.querySelector('button')!;
  ui.loginError.textContent = '';
  ui.loginStatus.textContent = '';
  submit.disabled = true;
  try {
    const grant = await login(ui.username.value.trim(), ui.password.value);
    ui.password.value = '';
    start(grant);
  } catch (error) {
    ui.loginError.textContent = error instanceof ApiError ? error.message : 'Could not reach the server.';
    ui.password.select();
  } finally {
    submit.disabled = false;
  }
});

ui.messageForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = ui.messageInput.value.trim();
  if (!current || text === '') return;
  // Cleared now, not when the answer comes: by then the box may hold the next message.
  ui.messageInput.value = '';
  if (!(await current.send(text)) && ui.messageInput.value === '') ui.messageInput.value = text;
});

for (const button of ui.roomButtons) button.addEventListener('click', () => void current?.selectRoom(button.dataset['room']!));

ui.signOut.addEventListener('click', async () => {
  const session = current;
  if (!session) return;
  session.finish({ state: 'signed-out', text: 'You signed out.' });
  await logout().catch(() => undefined);
  showLogin('You signed out.');
});
ui.signOutEverywhere.addEventListener('click', () => current?.signOutEverywhere());
ui.signInAgain.addEventListener('click', () => showLogin());

// A reload keeps the session: the refresh cookie is still there.
if (localStorage.getItem(SIGNED_IN)) refresh().then(start, () => showLogin());
else showLogin();

// ---------------------------------------------------------------- small DOM helpers

function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function actionButton(text: string, label: string, className: string | undefined, onClick: () => void): HTMLButtonElement {
  const button = element('button', className ? `small ${className}` : 'small', text);
  button.type = 'button';
  button.setAttribute('aria-label', label);
  button.addEventListener('click', onClick);
  return button;
}

function setNotice(target: HTMLElement, text: string, tone?: 'refused'): void {
  target.textContent = text;
  if (tone) target.dataset['tone'] = tone;
  else delete target.dataset['tone'];
}

function refusalText(answer: Extract<Ack, { ok: false }>): string {
  return answer.data ? `${answer.message} (${answer.data.code}${answer.data.reason ? `, ${answer.data.reason}` : ''})` : answer.message;
}

/** A token's claims, read for display only: the server verifies, the page just shows. */
function readClaims(token: string): Record<string, unknown> {
  try {
    return JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function clock(at: number, seconds = false): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) });
}
