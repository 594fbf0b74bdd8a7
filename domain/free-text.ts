// Free text that people type (a complaint, a cancellation's reason, an operator's note or
// explanation): any language and line breaks, but no control characters. A NUL cannot be stored in
// Postgres text at all, so one reaching an activity would fail its write on every retry; the other
// control characters (escape sequences, backspaces) only garble logs, pages and terminals. One rule,
// checked at every entrance: the API's JSON schemas use the pattern, the client functions (CLI, /ops)
// call freeTextProblem.

/**
 * Refused characters (as a JSON-schema / RegExp source): C0 controls except tab, line feed and
 * carriage return; DEL; the C1 controls U+0080-U+009F (U+009B is a one-byte CSI that a terminal
 * takes as an escape sequence); and the bidi embeddings, overrides and isolates U+202A-U+202E and
 * U+2066-U+2069, which make a text read differently from what it holds ("Trojan Source").
 */
const CONTROL_CHARS_SOURCE = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069';

/** A JSON-schema `pattern` for free text: no control character but tab, LF and CR, no bidi control. */
export const FREE_TEXT_PATTERN = `^[^${CONTROL_CHARS_SOURCE}]*$`;

const CONTROL_CHAR_RE = new RegExp(`[${CONTROL_CHARS_SOURCE}]`);

/**
 * Why `text` is not acceptable free text (after trimming), or undefined when it is. `what` names the
 * field in the message ("text", "reason").
 */
export function freeTextProblem(text: unknown, what: string, maxChars: number, required = true): string | undefined {
  if (text === undefined || text === null) return required ? `${what} is required (1-${maxChars} characters)` : undefined;
  if (typeof text !== 'string') return `${what} must be a string`;
  const trimmed = text.trim();
  if (required && trimmed.length === 0) return `${what} is required (1-${maxChars} characters)`;
  if (trimmed.length > maxChars) return `${what} is ${trimmed.length} characters; at most ${maxChars}`;
  if (CONTROL_CHAR_RE.test(trimmed)) return `${what} holds a control character (code ${trimmed.match(CONTROL_CHAR_RE)?.[0].charCodeAt(0)}): send plain text`;
  return undefined;
}

const CONTROL_CHAR_GLOBAL_RE = new RegExp(`[${CONTROL_CHARS_SOURCE}]`, 'g');

/**
 * `text` safe to print on a terminal or a page: each refused character shown as `\\u{XXXX}`. Text
 * stored before the rule (or by a path that skipped it) must still never reach a terminal raw.
 */
export function printableText(text: string): string {
  return text.replace(CONTROL_CHAR_GLOBAL_RE, (ch) => `\\u{${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}}`);
}

/** A cancellation's reason is kept to this many characters (the payment workflow's state and history). */
export const CANCEL_REASON_CHARS_MAX = 200;

/** The reason as kept: text, cut to CANCEL_REASON_CHARS_MAX. */
export function cancelReasonOf(reason: unknown): string {
  return String(reason ?? '').slice(0, CANCEL_REASON_CHARS_MAX);
}
