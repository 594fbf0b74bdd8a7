// ISO-8601 instants on the API boundary. Date.parse alone is too lenient (it turns 2026-02-31
// into 3 March), so the calendar date and the clock time are checked field by field.

/** An instant with an explicit zone: a payment travels between systems, local times are ambiguous. */
const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):?(\d{2}))$/;

export function isRealDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const t = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === date;
}

/** The instant, or null when the text is not an ISO-8601 instant with a zone naming a real moment. */
export function parseIsoInstant(text: string): Date | null {
  const m = INSTANT_RE.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, , zh, zm] = m;
  if (!isRealDate(`${y}-${mo}-${d}`)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return null;
  if (zh !== undefined && (Number(zh) > 14 || Number(zm) > 59)) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : new Date(t);
}
