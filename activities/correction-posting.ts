// The seam between corrections and the posting module (activities/payment-posting.ts and
// postReversal in activities/payment.ts). Corrections never allocate or post on their own: they
// split and post through these three functions, so that the posting module can change (it is being
// reworked to post batches) behind a surface this small. Everything runs in the caller's
// transaction.
import type { Knex } from 'knex';
import { createHash } from 'node:crypto';
import type { Allocation, Channel, PaymentAccepted, PaymentLineRequest } from '../domain/payment-types';
import type { CalendarOverrides } from '../domain/calendar';
import { PaymentRejection, validatePaymentRequest } from '../domain/payment-validation';
import { postPayments, type WrittenBy } from './payment-posting';
import { allocate, loadInvoices } from './payment-invoice';
import { postReversal } from './payment';
import type { BankRow } from './reference-cache';

export interface SplitRequest {
  bankCode: string;
  account: string;
  amount: string;
  lines?: PaymentLineRequest[];
}

/** How a payment of `amount` on `account` would be split now (throws PaymentRejection). */
export async function splitFor(trx: Knex.Transaction, req: SplitRequest, now: Date): Promise<Allocation[]> {
  const valid = validatePaymentRequest({ bankCode: req.bankCode, bankRef: 'split-preview', channel: 'cash_desk', account: req.account, amount: req.amount, lines: req.lines }, now);
  const invoice = (await loadInvoices(trx, [valid.account])).get(valid.account);
  if (!invoice) throw new Error(`invariant: invoice of ${valid.account} was not loaded`);
  if (invoice instanceof PaymentRejection) throw invoice;
  return allocate(valid, invoice.lines);
}

/** The mirror image of a payment's ledger transaction (what a cancellation posts). */
export async function reversePayment(trx: Knex.Transaction, paymentId: string, businessDate: string, writtenBy: WrittenBy): Promise<void> {
  await postReversal(trx, paymentId, businessDate, writtenBy);
}

export interface ReplacementRequest extends SplitRequest {
  bank: BankRow;
  calendar: CalendarOverrides;
  bankRef: string;
  channel: Channel;
  paidAt: string;
  writtenBy: WrittenBy;
}

/** Posts the replacement payment of a correction; returns its acceptance (throws PaymentRejection). */
export async function postReplacement(trx: Knex.Transaction, req: ReplacementRequest, now: Date): Promise<PaymentAccepted> {
  const valid = validatePaymentRequest(
    { bankCode: req.bankCode, bankRef: req.bankRef, channel: req.channel, account: req.account, amount: req.amount, lines: req.lines, paidAt: req.paidAt },
    // The replacement stands for the original payment, received when it was paid: the bound on an
    // old paidAt is about the bank's clock, not about when an operator corrects it.
    new Date(Math.min(now.getTime(), Date.parse(req.paidAt))),
  );
  const requestHash = createHash('sha256').update(`correction:${req.writtenBy.workflowId}`).digest('hex');
  const [result] = await postPayments(trx, { bank: req.bank, calendar: req.calendar, writtenBy: req.writtenBy, items: [{ valid, requestHash }] });
  if (result?.kind === 'rejected') throw result.rejection;
  if (result?.kind !== 'posted') throw new PaymentRejection('REFERENCE_CONFLICT', `replacement reference ${req.bankRef} is taken`);
  return result.accepted;
}
