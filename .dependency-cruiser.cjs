/**
 * The layout's rules, checked by `npm run lint` (decisions §13). Imports flow one way:
 *   errors, util → options → observe → verify → revocation → socketio → session → socket → config → authorize/index
 * with the entry points sockjwt/client, sockjwt/redis and sockjwt/metrics beside the core.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const CORE = '^src/(errors|util|options|observe|verify|revocation|socketio|session|socket|config)/|^src/(index|authorize)[.]ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'types flow one way: no import cycles, type-only ones included', from: {}, to: { circular: true } },
    { name: 'client-is-not-server', severity: 'error', comment: 'sockjwt/client runs in browsers: it shares only the error vocabulary and small pure helpers with the server', from: { path: '^src/client/' }, to: { path: '^src/', pathNot: '^src/(client|errors|util)/' } },
    { name: 'client-without-socket-io-server', severity: 'error', from: { path: '^src/client/' }, to: { path: '^node_modules/(socket[.]io|fast-jwt|jose|redis|ioredis|prom-client)/' } },
    { name: 'verify-knows-no-socket', severity: 'error', comment: 'verifying a token is independent of socket.io and of the session that holds it', from: { path: '^src/verify/' }, to: { path: ['^node_modules/socket[.]io', '^src/(revocation|socketio|session|socket|config)/'] } },
    { name: 'core-without-optional-entry-points', severity: 'error', comment: 'the core never loads sockjwt/redis, sockjwt/metrics or their dependencies', from: { path: CORE }, to: { path: ['^src/(redis|metrics|client)/', '^node_modules/(redis|@redis|ioredis|prom-client|@socket[.]io/redis)'] } },
    { name: 'leaves-stay-leaves', severity: 'error', comment: 'errors and util are imported by every layer and import none', from: { path: '^src/(errors|util)/' }, to: { path: '^src/', pathNot: '^src/(errors|util)/' } },
    { name: 'options-are-types', severity: 'error', comment: 'the option types may name the types of the layers they configure, never load them', from: { path: '^src/options/' }, to: { path: '^src/', pathNot: '^src/(options|errors)/', dependencyTypesNot: ['type-only'] } },
    { name: 'layers-flow-down', severity: 'error', comment: 'a lower layer never imports a higher one', from: { path: '^src/(observe|verify|revocation)/' }, to: { path: '^src/(socketio|session|socket|config)/|^src/(index|authorize)[.]ts$' } },
    { name: 'seams-below-session', severity: 'error', comment: 'socketio-seams.ts, the one module touching socket.io internals, knows no session', from: { path: '^src/socketio/' }, to: { path: '^src/(session|socket|config)/|^src/(index|authorize)[.]ts$' } },
    { name: 'session-below-socket', severity: 'error', comment: 'the modes sit above the session they drive', from: { path: '^src/session/' }, to: { path: '^src/(socket|config)/|^src/(index|authorize)[.]ts$' } },
    { name: 'socket-below-config', severity: 'error', from: { path: '^src/socket/' }, to: { path: '^src/config/|^src/(index|authorize)[.]ts$' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
