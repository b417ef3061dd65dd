import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

/** Debian's interpreter: python3-socketio and its friends belong to it, not to the python3 first on PATH. */
export const PYTHON = '/usr/bin/python3';

/** The client helper's imports (python3-aiohttp for the asyncio client). */
export const HELPER_MODULES = { modules: ['socketio', 'engineio', 'aiohttp', 'websocket'], packages: 'python3-socketio python3-websocket python3-aiohttp' };

/**
 * Fails, never skips, when the interpreter cannot import `modules`: CI must not go green without
 * the Python suites having run (scripts/pretest.mjs installs the packages when root).
 */
export async function assertPythonImports({ modules, packages }: { modules: string[]; packages: string }): Promise<void> {
  const check = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(PYTHON, ['-c', `import ${modules.join(', ')}`], { timeout: 15_000 });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error) => resolve({ code: -1, stderr: error.message }));
    child.once('close', (code) => resolve({ code, stderr }));
  });
  assert.equal(check.code, 0, `${PYTHON} cannot import ${modules.join(', ')}: apt-get install ${packages} (scripts/pretest.mjs does it as root)\n${check.stderr}`);
}
