// Text from clients goes into log lines quoted, with every character that could end the line,
// move the cursor, recolour the terminal or reorder the text written as an escape.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"\\]/g;

/** `"bob\nFAKE"` → `"bob\u000aFAKE"`; at most `max` characters of `value` are kept. */
export function quoted(value: string, max = 64): string {
  const kept = value.length > max ? `${value.slice(0, max)}…` : value;
  return `"${kept.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}
