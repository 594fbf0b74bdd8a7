// Billing periods as the provider intake sees them (issue 18 items 2–3): a period is a month,
// written YYYY-MM on every boundary and stored as its first day (billing_periods.period).
//
// The readings window: households and banks send readings all month, and the window (by default
// the 20th–25th, billing_periods.readings_from/to when a period sets its own) is when the SPC
// collects them for the providers. A reading belongs to the first period whose window has not yet
// ended on the reading's local date in Almaty: everything after the previous period's window end up
// to this period's window end. So a reading that arrives after the 25th counts for the next period,
// and an early one (the 10th) for the period it was sent in.
import { addDays, almatyToUtc } from './calendar';

export const PERIOD_RE = /^([0-9]{4})-(0[1-9]|1[0-2])$/;
/** The window days are the same every month, so they must exist in every month. */
export const READINGS_WINDOW_DAY_MAX = 28;
export const READINGS_FROM_DAY_DEFAULT = 20;
export const READINGS_TO_DAY_DEFAULT = 25;

export interface ReadingsWindowDays {
  fromDay: number;
  toDay: number;
}

export const READINGS_WINDOW_DAYS_DEFAULT: ReadingsWindowDays = { fromDay: READINGS_FROM_DAY_DEFAULT, toDay: READINGS_TO_DAY_DEFAULT };

/** Local dates (YYYY-MM-DD) of a period's readings window. */
export interface ReadingsWindow {
  from: string;
  to: string;
}

/** "2026-12" → "2026-12-01" (the stored key). */
export function periodStart(period: string): string {
  if (!PERIOD_RE.test(period)) throw new Error(`invariant: period ${period} is not YYYY-MM`);
  return `${period}-01`;
}

/** The period `months` after (or before, negative) `period`. */
export function addMonths(period: string, months: number): string {
  const m = PERIOD_RE.exec(period);
  if (!m) throw new Error(`invariant: period ${period} is not YYYY-MM`);
  const index = Number(m[1]) * 12 + Number(m[2]) - 1 + months;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** Refuses window days that some month does not have, or a window that ends before it starts. */
export function assertWindowDays(days: ReadingsWindowDays): void {
  const ok = (d: number) => Number.isInteger(d) && d >= 1 && d <= READINGS_WINDOW_DAY_MAX;
  if (!ok(days.fromDay) || !ok(days.toDay) || days.fromDay > days.toDay) {
    throw new Error(`readings window days ${days.fromDay}–${days.toDay} must be 1–${READINGS_WINDOW_DAY_MAX} with the first not after the last`);
  }
}

/** The window of `period`: its own dates where the period row sets them, else the configured days of its month. */
export function readingsWindowOf(period: string, own: { from: string | null; to: string | null } | null, days: ReadingsWindowDays): ReadingsWindow {
  const day = (d: number) => `${period}-${String(d).padStart(2, '0')}`;
  return { from: own?.from ?? day(days.fromDay), to: own?.to ?? day(days.toDay) };
}

/** Whether a local date (YYYY-MM-DD, Almaty) is one of the window's days: the cabinet takes readings then. */
export function isInReadingsWindow(window: ReadingsWindow, localDate: string): boolean {
  return localDate >= window.from && localDate <= window.to;
}

/** The instants [fromUtc, untilUtc) whose readings belong to a period: after the previous window's last day, through this window's last day (Almaty). */
export function readingsRangeOf(previous: ReadingsWindow, current: ReadingsWindow): { fromUtc: Date; untilUtc: Date } {
  return { fromUtc: windowEndUtc(previous), untilUtc: windowEndUtc(current) };
}

/** The instant a window is over: the start of the day after its last day, in Almaty. */
export function windowEndUtc(window: ReadingsWindow): Date {
  return almatyToUtc(addDays(window.to, 1), '00:00');
}
