// How a client's input is repeated in an error message. A message says which value was wrong, not
// a second copy of it: a 1 MiB register field must not come back as a 14 MB answer. Pure.

/** Longest piece of a client's input repeated in an error message. */
export const ECHOED_VALUE_CHARS_MAX = 80;

/** The value as JSON for a message, cut to ECHOED_VALUE_CHARS_MAX characters with its length said. */
export function truncateForMessage(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  if (text.length <= ECHOED_VALUE_CHARS_MAX) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, ECHOED_VALUE_CHARS_MAX))}… (${text.length} characters)`;
}
