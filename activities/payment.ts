// Activities of the payment workflow. Both run as local activities (one round trip less per
// payment) and both are idempotent: they may run more than once for the same payment.
// Business rejections are returned as values after being recorded; the workflow turns them into
// non-retryable ApplicationFailures. Anything thrown is an infrastructure fault and is retried.
import type { ActivityDeps } from './deps';
import { PaymentRejection, validatePaymentRequest } from '../domain/payment-validation';
import type { CancelResult, PaymentRequest, PaymentRejected, PostingOutcome } from '../domain/payment-types';
import { loadAccepted, postInTransaction, WrittenBy } from './payment-posting';
import { formatAmount, fromDb } from '../domain/money';

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

function rejected(err: PaymentRejection): PaymentRejected {
  return { status: 'rejected', code: err.code, message: err.message };
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

  /** Validates, allocates and posts one payment; returns its acceptance or a recorded rejection. */
  async function postPayment(input: PostPaymentInput): Promise<PostingOutcome> {
    try {
      const bank = await deps.reference.bank(input.request.bankCode);
      if (!bank) throw new PaymentRejection('UNKNOWN_BANK', `bank ${JSON.stringify(input.request.bankCode)} is not registered at the SPC`);
      const valid = validatePaymentRequest(input.request, new Date(input.receivedAt));
      const calendar = await deps.reference.calendar();
      const result = await db.transaction((trx) =>
        postInTransaction(trx, {
          valid, requestHash: input.requestHash, bank, calendar, writtenBy: input.writtenBy,
          registerId: input.request.registerId, pileNo: input.request.pileNo,
        }),
      );
      if (result.kind === 'posted') return result.accepted;
      if (result.requestHash !== input.requestHash) {
        throw new PaymentRejection('REFERENCE_CONFLICT', `bank reference ${valid.bankRef} was already used for a different payment: use a new reference`);
      }
      return await loadAccepted(db, bank, valid.bankRef, input.writtenBy.workflowId);
    } catch (err) {
      if (!(err instanceof PaymentRejection)) throw err;
      await recordRejection(input, err);
      return rejected(err);
    }
  }

  /**
   * Cancels a payment before its bank-day closes: marks it cancelled and posts a reversal (the
   * payment's ledger transaction with debits and credits swapped). Cancelling twice returns the
   * first cancellation.
   */
  async function cancelPayment(input: CancelPaymentInput): Promise<CancelResult | PaymentRejected> {
    try {
      return await db.transaction(async (trx) => {
        const payment = await trx('payments')
          .where({ bank_code: input.bankCode, bank_ref: input.bankRef })
          .forUpdate()
          .first('id', 'status', 'amount', 'business_date', 'cancelled_at');
        if (!payment) throw new PaymentRejection('PAYMENT_NOT_FOUND', `no payment ${input.bankRef} of bank ${input.bankCode}`);
        const result = (at: Date): CancelResult => ({
          paymentId: input.writtenBy.workflowId,
          status: 'cancelled',
          cancelledAt: at.toISOString(),
          reversedAmount: formatAmount(fromDb(payment.amount)),
        });
        if (payment.status === 'cancelled') return result(payment.cancelled_at);
        if (payment.status !== 'accepted') throw new PaymentRejection('BANK_DAY_CLOSED', `payment ${input.bankRef} was ${payment.status} at reconciliation and cannot be cancelled`);
        const day = await trx.raw('SELECT closed_at FROM bank_days WHERE bank_code = ? AND business_date = ? FOR SHARE', [input.bankCode, payment.business_date]);
        if (day.rows[0]?.closed_at) {
          throw new PaymentRejection('BANK_DAY_CLOSED', `the bank-day ${payment.business_date} of ${input.bankCode} is closed: payment ${input.bankRef} can no longer be cancelled`);
        }
        const now = deps.clock();
        await trx('payments').where({ id: payment.id }).update({ status: 'cancelled', cancelled_at: now });
        await postReversal(trx, payment.id, payment.business_date, input.writtenBy);
        return result(now);
      });
    } catch (err) {
      if (err instanceof PaymentRejection) return rejected(err);
      throw err;
    }
  }

  return { postPayment, cancelPayment };
}

/** Posts the mirror image of a payment's ledger transaction. Used by cancellation and by exclusion at reconciliation. */
export async function postReversal(trx: import('knex').Knex.Transaction, paymentId: string, businessDate: string, writtenBy: WrittenBy): Promise<void> {
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
