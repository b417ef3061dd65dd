/**
 * `npm run fuzz`: the properties of test/fuzz/properties.ts, run long. Sizes and seed from the
 * environment: FUZZ_TOKENS (default 200000), FUZZ_HANDSHAKES (10000), FUZZ_MESSAGES (10000),
 * FUZZ_SEED (random; printed, so a failure can be replayed). Exits 1 on the first broken invariant.
 */
import { fuzz } from './properties.js';

const number = (name: string, fallback: number): number => {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return parsed;
};

const runs = {
  tokens: number('FUZZ_TOKENS', 200_000),
  handshakes: number('FUZZ_HANDSHAKES', 10_000),
  messages: number('FUZZ_MESSAGES', 10_000),
  seed: number('FUZZ_SEED', Date.now() % 2 ** 31),
};
console.log(`fuzz: ${JSON.stringify(runs)} on Node ${process.version}`);
const started = Date.now();
try {
  const report = await fuzz(runs);
  console.log(`fuzz: passed in ${((Date.now() - started) / 1000).toFixed(1)} s: ${report.admitted} admitted, ${report.refused} refused`);
  console.log(`fuzz: refusals by reason ${JSON.stringify(report.reasons)}`);
} catch (error) {
  console.error(`fuzz: FAILED with seed ${runs.seed} (replay with FUZZ_SEED=${runs.seed})`);
  console.error(error);
  process.exitCode = 1;
}
