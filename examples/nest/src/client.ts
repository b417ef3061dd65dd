import { io } from 'socket.io-client';

// node dist/client.js alice [admin]: fetches a token, joins /chat, sends stdin lines as messages.
const [name = 'alice', role = 'member'] = process.argv.slice(2);
const base = process.env['CHAT_URL'] ?? 'http://127.0.0.1:3001';
const { token } = (await (await fetch(`${base}/token?name=${encodeURIComponent(name)}&role=${role}`)).json()) as { token: string };
const socket = io(`${base}/chat`, { auth: { token } });
socket.on('connect_error', (error: Error & { data?: unknown }) => console.error('refused:', error.message, error.data));
socket.on('unauthorized', (error: { data: { reason: string } }) => console.error('dropped:', error.data.reason));
socket.on('presence', (presence: unknown) => console.log('presence', presence));
socket.on('message', ({ from, text }: { from: string; text: string }) => console.log(`${from}: ${text}`));
process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
  for (const line of chunk.split('\n').filter(Boolean)) {
    const [command, argument] = line.split(' ', 2);
    if (command === '/ban') socket.emit('admin:ban', argument, (answer: unknown) => console.log('ban:', answer));
    else socket.emit('message', line);
  }
});
