// Calendar dates and instants as they cross a boundary (HTTP, CLI, register files, request hashes).
// The one home of the rule: every entrance and the validation call these, nothing re-implements
// them. Date.parse alone is too lenient (it turns 2026-02-31 into 3 March and reads a time without
// a zone in the host's zone), so the calendar date and the clock time are checked field by field.
// Pure: imported by workflow code.

/** An instant with an explicit zone: a payment travels between systems, local times are ambiguous. */
const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Years an instant or a date on the boundary may name. Nothing the SPC handles predates the Unix
 * epoch; a year such as 0001 is a reset clock, and some date libraries (Intl among them) do not
 * round-trip such years, so they are refused at the door instead of failing deep in a posting.
 */
export const BOUNDARY_YEAR_MIN = 1970;
export const BOUNDARY_YEAR_MAX = 9999;

/** Example shown in messages: what a correct instant looks like. */
export const INSTANT_EXAMPLE = '2026-11-27T10:15:00+05:00';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isRealYmd(year: number, month: number, day: number): boolean {
  if (year < BOUNDARY_YEAR_MIN || year > BOUNDARY_YEAR_MAX) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

/** True when `date` is YYYY-MM-DD naming a day that exists (2026-02-31 and 2026-13-45 do not). */
export function isRealDate(date: unknown): boolean {
  if (typeof date !== 'string') return false;
  const m = DATE_RE.exec(date);
  return m !== null && isRealYmd(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** The instant, or null when the text is not an ISO-8601 instant with a zone naming a real moment. */
export function parseIsoInstant(text: unknown): Date | null {
  if (typeof text !== 'string') return null;
  const m = INSTANT_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, , zh, zm] = m;
  if (!isRealYmd(Number(y), Number(mo), Number(d))) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return null;
  if (zh !== undefined && (Number(zh) > 14 || Number(zm) > 59)) return null;
  // Date.parse wants the zone as ±HH:MM; the regex also admits ±HHMM.
  const normalized = zh !== undefined ? text.replace(/([+-]\d{2}):?(\d{2})$/, '$1:$2') : text;
  const t = Date.parse(normalized);
  return Number.isNaN(t) ? null : new Date(t);
}

/** The canonical text of an instant (UTC, milliseconds), or null when `text` is not one: for hashes. */
export function canonicalInstant(text: unknown): string | null {
  const instant = parseIsoInstant(text);
  return instant === null ? null : instant.toISOString();
}
