// Wire types of the payment lifecycle: what banks send, what the workflow answers. Everything here
// crosses a boundary (HTTP, Temporal payloads, Postgres), so amounts are decimal strings.
// This module is imported by workflow code: it must stay pure (no I/O, no Node built-ins).
import { settlementIdOf } from './identifiers';

export const CHANNELS = ['cash_desk', 'online', 'kiosk', 'register'] as const;
export type Channel = (typeof CHANNELS)[number];
/** The channel as a metrics label: a known channel, else 'other', so that a refused request's text
 * never becomes a label value (a label's values must stay a small, fixed set). */
export function channelLabelOf(value: unknown): Channel | 'other' {
  return (CHANNELS as readonly unknown[]).includes(value) ? (value as Channel) : 'other';
}

export interface PaymentLineRequest {
  service: string;
  amount: string;
}

export interface MeterReadingRequest {
  service: string;
  value: string;
}

export interface PaymentRequest {
  bankCode: string;
  bankRef: string;
  channel: Channel;
  account: string;
  amount: string;
  lines?: PaymentLineRequest[];
  readings?: MeterReadingRequest[];
  /** ISO-8601 instant the bank accepted the money; defaults to the moment the SPC received it. */
  paidAt?: string;
  /** Set when the payment came in a day's register. */
  registerId?: string;
  pileNo?: string;
}

export interface Allocation {
  service: string;
  provider: string;
  amount: string;
}

export interface PaymentAccepted {
  paymentId: string;
  bankCode: string;
  bankRef: string;
  status: 'accepted';
  businessDate: string;
  amount: string;
  allocations: Allocation[];
  /** Instant (ISO) after which the bank-day closes: no cancellation from then on. */
  closesAt: string;
}

export interface PaymentRejected {
  status: 'rejected';
  code: RejectionCode;
  message: string;
}

export type PostingOutcome = PaymentAccepted | PaymentRejected;

export interface CancelResult {
  paymentId: string;
  status: 'cancelled';
  cancelledAt: string;
  reversedAmount: string;
}

export type PaymentStatus = 'received' | 'accepted' | 'rejected' | 'cancelled' | 'closed';

export interface PaymentState {
  paymentId: string;
  status: PaymentStatus;
  requestHash: string;
  accepted?: PaymentAccepted;
  rejection?: { code: RejectionCode; message: string };
  cancellation?: CancelResult;
}

/** Stable, machine-readable rejection codes. Banks program against these: never rename one. */
export const REJECTION_CODES = {
  UNKNOWN_BANK: 'the bank code is not registered at the SPC',
  INVALID_REQUEST: 'the request is malformed',
  ACCOUNT_NOT_FOUND: 'the personal account is not in the SPC database',
  NO_INVOICE: 'the personal account has no invoice to pay',
  INVALID_AMOUNT: 'an amount is zero, negative or finer than 1 tiyn',
  AMOUNT_MISMATCH: 'per-service amounts do not sum to the total',
  UNKNOWN_SERVICE: 'a service is not on this account\'s invoice',
  NOTHING_DUE: 'nothing is due on the invoice, so the total cannot be split: give per-service amounts',
  INVALID_READING: 'a meter reading is malformed or for a service without a meter',
  READING_BELOW_PREVIOUS: 'a meter reading is below the previous one',
  READING_IMPLAUSIBLE: 'a meter reading is more above the previous one than one period can use (domain/meter-reading.ts): a typo',
  REFERENCE_CONFLICT: 'the bank reference was already used with different content',
  PAYMENT_NOT_FOUND: 'no payment with this bank reference',
  BANK_DAY_CLOSED: 'the payment\'s bank-day is closed: it can no longer be cancelled',
  PAYMENT_REJECTED: 'the payment was rejected, there is nothing to cancel',
  PAYMENT_CANCELLED: 'the payment with this reference was cancelled: a new payment needs a new reference',
  PAYMENT_EXCLUDED: 'the payment with this reference was excluded at reconciliation',
  PAYMENT_CORRECTED: 'the payment with this reference was corrected by the SPC (moved, re-split or refunded)',
  PAID_AT_TOO_OLD: 'paidAt is further in the past than the SPC accepts: check the clock of the device that took the money',
  BANK_REF_RESERVED: 'references ending in /K and digits are the SPC\'s own (replacement payments of corrections): choose another reference',
} as const;
export type RejectionCode = keyof typeof REJECTION_CODES;

export function isRejectionCode(value: unknown): value is RejectionCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(REJECTION_CODES, value);
}

/** Limits on a single payment request (TigerBeetle: a limit on everything). */
export const PAYMENT_LINES_MAX = 32;
export const PAYMENT_READINGS_MAX = 32;
export const BANK_REF_RE = /^[A-Za-z0-9._\-/]{1,64}$/;
/**
 * The form of the replacement payments corrections post ('<bankRef>/K<seq>', activities/correction.ts
 * replacementRef). A bank's own reference of this form could collide with one, and a register row
 * with it would then be linked to the replacement instead of posted: banks may never send one.
 */
export const REPLACEMENT_REF_RE = /\/K\d+$/;

export function isReservedBankRef(bankRef: string): boolean {
  return REPLACEMENT_REF_RE.test(bankRef);
}
export const ACCOUNT_RE = /^\d{6,16}$/;
export const SERVICE_CODE_RE = /^[A-Z][A-Z0-9_]{0,31}$/;

export function paymentWorkflowId(bankCode: string, bankRef: string): string {
  return `payment:${bankCode}:${bankRef}`;
}

export function cancellationWorkflowId(bankCode: string, bankRef: string): string {
  return `cancellation:${bankCode}:${bankRef}`;
}

export function settlementWorkflowId(bankCode: string, businessDate: string): string {
  return `settlement:${settlementIdOf(bankCode, businessDate)}`;
}
