// May this payment still be cancelled? One rule, answered here and enforced by the cancellation
// activity under the payment's row lock (Postgres is authoritative); entrances only relay it.
// Pure: imported by activities, the client and the API alike.
import type { RejectionCode } from './payment-types';

export interface CancellationFacts {
  bankCode: string;
  bankRef: string;
  status: 'accepted' | 'cancelled' | 'excluded' | 'corrected';
  businessDate: string;
  /** The bank-day's cut-off instant (ISO). */
  closesAt: string;
  /** The settlement has closed the bank-day (it may do so after the cut-off, never before). */
  dayClosed: boolean;
}

export type Cancellability =
  | { kind: 'cancellable' }
  | { kind: 'already-cancelled' }
  | { kind: 'refused'; code: RejectionCode; message: string };

export function cancellability(f: CancellationFacts, now: Date): Cancellability {
  if (f.status === 'cancelled') return { kind: 'already-cancelled' };
  if (f.status === 'excluded') {
    return { kind: 'refused', code: 'BANK_DAY_CLOSED', message: `payment ${f.bankRef} was excluded at reconciliation and cannot be cancelled` };
  }
  if (f.status === 'corrected') {
    return { kind: 'refused', code: 'PAYMENT_CORRECTED', message: `payment ${f.bankRef} was corrected by the SPC and cannot be cancelled: see its correction (spc payment show)` };
  }
  if (f.dayClosed) {
    return { kind: 'refused', code: 'BANK_DAY_CLOSED', message: `the bank-day ${f.businessDate} of ${f.bankCode} is closed: payment ${f.bankRef} can no longer be cancelled` };
  }
  if (now.getTime() >= Date.parse(f.closesAt)) {
    return { kind: 'refused', code: 'BANK_DAY_CLOSED', message: `the cut-off of bank-day ${f.businessDate} has passed: payment ${f.bankRef} can no longer be cancelled` };
  }
  return { kind: 'cancellable' };
}

export function paymentNotFoundMessage(bankCode: string, bankRef: string): string {
  return `no payment ${bankRef} of bank ${bankCode}`;
}

export function nothingToCancelMessage(bankRef: string): string {
  return `payment ${bankRef} was rejected: there is nothing to cancel`;
}

export function referenceConflictMessage(bankRef: string): string {
  return `bank reference ${bankRef} was already used for a different payment: use a new reference`;
}
