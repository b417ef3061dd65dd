// Prints the "password" entry of users.json for a password read from stdin, and a fresh public
// "id" for a new user:
//
//   printf '%s' 'my new password' | npx tsx examples/chat/hash-password.ts
import { randomBytes } from 'node:crypto';
import { hashPassword } from './server/users.js';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
if (password.length === 0) {
  console.error('usage: printf %s PASSWORD | npx tsx examples/chat/hash-password.ts');
  process.exit(1);
}
console.log(JSON.stringify({ id: randomBytes(9).toString('base64url'), password: await hashPassword(password) }, null, 2));
