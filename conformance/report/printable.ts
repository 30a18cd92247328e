/**
 * Text from outside (trace files, kernels, crashed workers' stderr, case
 * tables) on its way to a terminal. None of it is trusted: an ESC sequence in
 * a case name could clear the screen or retitle the window, a CR overwrite
 * the verdict line, a BEL ring, a C1 control (U+009B is a one-character CSI on
 * some terminals) start a sequence, U+2028/2029 break a line where a reader
 * expects none, and a lone surrogate is no character at all.
 */

/** What must never reach a terminal raw: C0 controls (newlines and ESC included), DEL, C1 controls, U+2028/2029. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g;

/** Of those, the ones JSON.stringify leaves raw inside strings (it escapes C0 and lone surrogates itself). */
const RAW_IN_JSON = /[\u007F-\u009F\u2028\u2029]/g;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0');

/**
 * Text that stays on one line and cannot drive a terminal: control characters
 * become a visible `\xNN` (or `\uNNNN`), lone surrogates U+FFFD.
 */
export function printable(s: string): string {
  return s
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(CONTROL, (c) => (c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/**
 * JSON text from JSON.stringify with the controls it leaves raw written as
 * `\uNNNN` escapes: the same JSON value, and nothing a terminal acts on. (Those
 * characters are never JSON whitespace, so they only ever occur inside strings.)
 */
export function terminalSafeJson(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}
