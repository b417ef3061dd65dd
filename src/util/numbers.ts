/**
 * The one check for numeric options, shared by the server (`sockjwt: …`) and `sockjwt/client`
 * (`sockjwt/client: …`), so both refuse NaN, Infinity, strings and negatives alike, at setup
 * rather than as a timer that fires at once or never.
 */
export type NumberKind = 'positive' | 'nonNegative' | 'positiveInteger' | 'nonNegativeInteger';

const EXPECTED: Readonly<Record<NumberKind, string>> = {
  positive: 'a finite number greater than 0',
  nonNegative: 'a finite, non-negative number',
  positiveInteger: 'a positive integer',
  nonNegativeInteger: 'a non-negative integer',
};

/**
 * `value` if it is a number of that kind, `undefined` if it is `undefined` (the caller's default
 * applies); otherwise a RangeError naming the option.
 * @example numberOption(options.timeout, 'timeout', 'positive') ?? 5000
 */
export function numberOption(value: unknown, option: string, kind: NumberKind, owner = 'sockjwt'): number | undefined {
  if (value === undefined) return undefined;
  if (!isKind(value, kind)) throw new RangeError(`${owner}: "${option}" must be ${EXPECTED[kind]}`);
  return value;
}

function isKind(value: unknown, kind: NumberKind): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return false;
  if ((kind === 'positiveInteger' || kind === 'nonNegativeInteger') && !Number.isSafeInteger(value)) return false;
  return kind.startsWith('positive') ? value > 0 : true;
}
