/**
 * The layout's rules, checked by `npm run lint` (decisions §13). Imports flow one way:
 *   types.ts (the public types, a leaf) ← errors, util ← observe ← verify ← revocation ← socketio ← session ← socket ← config ← authorize/index
 * with the entry points sockjwt/client, sockjwt/redis, sockjwt/postgres, sockjwt/metrics and sockjwt/nest beside the core.
 * `tsPreCompilationDeps` puts type-only imports in the graph, and the `reachable` rules follow
 * every path, so a layer cannot reach a higher one through a third module either.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const CORE = '^src/(errors|util|observe|verify|revocation|socketio|session|socket|config)/|^src/(index|authorize|types)[.]ts$';
const ABOVE = {
  verify: '^src/(revocation|socketio|session|socket|config)/|^src/(index|authorize)[.]ts$',
  revocation: '^src/(socketio|session|socket|config)/|^src/(index|authorize)[.]ts$',
  socketio: '^src/(session|socket|config)/|^src/(index|authorize)[.]ts$',
  session: '^src/(socket|config)/|^src/(index|authorize)[.]ts$',
  socket: '^src/config/|^src/(index|authorize)[.]ts$',
};
const flowsDown = (layer, comment) => ({ name: `${layer}-reaches-nothing-above`, severity: 'error', comment, from: { path: `^src/${layer}/` }, to: { path: ABOVE[layer], reachable: true } });

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'types flow one way: no import cycles, type-only ones included', from: {}, to: { circular: true } },
    { name: 'types-are-a-leaf', severity: 'error', comment: 'src/types.ts holds every public type and imports none of sockjwt (only node: and socket.io type declarations)', from: { path: '^src/types[.]ts$' }, to: { path: '^src/' } },
    { name: 'types-are-types', severity: 'error', comment: 'src/types.ts loads nothing at run time', from: { path: '^src/types[.]ts$' }, to: { dependencyTypesNot: ['type-only'] } },
    { name: 'client-is-not-server', severity: 'error', comment: 'sockjwt/client runs in browsers: it shares only the error vocabulary, the public types and small pure helpers with the server', from: { path: '^src/client/' }, to: { path: '^src/', pathNot: '^src/(client|errors|util)/|^src/types[.]ts$' } },
    { name: 'client-reaches-no-server', severity: 'error', from: { path: '^src/client/' }, to: { path: '^src/(observe|verify|revocation|socketio|session|socket|config|redis|postgres|metrics)/|^src/(index|authorize)[.]ts$', reachable: true } },
    { name: 'client-without-server-packages', severity: 'error', from: { path: '^src/client/' }, to: { path: '^node_modules/(fast-jwt|jose|redis|@redis|ioredis|pg|pg-[a-z]+|prom-client)/', reachable: true } },
    { name: 'client-without-socket-io-server', severity: 'error', comment: 'only the public types name socket.io (type-only); the client never loads it', from: { path: '^src/client/' }, to: { path: '^node_modules/socket[.]io/', dependencyTypesNot: ['type-only'] } },
    { name: 'verify-knows-no-socket', severity: 'error', comment: 'verifying a token is independent of socket.io and of the session that holds it', from: { path: '^src/verify/' }, to: { path: ['^node_modules/socket[.]io', '^src/(revocation|socketio|session|socket|config)/'] } },
    { name: 'core-without-optional-entry-points', severity: 'error', comment: 'the core never loads sockjwt/redis, sockjwt/postgres, sockjwt/metrics, sockjwt/nest or their dependencies, by any path', from: { path: CORE }, to: { path: ['^src/(redis|postgres|metrics|client|nest)/', '^node_modules/(redis|@redis|ioredis|pg|pg-[a-z]+|prom-client|@socket[.]io/(redis|postgres)|@nestjs)'], reachable: true } },
    { name: 'postgres-without-redis', severity: 'error', comment: 'sockjwt/redis and sockjwt/postgres are alternatives: neither loads the other or its packages', from: { path: '^src/postgres/' }, to: { path: ['^src/redis/', '^node_modules/(redis|@redis|ioredis|@socket[.]io/redis)'], reachable: true } },
    { name: 'redis-without-postgres', severity: 'error', from: { path: '^src/redis/' }, to: { path: ['^src/postgres/', '^node_modules/(pg|pg-[a-z]+|@socket[.]io/postgres)/'], reachable: true } },
    { name: 'nest-uses-the-public-api', severity: 'error', comment: 'sockjwt/nest is built on what sockjwt exports, like any app: src/index.ts and the public types, nothing internal', from: { path: '^src/nest/' }, to: { path: '^src/', pathNot: '^src/nest/|^src/(index|types)[.]ts$' } },
    { name: 'leaves-stay-leaves', severity: 'error', comment: 'errors and util are imported by every layer and import none but the public types', from: { path: '^src/(errors|util)/' }, to: { path: '^src/', pathNot: '^src/(errors|util)/|^src/types[.]ts$' } },
    { name: 'observe-reaches-only-leaves', severity: 'error', from: { path: '^src/observe/' }, to: { path: '^src/', pathNot: '^src/(errors|util|observe)/|^src/types[.]ts$', reachable: true } },
    flowsDown('verify', 'a token in, claims or a refusal out: verify/ reaches no session, socket or revocation module, by any path'),
    flowsDown('revocation', 'revocation knows nothing of socket.io or sessions'),
    flowsDown('socketio', 'socketio-seams.ts, the one module touching socket.io internals, knows no session'),
    flowsDown('session', 'the modes sit above the session they drive'),
    flowsDown('socket', 'the modes are built by config, never the reverse'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
