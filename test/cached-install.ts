import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Installs a test's own packages (a manifest in test/) in node_modules/.cache/<name>, once: packages
 * the repository cannot hold beside its devDependencies (a second major of Nest, Fastify 4). No
 * install scripts are run. Returns the directory.
 */
export function cachedInstall(manifest: string, name: string, installed: string, npmFlags: string[] = []): string {
  const dir = join(ROOT, 'node_modules/.cache', name);
  const wanted = readFileSync(join(ROOT, manifest), 'utf8');
  const copy = join(dir, 'package.json');
  if (existsSync(copy) && readFileSync(copy, 'utf8') === wanted && existsSync(join(dir, 'node_modules', installed))) return dir;
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(ROOT, manifest), copy);
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', ...npmFlags], { cwd: dir, encoding: 'utf8' });
  assert.equal(npm.status, 0, `npm install in ${dir} failed:\n${npm.stderr}`);
  return dir;
}
