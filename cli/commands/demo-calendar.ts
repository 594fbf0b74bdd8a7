// `spc demo`'s calendar: which business day to simulate, from the banks' cut-offs, the calendar
// overrides and the bank-days already closed.
import { addDays, almatyToUtc, isBusinessDay, toAlmaty, type CalendarOverrides } from '../../domain/calendar';
import { PAID_AT_PAST_DAYS_MAX } from '../../domain/payment-validation';
import { CliError } from '../runtime';
import type { Bank } from './demo-plan';

/** Today is simulated only while every bank's cut-off is at least this far away. */
const DEMO_CUTOFF_MARGIN_MS = 30 * 60_000;
/**
 * How far back the demo looks for a business day whose bank-days are all still open; no further
 * than the SPC takes payments dated before their receipt (PAID_AT_PAST_DAYS_MAX).
 */
const DEMO_DATE_SEARCH_DAYS = PAID_AT_PAST_DAYS_MAX;

/**
 * The day to simulate: today while every bank's cut-off is comfortably ahead, else the latest
 * earlier business day none of whose bank-days is closed yet (a closed day would push the
 * payments to the next open one, which may lie in the future and could not be settled now).
 */
export function chooseDemoDate(now: Date, banks: Bank[], cal: CalendarOverrides, closedDates: ReadonlySet<string>): string {
  const today = toAlmaty(now).date;
  const firstCutoff = Math.min(...banks.map((b) => almatyToUtc(today, b.cutoff_local).getTime()));
  let date = today;
  for (let i = 0; i < DEMO_DATE_SEARCH_DAYS; i++, date = addDays(date, -1)) {
    if (!isBusinessDay(date, cal) || closedDates.has(date)) continue;
    if (date < today || now.getTime() < firstCutoff - DEMO_CUTOFF_MARGIN_MS) return date;
  }
  throw new CliError(`no business day in the last ${DEMO_DATE_SEARCH_DAYS} days has open bank-days left to simulate: give one with --date`);
}
