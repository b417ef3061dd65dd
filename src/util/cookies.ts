import { parse as parseCookies } from 'cookie';

/** The value of cookie `name` in a `Cookie` header; an empty value counts as none. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const value = parseCookies(header)[name];
  return value === '' ? undefined : value;
}
