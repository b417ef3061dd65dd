// Shared by the benchmark scripts: statistics, the machine's load, and bench/RESULTS.md,
// where each benchmark owns one section between markers and rewrites only that section.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const RESULTS = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Nearest-rank percentile of an ascending array. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

export const load = (): string => loadavg().map((x) => x.toFixed(2)).join(', ');

export const fmt = (x: number, digits = 0): string =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const verdict = (met: boolean): string => (met ? '**met**' : '**not met**');

/** What every section starts with: how to reproduce it, and on what. */
export function provenance(command: string, loadBefore: string): string {
  return [
    `Command: \`${command}\`. Node ${process.version} (${process.platform}/${process.arch}), ${new Date().toISOString()}.`,
    `Load average (1, 5, 15 min) at start: ${loadBefore}; at end: ${load()}.`,
  ].join('\n');
}

/**
 * Replaces the section `<!-- bench:id -->`…`<!-- /bench:id -->` of bench/RESULTS.md with
 * `body`, or appends it. Hand-written text outside the markers is left alone.
 */
export function writeSection(id: string, body: string): void {
  const start = `<!-- bench:${id} -->`;
  const end = `<!-- /bench:${id} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const current = readFileSync(RESULTS, 'utf8');
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from
    ? current.slice(0, from) + block + current.slice(to + end.length)
    : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS, next);
  console.log(`bench/RESULTS.md: section "${id}" written`);
}
