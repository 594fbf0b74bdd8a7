// Activities of the payment and cancellation workflows. Both run as local activities (one round
// trip less per payment) and both are idempotent: they may run more than once for the same payment.
// Business rejections are returned as values after being recorded; the workflow turns them into
// non-retryable ApplicationFailures. Anything thrown is an infrastructure fault and is retried.
import type { Knex } from 'knex';
import type { ActivityDeps } from './deps';
import { PaymentRejection, validatePaymentRequest } from '../domain/payment-validation';
import { CHANNELS, paymentWorkflowId, type CancelResult, type PaymentAccepted, type PaymentRequest, type PaymentRejected, type PostingOutcome } from '../domain/payment-types';
import { cancellability, nothingToCancelMessage, paymentNotFoundMessage, referenceConflictMessage } from '../domain/cancellation';
import { almatyToUtc } from '../domain/calendar';
import { formatAmount, fromDb } from '../domain/money';
import { findPayment } from '../db/queries/payments';
import { postPayments, WrittenBy } from './payment-posting';

export interface PostPaymentInput {
  request: PaymentRequest;
  requestHash: string;
  /** When the SPC first received the request: the default paidAt, fixed in the workflow input. */
  receivedAt: string;
  writtenBy: WrittenBy;
}

export interface CancelPaymentInput {
  bankCode: string;
  bankRef: string;
  reason: string;
  writtenBy: WrittenBy;
}

/** The channel as a metric label: one of CHANNELS, or "other" (validation refuses it); never free text. */
function channelLabel(channel: unknown): string {
  return (CHANNELS as readonly unknown[]).includes(channel) ? String(channel) : 'other';
}

function rejected(err: PaymentRejection): PaymentRejected {
  return { status: 'rejected', code: err.code, message: err.message };
}

/** The cancellation under the payment's row lock and the bank-day's FOR SHARE lock: the rule is domain/cancellation.ts. */
async function cancelInTransaction(deps: ActivityDeps, trx: Knex.Transaction, input: CancelPaymentInput): Promise<CancelResult> {
  const payment = await trx('payments')
    .where({ bank_code: input.bankCode, bank_ref: input.bankRef })
    .forUpdate()
    .first('id', 'status', 'amount', 'business_date', 'cancelled_at');
  if (!payment) {
    const refused = await trx('payment_rejections').where({ bank_code: input.bankCode, bank_ref: input.bankRef }).first('id');
    if (refused) throw new PaymentRejection('PAYMENT_REJECTED', nothingToCancelMessage(input.bankRef));
    throw new PaymentRejection('PAYMENT_NOT_FOUND', paymentNotFoundMessage(input.bankCode, input.bankRef));
  }
  const result = (at: Date): CancelResult => ({
    paymentId: paymentWorkflowId(input.bankCode, input.bankRef),
    status: 'cancelled',
    cancelledAt: at.toISOString(),
    reversedAmount: formatAmount(fromDb(payment.amount)),
  });
  const bank = await deps.reference.bank(input.bankCode);
  if (!bank) throw new Error(`invariant: payment ${input.bankRef} belongs to unknown bank ${input.bankCode}`);
  const day = await trx.raw('SELECT closed_at FROM bank_days WHERE bank_code = ? AND business_date = ? FOR SHARE', [input.bankCode, payment.business_date]);
  const now = deps.clock();
  const verdict = cancellability({
    bankCode: input.bankCode, bankRef: input.bankRef, status: payment.status, businessDate: payment.business_date,
    closesAt: almatyToUtc(payment.business_date, bank.cutoff_local).toISOString(), dayClosed: Boolean(day.rows[0]?.closed_at),
  }, now);
  if (verdict.kind === 'already-cancelled') return result(payment.cancelled_at);
  if (verdict.kind === 'refused') throw new PaymentRejection(verdict.code, verdict.message);
  await trx('payments').where({ id: payment.id }).update({ status: 'cancelled', cancelled_at: now });
  await postReversal(trx, payment.id, payment.business_date, input.writtenBy);
  return result(now);
}

