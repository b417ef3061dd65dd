// `node --import ./test/pg-version-hook.mjs`: with SOCKJWT_TEST_PG set (e.g. `pg-8.9`, an npm alias
// in devDependencies), every `import 'pg'` loads that package instead: the lowest `pg` sockjwt/postgres
// declares, under the same tests (test/postgres-versions.test.ts).
import { register } from 'node:module';

if (process.env.SOCKJWT_TEST_PG) {
  register(
    `data:text/javascript,${encodeURIComponent(`export async function resolve(specifier, context, next) { return next(specifier === 'pg' ? ${JSON.stringify(process.env.SOCKJWT_TEST_PG)} : specifier, context); }`)}`,
    import.meta.url,
  );
}
