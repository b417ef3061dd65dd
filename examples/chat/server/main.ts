// `npm start`: the chat example with its settings from the environment.
import { RedisCluster } from 'sockjwt/redis';
import { createChatServer } from './app.js';
import { readConfig, redactUrl } from './config.js';
import { loadUsers } from './users.js';

const env = readConfig();
for (const warning of env.warnings) console.warn(`WARNING: ${warning}`);
const redisUrl = env.redisUrl;
if (redisUrl) {
  console.log(`Cluster mode: Redis at ${redactUrl(redisUrl)} carries broadcasts, who is online and revocations between nodes.`);
}

const users = loadUsers(env.usersFile);
let server: Awaited<ReturnType<typeof createChatServer>>;
try {
  server = await createChatServer({
    ...env,
    users,
    cluster: redisUrl ? (io) => new RedisCluster(io, clusterOptions(redisUrl, env.redisKeyPrefix)) : undefined,
  });
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

/** REDIS_KEY_PREFIX keeps clusters that share a Redis apart: their revocations and their broadcasts. */
function clusterOptions(url: string, keyPrefix: string | undefined) {
  return keyPrefix ? { url, keyPrefix, adapter: { key: `${keyPrefix}socket.io` } } : { url };
}
