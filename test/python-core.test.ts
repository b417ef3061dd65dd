// The Python helper's sans-IO core (clients/python/sockjwt_client/_core.py): its unit tests, one per
// transition with a fake clock, run by Python's unittest under Debian's interpreter.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertPythonImports, HELPER_MODULES, PYTHON } from './python-support.js';
import { outputOf } from './support.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the Python helper’s protocol core (unit, fake clock)', () => {
  before(() => assertPythonImports(HELPER_MODULES));

  it('passes clients/python/tests (python3 -m unittest), with no test skipped', async () => {
    const child = spawn(PYTHON, ['-m', 'unittest', 'discover', '-v', '-s', 'clients/python/tests'], { cwd: ROOT, timeout: 60_000 });
    const { code, stderr } = await outputOf(child);
    assert.equal(code, 0, stderr);
    const ran = /Ran (\d+) tests?/.exec(stderr);
    assert.ok(ran && Number(ran[1]) >= 40, `the core's tests ran: ${ran?.[0] ?? stderr.slice(-500)}`);
    assert.doesNotMatch(stderr, /skipped/);
  });
});
