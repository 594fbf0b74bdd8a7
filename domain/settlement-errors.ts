// Stable codes of refused settlement actions (ApplicationFailure types of the settlement workflow,
// refusals of its activities), beside the payment rejection codes of domain/payment-types.ts. The
// API, the CLI and the tests program against these: never rename one.
// Each entry has the shape of domain/error-table.ts; client/errors.ts binds the table to its error class.
import { isCodeIn } from './error-table';

export const SETTLEMENT_ERROR_CODES = {
  SETTLEMENT_NOT_FOUND: { status: 404, message: 'no settlement of this bank for this business date: start it first' },
  UNKNOWN_BANK: { status: 422, message: 'the bank code is not registered at the SPC' },
  INVALID_REQUEST: { status: 422, message: 'the settlement request is malformed' },
  NOT_AWAITING_DECISION: { status: 409, message: 'no discrepancy of this settlement waits for a decision' },
  NOT_AWAITING_CONFIRMATION: { status: 409, message: 'the settlement\'s payment list has not gone out (or its workflow ended): nothing to confirm' },
  UNKNOWN_PAYMENT: { status: 422, message: 'an excluded bank reference names no payment of this bank-day' },
  PAYMENT_NOT_ACCEPTED: { status: 409, message: 'an excluded payment is not accepted (cancelled or already excluded)' },
  PAYMENT_CORRECTED: { status: 409, message: 'an excluded payment was corrected: its correction already moved its money, so excluding it would count it twice; correct it instead' },
  UNKNOWN_LINE: { status: 422, message: 'the settlement has no line with this number' },
  LINE_ALREADY_CONFIRMED: { status: 409, message: 'the line was already confirmed with another transfer reference' },
  ALREADY_SETTLED: { status: 409, message: 'the settlement is settled with other transfer references: it cannot be confirmed again' },
} as const;

export type SettlementErrorCode = keyof typeof SETTLEMENT_ERROR_CODES;

export function isSettlementErrorCode(value: unknown): value is SettlementErrorCode {
  return isCodeIn(SETTLEMENT_ERROR_CODES, value);
}
