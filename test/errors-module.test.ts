// Every refusal is built in src/errors/refusals.ts: the code/reason contract reads in one file.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CODES, ERROR_REASONS } from '../src/index.js';
import { CODES_BY_REASON } from '../src/errors/refusals.js';

const SRC = new URL('../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('the errors module', () => {
  it('no server module outside src/errors/ constructs an UnauthorizedError itself', () => {
    // sockjwt/client rebuilds errors it received on the wire: it reads them, it does not refuse.
    const offenders = sourceFiles(SRC)
      .filter((file) => !file.includes('/src/errors/') && !file.includes('/src/client/'))
      .filter((file) => /new UnauthorizedError\s*\(/.test(readFileSync(file, 'utf8')))
      .map((file) => file.slice(SRC.length));
    assert.deepEqual(offenders, []);
  });

  it('CODES_BY_REASON covers every reason with known codes', () => {
    assert.deepEqual(Object.keys(CODES_BY_REASON).sort(), [...ERROR_REASONS].sort());
    for (const codes of Object.values(CODES_BY_REASON)) for (const code of codes) assert.ok((ERROR_CODES as readonly string[]).includes(code), code);
  });
});
