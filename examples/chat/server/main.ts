// `npm start`: the chat example with its settings from the environment.
import { createChatServer } from './app.js';
import { readConfig, redactUrl } from './config.js';
import { loadUsers } from './users.js';

const env = readConfig();
for (const warning of env.warnings) console.warn(`WARNING: ${warning}`);
if (env.redisUrl) {
  console.log(`REDIS_URL is set (${redactUrl(env.redisUrl)}), but cluster mode is wired by the cluster issue: this server runs alone, with its state in memory.`);
}

const users = loadUsers(env.usersFile);
let server: Awaited<ReturnType<typeof createChatServer>>;
try {
  server = await createChatServer({ ...env, users });
} catch (error) {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port ${env.port} is already in use: start with another one, e.g. PORT=${env.port + 1} npm start`);
    process.exit(1);
  }
  throw error;
}

const demo = users.map((u) => `  ${u.username.padEnd(8)} ${(u.demoPassword ?? '(no demo password)').padEnd(12)} ${u.role}`);
console.log(`
sockjwt chat example running at ${server.url}

Demo users (username, password, role):
${demo.join('\n')}

Access tokens live ${env.accessTokenTtlSeconds} s (ACCESS_TOKEN_TTL) and are refreshed in place.
Open the URL in two browser windows (one private) to chat as two users. Ctrl-C stops.
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log('\nstopping');
    void server.close().then(() => process.exit(0));
  });
}