export function createPaymentActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function recordRejection(input: PostPaymentInput, err: PaymentRejection): Promise<void> {
    await db.raw(
      `INSERT INTO payment_rejections (bank_code, bank_ref, request_hash, code, message, request, workflow_id, run_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workflow_id, run_id) DO NOTHING`,
      [String(input.request.bankCode).slice(0, 64), String(input.request.bankRef).slice(0, 64), input.requestHash, err.code, err.message,
        JSON.stringify(input.request), input.writtenBy.workflowId, input.writtenBy.runId],
    );
  }

  /** The acceptance of a payment that was already posted (a retried or repeated submission). */
  async function acceptanceOf(bankCode: string, bankRef: string): Promise<PaymentAccepted> {
    const record = await findPayment(db, bankCode, bankRef);
    if (!record) throw new Error(`invariant: payment ${bankCode}/${bankRef} vanished`);
    return {
      paymentId: paymentWorkflowId(bankCode, bankRef), bankCode, bankRef, status: 'accepted', businessDate: record.businessDate, amount: record.amount,
      allocations: record.allocations, closesAt: record.closesAt,
    };
  }

  /** Validates, allocates and posts one payment (a batch of one); returns its acceptance or a recorded rejection. */
  async function postPayment(input: PostPaymentInput): Promise<PostingOutcome> {
    const { outcome, repeat } = await postOnce(input);
    deps.metrics.paymentPostings.inc({
      outcome: repeat ? 'repeat' : outcome.status, code: outcome.status === 'rejected' ? outcome.code : '', channel: channelLabel(input.request.channel),
    });
    return outcome;
  }

  /** The posting's outcome, and whether it was the acceptance of a payment posted before (a retry, a repeated submission). */
  async function postOnce(input: PostPaymentInput): Promise<{ outcome: PostingOutcome; repeat: boolean }> {
    try {
      const bank = await deps.reference.bank(input.request.bankCode);
      if (!bank) throw new PaymentRejection('UNKNOWN_BANK', `bank ${JSON.stringify(input.request.bankCode)} is not registered at the SPC`);
      const valid = validatePaymentRequest(input.request, new Date(input.receivedAt));
      const calendar = await deps.reference.calendar();
      const [result] = await db.transaction((trx) =>
        postPayments(trx, {
          bank, calendar, writtenBy: input.writtenBy,
          items: [{ valid, requestHash: input.requestHash, registerId: input.request.registerId, pileNo: input.request.pileNo }],
        }),
      );
      if (!result) throw new Error('invariant: a batch of one gave no result');
      if (result.kind === 'rejected') throw result.rejection;
      if (result.kind === 'posted') return { outcome: result.accepted, repeat: false };
      if (result.existing.requestHash !== input.requestHash) throw new PaymentRejection('REFERENCE_CONFLICT', referenceConflictMessage(valid.bankRef));
      return { outcome: await acceptanceOf(bank.code, valid.bankRef), repeat: true };
    } catch (err) {
      if (!(err instanceof PaymentRejection)) throw err;
      await recordRejection(input, err);
      return { outcome: rejected(err), repeat: false };
    }
  }

  /**
   * Cancels a payment before its bank-day's cut-off: marks it cancelled and posts a reversal (the
   * payment's ledger transaction with debits and credits swapped). Cancelling twice returns the
   * first cancellation.
   */
  async function cancelPayment(input: CancelPaymentInput): Promise<CancelResult | PaymentRejected> {
    try {
      return await db.transaction((trx) => cancelInTransaction(deps, trx, input));
    } catch (err) {
      if (err instanceof PaymentRejection) return rejected(err);
      throw err;
    }
  }

  return { postPayment, cancelPayment };
}

/** Posts the mirror image of a payment's ledger transaction. Used by cancellation and by exclusion at reconciliation. */
export async function postReversal(trx: Knex.Transaction, paymentId: string, businessDate: string, writtenBy: WrittenBy): Promise<void> {
  await trx.raw(
    `WITH orig AS (
       SELECT id FROM ledger_transactions WHERE payment_id = ? AND kind = 'payment'
     ), tx AS (
       INSERT INTO ledger_transactions (kind, payment_id, business_date, workflow_id, run_id)
       VALUES ('reversal', ?, ?, ?, ?) RETURNING id
     )
     INSERT INTO ledger_postings (transaction_id, account, debit, credit)
     SELECT tx.id, p.account, p.credit, p.debit FROM tx, ledger_postings p JOIN orig ON p.transaction_id = orig.id`,
    [paymentId, paymentId, businessDate, writtenBy.workflowId, writtenBy.runId],
  );
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
