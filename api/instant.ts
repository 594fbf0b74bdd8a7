// ISO-8601 instants on the API boundary. Date.parse alone is too lenient (it turns 2026-02-31
// into 3 March), so the calendar date and the clock time are checked field by field.

/** An instant with an explicit zone: a payment travels between systems, local times are ambiguous. */
const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isRealYmd(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

export function isRealDate(date: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  return m !== null && isRealYmd(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** The instant, or null when the text is not an ISO-8601 instant with a zone naming a real moment. */
export function parseIsoInstant(text: string): Date | null {
  const m = INSTANT_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, , zh, zm] = m;
  if (!isRealYmd(Number(y), Number(mo), Number(d))) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return null;
  if (zh !== undefined && (Number(zh) > 14 || Number(zm) > 59)) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : new Date(t);
}
