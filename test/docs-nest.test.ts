import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/**
 * docs/nest.md shows code from tested files: a block whose first line is `// <path>` must appear,
 * as written, in that file (examples/nest is run by test/example-nest.test.ts, the others are tests).
 */

const guide = readFileSync(new URL('../docs/nest.md', import.meta.url), 'utf8');
const blocks = [...guide.matchAll(/```ts[^\n]*\n\/\/ ((?:examples|test)\/\S+)\n([\s\S]*?)```/g)].map(([, path, code]) => ({ path: path!, code: code! }));

describe('docs/nest.md', () => {
  it('has code blocks taken from tested files', () => {
    assert.ok(blocks.length >= 8, `found ${blocks.length} blocks`);
  });

  for (const { path, code } of blocks) {
    it(`shows ${path} as it is: ${code.split('\n')[0]!.trim()}`, () => {
      const source = readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
      assert.ok(source.includes(code), `docs/nest.md has a block that ${path} does not contain:\n${code}`);
    });
  }
});
