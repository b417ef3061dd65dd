// Prints the "password" entry of users.json for a password read from stdin:
//
//   printf '%s' 'my new password' | npx tsx examples/chat/hash-password.ts
import { hashPassword } from './server/users.js';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
if (password.length === 0) {
  console.error('usage: printf %s PASSWORD | npx tsx examples/chat/hash-password.ts');
  process.exit(1);
}
console.log(JSON.stringify({ password: await hashPassword(password) }, null, 2));
