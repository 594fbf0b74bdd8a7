// The rule of the reconciliation: what the bank declared in its registers against what the SPC
// holds as accepted. Pure: activities/settlement-close.ts reads the figures from Postgres and
// stores what this returns.
//
// The day's own registers are compared together with the day's accepted payments (less those of
// late registers of earlier days). A late register (stored after its own day had closed) is
// compared on its own, against the payments it produced or linked wherever they landed. A register
// still being processed is a discrepancy too: some of its rows are not posted yet.
import { addDays, isBusinessDay, type CalendarOverrides } from './calendar';
import { formatAmount, fromDb, ZERO } from './money';
import type { Discrepancy } from './settlement-types';

/** One register's figures: what it declared, and its accepted rows whose payment is still accepted. */
export interface RegisterTally {
  id: string;
  declaredCount: number;
  declaredTotal: string;
  status: string;
  /** The register's business date is the day being settled; false: a late register of an earlier day. */
  ownDay: boolean;
  liveCount: number;
  liveTotal: string;
  /** Later registers of the same bank and date that repeat one of its references (its newer versions). */
  newerIds: string[];
}

/**
 * A register re-sent with changes (a new file repeating one of its references, same bank and date)
 * replaces it in the declared figures: declaring both would count the day twice. Only a newer
 * version reconciled in the same settlement replaces it, so a day never loses its declaration to
 * a version that another settlement accounts for. Registers sharing no reference are parts of the
 * day (a day split over several files) and all count.
 */
export function counted(registers: RegisterTally[]): RegisterTally[] {
  const ids = new Set(registers.map((r) => r.id));
  return registers.filter((r) => !r.newerIds.some((id) => ids.has(id)));
}

function ownDayDiscrepancies(ownDay: RegisterTally[], accepted: { count: number; total: string }): Discrepancy[] {
  if (ownDay.length === 0) return [];
  const out: Discrepancy[] = [];
  const dayCount = ownDay.reduce((n, r) => n + r.declaredCount, 0);
  const dayTotal = ownDay.reduce((t, r) => t.plus(fromDb(r.declaredTotal)), ZERO);
  if (dayCount !== accepted.count) {
    out.push({ kind: 'payment_count', declared: String(dayCount), posted: String(accepted.count), difference: String(accepted.count - dayCount) });
  }
  const postedTotal = fromDb(accepted.total);
  if (!dayTotal.eq(postedTotal)) {
    out.push({ kind: 'payment_total', declared: formatAmount(dayTotal), posted: accepted.total, difference: formatAmount(postedTotal.minus(dayTotal)) });
  }
  return out;
}

function lateRegisterDiscrepancies(r: RegisterTally): Discrepancy[] {
  const out: Discrepancy[] = [];
  const declaredTotal = fromDb(r.declaredTotal);
  const liveTotal = fromDb(r.liveTotal);
  if (r.declaredCount !== r.liveCount) {
    out.push({ kind: 'register_count', registerId: r.id, declared: String(r.declaredCount), posted: String(r.liveCount), difference: String(r.liveCount - r.declaredCount) });
  }
  if (!declaredTotal.eq(liveTotal)) {
    out.push({ kind: 'register_total', registerId: r.id, declared: formatAmount(declaredTotal), posted: formatAmount(liveTotal), difference: formatAmount(liveTotal.minus(declaredTotal)) });
  }
  return out;
}

/** Longest run of non-business days looked back over (New Year and Nauryz together are under two weeks). */
const NON_BUSINESS_RUN_DAYS_MAX = 31;

/**
 * The business dates whose registers are the day's own: the day itself and the non-business days
 * right before it. No settlement runs on a weekend or holiday, and the payments of a register dated
 * on one land on the next business day, so that day's settlement reconciles it.
 */
export function ownRegisterDates(businessDate: string, cal: CalendarOverrides): string[] {
  const dates = [businessDate];
  for (let d = addDays(businessDate, -1); dates.length <= NON_BUSINESS_RUN_DAYS_MAX && !isBusinessDay(d, cal); d = addDays(d, -1)) dates.push(d);
  return dates;
}

/** The differences between the registers and the accepted payments, before any row is listed. */
export function registerDiscrepancies(registers: RegisterTally[], accepted: { count: number; total: string }): Discrepancy[] {
  const current = counted(registers);
  return [
    ...ownDayDiscrepancies(current.filter((r) => r.ownDay), accepted),
    ...current.filter((r) => !r.ownDay).flatMap(lateRegisterDiscrepancies),
    ...registers
      .filter((r) => r.status !== 'done')
      .map((r): Discrepancy => ({ kind: 'register_processing', registerId: r.id, message: `register ${r.id} is still being processed: some of its rows are not posted yet` })),
  ];
}

/** What the bank declared over the registers reconciled in the day, each replaced version left out. */
export function declaredOf(all: RegisterTally[]): { registerIds: string[]; declaredCount: number; declaredTotal: string } {
  const registers = counted(all);
  return {
    registerIds: registers.map((r) => r.id),
    declaredCount: registers.reduce((n, r) => n + r.declaredCount, 0),
    declaredTotal: formatAmount(registers.reduce((t, r) => t.plus(fromDb(r.declaredTotal)), ZERO)),
  };
}
