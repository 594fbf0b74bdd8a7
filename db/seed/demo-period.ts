// Billing periods of the demo data: months as YYYY-MM-01 in Asia/Almaty, and their due dates.
import { toAlmaty } from '../../domain/calendar';

/** Invoices are due by this day of the month after the billing month. */
export const DUE_DAY_OF_MONTH = 25;

/** The billing month containing `now` in Asia/Almaty, as YYYY-MM-01. */
export function currentPeriod(now: Date = new Date()): string {
  return `${toAlmaty(now).date.slice(0, 7)}-01`;
}

/** Accepts YYYY-MM or YYYY-MM-01 and returns YYYY-MM-01. */
export function parsePeriod(input: string): string {
  const match = /^(\d{4})-(0[1-9]|1[0-2])(-01)?$/.exec(input);
  if (!match) throw new Error(`period "${input}" is not a month: give it as YYYY-MM, e.g. 2026-11`);
  return `${match[1]}-${match[2]}-01`;
}

/** The due date of an invoice for `period`: the 25th of the following month. */
export function dueDateFor(period: string): string {
  const year = Number(period.slice(0, 4));
  const month = Number(period.slice(5, 7));
  const nextYear = month === 12 ? year + 1 : year;
  const nextMonth = month === 12 ? 1 : month + 1;
  return `${nextYear}-${String(nextMonth).padStart(2, '0')}-${DUE_DAY_OF_MONTH}`;
}
