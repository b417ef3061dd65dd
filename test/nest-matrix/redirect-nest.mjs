// Loaded with --import: every `@nestjs/*` import, from sockjwt's source and from the tests, resolves
// in SOCKJWT_NEST_DIR (a directory holding another Nest major) instead of the repository's
// node_modules. Nest's own packages then find each other there.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const dir = process.env.SOCKJWT_NEST_DIR;
if (!dir) throw new Error('redirect-nest.mjs needs SOCKJWT_NEST_DIR');
register(new URL('./redirect-nest-hooks.mjs', import.meta.url), { data: { parentURL: pathToFileURL(`${dir}/package.json`).href } });
