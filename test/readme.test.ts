import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES, ERROR_REASONS } from '../src/index.js';
import { CODES_BY_REASON } from '../src/errors/refusals.js';
import { OPTION_NAMES } from '../src/config/parse-options.js';

// The option, code and reason tables live in the options and errors guide.
const reference = readFileSync(new URL('../docs/reference.md', import.meta.url), 'utf8');

/** First-column names of the markdown table whose header starts with `| <first> |`. */
function tableNames(first: string): string[] {
  const start = reference.indexOf(`| ${first} |`);
  assert.ok(start >= 0, `docs/reference.md has a table headed "${first}"`);
  const rows = reference.slice(start).split('\n').slice(2);
  const names: string[] = [];
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const match = /^\| `([^`]+)` \|/.exec(row);
    if (match) names.push(match[1]!);
  }
  return names;
}

describe('the options and errors reference (docs/reference.md) stays true to the code', () => {
  it('the option table lists every option, and only those', () => {
    assert.deepEqual(tableNames('option').sort(), [...OPTION_NAMES].sort());
  });
  it('the error-code table lists every code', () => {
    assert.deepEqual(tableNames('code').sort(), [...ERROR_CODES].sort());
  });
  it('the reason table lists every reason', () => {
    assert.deepEqual(tableNames('reason').sort(), [...ERROR_REASONS].sort());
  });
  it('the reason table gives each reason the codes src/errors/refusals.ts builds it with', () => {
    const start = reference.indexOf('| reason | code |');
    assert.ok(start >= 0, 'docs/reference.md has a reason table with a code column');
    const documented: Record<string, string[]> = {};
    for (const row of reference.slice(start).split('\n').slice(2)) {
      if (!row.startsWith('|')) break;
      const [, reason, codes] = row.split('|').map((cell) => cell.trim());
      documented[reason!.replaceAll('`', '')] = [...codes!.matchAll(/`([a-z_]+)`/g)].map((match) => match[1]!);
    }
    assert.deepEqual(documented, Object.fromEntries(Object.entries(CODES_BY_REASON).map(([reason, codes]) => [reason, [...codes]])));
  });
});
