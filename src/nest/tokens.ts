/** The injection token of the options `authorize()` is built from. */
export const SOCKJWT_OPTIONS = Symbol('SOCKJWT_OPTIONS');
