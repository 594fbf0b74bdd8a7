// How a client's input is repeated in an error message. A message says which value was wrong, not
// a second copy of it: a 1 MiB register field must not come back as a 14 MB answer. Pure.

/** Longest piece of a client's input repeated in an error message. */
export const ECHOED_VALUE_CHARS_MAX = 80;

/** The value as JSON for a message, cut to ECHOED_VALUE_CHARS_MAX characters with its length said. */
export function truncateForMessage(value: unknown): string {
  // Like JSON.stringify (a string in quotes, 42 as 42, undefined as undefined), only shorter.
  if (typeof value !== 'string') {
    const json = JSON.stringify(value) ?? String(value);
    return json.length <= ECHOED_VALUE_CHARS_MAX ? json : `${json.slice(0, ECHOED_VALUE_CHARS_MAX)}… (${json.length} characters)`;
  }
  if (value.length <= ECHOED_VALUE_CHARS_MAX) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, ECHOED_VALUE_CHARS_MAX))}… (${value.length} characters)`;
}
