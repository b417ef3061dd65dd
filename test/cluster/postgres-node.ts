// One node of a test cluster on PostgreSQL, in its own process: a socket.io server on an
// ephemeral port with the PostgreSQL adapter and revocation store, driven by the test through IPC.
import { authorize } from '../../src/index.js';
import { PostgresCluster } from '../../src/postgres/index.js';
import { failMode, nodeServer, prefix, secret, serveCommands } from './node-commands.js';

const { http, io, warnings, logger } = nodeServer();
// The test finds this node's connections in pg_stat_activity by their application_name.
const url = new URL(process.env['DATABASE_URL']!);
url.searchParams.set('application_name', `sockjwt-node-${process.pid}`);
const cluster = new PostgresCluster(io, {
  connectionString: url.toString(),
  tableName: prefix,
  // As node.ts: a check on a live PostgreSQL may take over 500 ms on a loaded machine.
  commandTimeoutMs: 1500,
  // Nodes hear of each other within a second, not the adapter's default five.
  adapter: { heartbeatInterval: 1000, heartbeatTimeout: 5000, channelPrefix: `${prefix}_io` },
  logger,
});
const auth = authorize({ secret, handshake: true, revocationStore: cluster.revocationStore, revocationFailMode: failMode });
io.use(auth);

serveCommands(http, io, auth, cluster.ready, {
  async state() {
    return { sessions: auth.sessionCount, redis: false, postgres: cluster.connected, warnings };
  },
  async close() {
    await io.close();
    await cluster.close();
    setImmediate(() => process.exit(0));
    return true;
  },
});
