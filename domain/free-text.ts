// Free text that people type (a complaint, a cancellation's reason, an operator's note or
// explanation): any language and line breaks, but no control characters. A NUL cannot be stored in
// Postgres text at all, so one reaching an activity would fail its write on every retry; the other
// control characters (escape sequences, backspaces) only garble logs, pages and terminals. One rule,
// checked at every entrance: the API's JSON schemas use the pattern, the client functions (CLI, /ops)
// call freeTextProblem.

/** Control characters except tab, line feed and carriage return, and DEL (as a JSON-schema / RegExp source). */
const CONTROL_CHARS_SOURCE = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F';

/** A JSON-schema `pattern` for free text: no control character but tab, LF and CR. */
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
