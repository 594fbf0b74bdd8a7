// Billing periods (issue 18): a period is a month, named YYYY-MM on every boundary and stored as
// its first day. The close of a period issues the next period's invoices, due the 25th of the month
// after that next period, moved to the next business day by the SPC calendar.
import { addBusinessDays, type CalendarOverrides } from './calendar';
import { isCodeIn } from './error-table';

/**
 * The six figures of a period's balances (decimal strings), summed over what they cover:
 * closing = opening + charged + recalculated - paid + corrected.
 */
export interface PeriodAmounts {
  opening: string;
  charged: string;
  recalculated: string;
  paid: string;
  corrected: string;
  closing: string;
}

export const PERIOD_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;
/** Invoices are due by this day of the month after their billing month. */
export const INVOICE_DUE_DAY = 25;

export function isPeriod(input: unknown): input is string {
  return typeof input === 'string' && PERIOD_RE.test(input);
}

/** The workflow id of a period's close: one close per period, whoever starts it. */
export function periodWorkflowId(period: string): string {
  return `period:${period}`;
}

/** The month after `period` (YYYY-MM). */
export function nextPeriod(period: string): string {
  const match = PERIOD_RE.exec(period);
  if (!match) throw new Error(`invariant: not a period: ${period}`);
  const year = Number(match[1]);
  const month = Number(match[2]);
  return month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
}

/** The month before `period` (YYYY-MM). */
export function previousPeriod(period: string): string {
  const match = PERIOD_RE.exec(period);
  if (!match) throw new Error(`invariant: not a period: ${period}`);
  const year = Number(match[1]);
  const month = Number(match[2]);
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

/** The first day of the period, as Postgres stores it (YYYY-MM-01). */
export function periodDate(period: string): string {
  return `${period}-01`;
}

/** The last day of the period (YYYY-MM-DD). */
export function periodLastDay(period: string): string {
  const [year, month] = [Number(period.slice(0, 4)), Number(period.slice(5, 7))];
  const day = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${period}-${String(day).padStart(2, '0')}`;
}

/** Due date of an invoice of `period`: the 25th of the following month, or the next business day. */
export function invoiceDueDate(period: string, calendar: CalendarOverrides): string {
  return addBusinessDays(`${nextPeriod(period)}-${INVOICE_DUE_DAY}`, 0, calendar);
}

/** The period a schedule firing at this local date closes: the month before. */
export function periodToCloseOn(localDate: string): string {
  return previousPeriod(localDate.slice(0, 7));
}

/** Why a period close is refused (the workflow's typed failures, the CLI's messages). */
export const PERIOD_ERROR_CODES = {
  INVALID_PERIOD: { status: 400, message: 'the period is not a month given as YYYY-MM' },
  PERIOD_OUT_OF_ORDER: { status: 409, message: 'an earlier period is not closed yet: periods close in order' },
  INVALID_REQUEST: { status: 422, message: 'a decision on a close is { operator, approve: true | false, note? }' },
  SELF_APPROVAL: { status: 403, message: 'four eyes: the operator who proposed a close cannot approve it' },
  RESERVED_OPERATOR: { status: 403, message: 'four eyes: "spc" is the SPC itself and decides nothing' },
  COMPLAINANT_APPROVAL: { status: 403, message: 'four eyes: a complaint\'s raiser cannot approve the SPC\'s action for it' },
  ROLE_MAY_NOT_APPROVE: { status: 403, message: 'four eyes: only a supervisor or an admin approves a close' },
  NOT_AWAITING_APPROVAL: { status: 409, message: 'no close of this period waits for a decision' },
  PERIOD_CLOSE_REJECTED: { status: 409, message: 'the proposed close was rejected by a second operator: propose it again when it is right' },
} as const;
export type PeriodErrorCode = keyof typeof PERIOD_ERROR_CODES;

export function isCodeInPeriod(value: unknown): value is PeriodErrorCode {
  return isCodeIn(PERIOD_ERROR_CODES, value);
}
