/**
 * The bounded fuzzing run of `npm test` (a few seconds); `npm run fuzz` runs the same
 * properties for longer. The invariants are listed in test/fuzz/properties.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fuzz } from './fuzz/properties.js';

export const BOUNDED_RUNS = { tokens: 3000, handshakes: 400, messages: 400 };

describe('fuzzing (fast-check, bounded)', () => {
  it(`tokens, handshakes and authenticate payloads of any kind: nothing escapes, nothing wrong is admitted, every refusal is documented, nothing is left behind`, async () => {
    const seed = process.env['FUZZ_SEED'] === undefined ? undefined : Number(process.env['FUZZ_SEED']);
    const report = await fuzz({ ...BOUNDED_RUNS, ...(seed === undefined ? {} : { seed }) });
    // Both outcomes must occur, or the generators have gone blind.
    assert.ok(report.admitted > 0, 'some generated tokens were admitted');
    assert.ok(report.refused > 0, 'some generated tokens were refused');
    console.log(`fuzz: seed ${report.runs.seed}, ${report.admitted} admitted, ${report.refused} refused, reasons ${JSON.stringify(report.reasons)}`);
  });
});
