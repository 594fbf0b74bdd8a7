// Business dates in Asia/Almaty. A payment belongs to the business day on which the bank accepted
// it, unless it came after the bank's cut-off, on a non-business day, or after that bank-day was
// closed: then it belongs to the next open business day.

export const SPC_TIME_ZONE = 'Asia/Almaty';

const localFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: SPC_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

export interface LocalDateTime {
  date: string; // YYYY-MM-DD
  time: string; // HH:MM:SS
}

export function toAlmaty(instant: Date): LocalDateTime {
  const parts = Object.fromEntries(localFormat.formatToParts(instant).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}:${parts.second}` };
}

/** Offset of Asia/Almaty from UTC at a given instant, in minutes (300 since March 2024). */
function almatyOffsetMinutes(instant: Date): number {
  const local = toAlmaty(instant);
  const asUtc = Date.parse(`${local.date}T${local.time}Z`);
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60000);
}

/** The UTC instant of a local Almaty wall-clock time. */
export function almatyToUtc(date: string, timeHHMM: string): Date {
  const guess = new Date(`${date}T${timeHHMM.length === 5 ? `${timeHHMM}:00` : timeHHMM}Z`);
  return new Date(guess.getTime() - almatyOffsetMinutes(guess) * 60000);
}

export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86400000;
  return new Date(t).toISOString().slice(0, 10);
}

export function isWeekend(date: string): boolean {
  const dow = new Date(`${date}T00:00:00Z`).getUTCDay();
  return dow === 0 || dow === 6;
}

/** Calendar overrides: a holiday closes a weekday; a transferred working day opens a weekend day. */
export interface CalendarOverrides {
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
}

export const NO_OVERRIDES: CalendarOverrides = { holidays: new Set(), workdays: new Set() };

export function isBusinessDay(date: string, cal: CalendarOverrides): boolean {
  if (cal.workdays.has(date)) return true;
  if (cal.holidays.has(date)) return false;
  return !isWeekend(date);
}

/** Limit on how far we look for the next business day: a year of holidays is a configuration bug. */
const BUSINESS_DAY_SEARCH_MAX = 60;

export function nextBusinessDay(date: string, cal: CalendarOverrides): string {
  let d = date;
  for (let i = 0; i < BUSINESS_DAY_SEARCH_MAX; i++) {
    d = addDays(d, 1);
    if (isBusinessDay(d, cal)) return d;
  }
  throw new Error(`no business day within ${BUSINESS_DAY_SEARCH_MAX} days after ${date}: check the calendar`);
}

/** Adds n business days (n >= 0); n = 0 returns the date itself when it is a business day, else the next. */
export function addBusinessDays(date: string, n: number, cal: CalendarOverrides): string {
  let d = isBusinessDay(date, cal) ? date : nextBusinessDay(date, cal);
  for (let i = 0; i < n; i++) d = nextBusinessDay(d, cal);
  return d;
}

/**
 * The business date of a payment accepted at `paidAt` by a bank whose cut-off is `cutoffLocal`
 * (HH:MM, Almaty). At or after the cut-off the payment belongs to the next business day.
 * `isClosed` says whether that bank-day has already been closed by its settlement.
 */
export function businessDateFor(paidAt: Date, cutoffLocal: string, cal: CalendarOverrides, isClosed: (date: string) => boolean = () => false): string {
  const local = toAlmaty(paidAt);
  let date = local.date;
  const cutoff = cutoffLocal.length === 5 ? `${cutoffLocal}:00` : cutoffLocal;
  if (!isBusinessDay(date, cal) || local.time >= cutoff) date = nextBusinessDay(date, cal);
  for (let i = 0; i < BUSINESS_DAY_SEARCH_MAX && isClosed(date); i++) date = nextBusinessDay(date, cal);
  return date;
}

/** Kazakh public holidays (fixed dates; movable ones such as Kurban Ait are added per year by operators). */
export function kazakhFixedHolidays(year: number): Array<{ date: string; name: string }> {
  const y = String(year);
  return [
    { date: `${y}-01-01`, name: 'Новый год' },
    { date: `${y}-01-02`, name: 'Новый год' },
    { date: `${y}-01-07`, name: 'Рождество Христово' },
    { date: `${y}-03-08`, name: 'Международный женский день' },
    { date: `${y}-03-21`, name: 'Наурыз мейрамы' },
    { date: `${y}-03-22`, name: 'Наурыз мейрамы' },
    { date: `${y}-03-23`, name: 'Наурыз мейрамы' },
    { date: `${y}-05-01`, name: 'Праздник единства народа Казахстана' },
    { date: `${y}-05-07`, name: 'День защитника Отечества' },
    { date: `${y}-05-09`, name: 'День Победы' },
    { date: `${y}-07-06`, name: 'День столицы' },
    { date: `${y}-08-30`, name: 'День Конституции' },
    { date: `${y}-10-25`, name: 'День Республики' },
    { date: `${y}-12-16`, name: 'День Независимости' },
  ];
}
