// Closing a bank-day and reconciling it with what the bank declared.
//
// The close takes the bank_days row FOR UPDATE, the lock every payment posting takes FOR SHARE
// (activities/payment-posting.ts lockOpenBankDay): a payment racing the close either committed
// before it and is in this day's settlement, or waits, sees the day closed and moves to the next
// business day. Cancellations check the same row, so none of the day's payments can be cancelled
// after the close. Every activity here is idempotent.
import type { ActivityDeps } from './deps';
import { postReversal } from './payment';
import { formatAmount, fromDb } from '../domain/money';
import { isoSeconds, refusal } from './settlement-support';
import type { BankDayRef, CloseResult, Discrepancy, ExcludeResult, ReconcileResult, SettlementStatus, WrittenBy } from './settlement-types';
import { ApplicationFailure } from '@temporalio/common';

/** Most payments one exclusion decision may name: a larger mismatch is a wrong register, not a few bad payments. */
export const EXCLUDE_REFS_MAX = 1_000;
/** Rejected register rows listed with a discrepancy; the rest are in register_rows. */
export const REJECTED_ROWS_LISTED_MAX = 50;

export function createSettlementCloseActivities(deps: ActivityDeps) {
  const { db } = deps;

  /** Closes the bank-day (inserting its row if no payment ever opened it) and creates the settlement row. */
  async function closeBankDay(input: BankDayRef & { writtenBy: WrittenBy }): Promise<CloseResult> {
    const bank = await db('banks').where({ code: input.bankCode }).first('code');
    if (!bank) {
      throw ApplicationFailure.create({ type: 'UNKNOWN_BANK', message: `bank ${input.bankCode} is not registered at the SPC: check the bank code`, nonRetryable: true });
    }
    return db.transaction(async (trx) => {
      await trx.raw('INSERT INTO bank_days (bank_code, business_date) VALUES (?, ?) ON CONFLICT DO NOTHING', [input.bankCode, input.businessDate]);
      await trx.raw('SELECT 1 FROM bank_days WHERE bank_code = ? AND business_date = ? FOR UPDATE', [input.bankCode, input.businessDate]);
      const closed = await trx.raw<{ rows: Array<{ closed_at: Date }> }>(
        `UPDATE bank_days SET closed_at = COALESCE(closed_at, now()), closed_by_workflow_id = COALESCE(closed_by_workflow_id, ?)
          WHERE bank_code = ? AND business_date = ? RETURNING closed_at`,
        [input.writtenBy.workflowId, input.bankCode, input.businessDate],
      );
      const prior = await trx('settlements').where({ id: input.settlementId }).first('status');
      await trx.raw(
        `INSERT INTO settlements (id, bank_code, business_date, status, workflow_id, run_id) VALUES (?, ?, ?, 'closing', ?, ?)
         ON CONFLICT (id) DO UPDATE SET run_id = EXCLUDED.run_id`,
        [input.settlementId, input.bankCode, input.businessDate, input.writtenBy.workflowId, input.writtenBy.runId],
      );
      return { closedAt: isoSeconds(closed.rows[0]?.closed_at) as string, priorStatus: (prior?.status as SettlementStatus | undefined) ?? null };
    });
  }

  /**
   * Compares what the bank declared in its register(s) for the day with what the SPC holds as
   * accepted. No register: nothing to compare, no discrepancy. A mismatch puts the settlement in
   * 'discrepancy' with the differences listed.
   */
  async function reconcileBankDay(input: BankDayRef): Promise<ReconcileResult> {
    const registers = await db('registers')
      .where({ bank_code: input.bankCode, business_date: input.businessDate })
      .orderBy('id')
      .select('id', 'declared_count', 'declared_total', 'status');
    if (registers.length === 0) {
      // Nothing declared, nothing to compare: no pass over the day's payments.
      await db('settlements').where({ id: input.settlementId }).update({ discrepancies: JSON.stringify([]) });
      return { register: null, discrepancies: [] };
    }
    const posted = await db.raw<{ rows: Array<{ n: number; total: string }> }>(
      `SELECT count(*)::int AS n, COALESCE(sum(amount), 0) AS total FROM payments
        WHERE bank_code = ? AND business_date = ? AND status = 'accepted'`,
      [input.bankCode, input.businessDate],
    );
    const accepted = { count: posted.rows[0]?.n ?? 0, total: formatAmount(fromDb(posted.rows[0]?.total)) };

    const declaredCount = registers.reduce((n, r) => n + Number(r.declared_count), 0);
    const declaredTotal = registers.reduce((t, r) => t.plus(fromDb(r.declared_total)), fromDb('0'));
    const register = { registerIds: registers.map((r) => String(r.id)), declaredCount, declaredTotal: formatAmount(declaredTotal) };
    const discrepancies: Discrepancy[] = [];
    if (declaredCount !== accepted.count) {
      discrepancies.push({ kind: 'payment_count', declared: String(declaredCount), posted: String(accepted.count), difference: String(accepted.count - declaredCount) });
    }
    const postedTotal = fromDb(accepted.total);
    if (!declaredTotal.eq(postedTotal)) {
      discrepancies.push({ kind: 'payment_total', declared: register.declaredTotal, posted: accepted.total, difference: formatAmount(postedTotal.minus(declaredTotal)) });
    }
    for (const r of registers.filter((x) => x.status !== 'done')) {
      discrepancies.push({ kind: 'register_processing', registerId: String(r.id), message: `register ${r.id} is still being processed: some of its rows are not posted yet` });
    }
    if (discrepancies.length > 0) {
      // The rows the SPC refused are the usual explanation of a mismatch: list them for the operator.
      const rejected = await db('register_rows')
        .whereIn('register_id', register.registerIds)
        .andWhere({ status: 'rejected' })
        .orderBy([{ column: 'register_id' }, { column: 'line_no' }])
        .limit(REJECTED_ROWS_LISTED_MAX)
        .select('register_id', 'bank_ref', 'code', 'message');
      for (const row of rejected) {
        discrepancies.push({ kind: 'register_row_rejected', registerId: String(row.register_id), bankRef: row.bank_ref, code: row.code ?? undefined, message: row.message ?? undefined });
      }
    }
    await db('settlements')
      .where({ id: input.settlementId })
      .whereIn('status', ['closing', 'discrepancy'])
      .update({ discrepancies: JSON.stringify(discrepancies), ...(discrepancies.length > 0 ? { status: 'discrepancy' } : {}) });
    return { accepted, register, discrepancies };
  }

  /**
   * The operator's decision to leave named payments out of the day: each is marked 'excluded' and
   * reversed in the ledger, all or none. Refs already excluded are accepted again (a retried decision).
   */
  async function excludePayments(input: BankDayRef & { refs: string[]; writtenBy: WrittenBy }): Promise<ExcludeResult> {
    const refs = [...new Set(input.refs)];
    if (refs.length === 0 || refs.length > EXCLUDE_REFS_MAX) return refusal('INVALID_REQUEST', `name 1-${EXCLUDE_REFS_MAX} payments to exclude, got ${refs.length}`);
    return db.transaction(async (trx): Promise<ExcludeResult> => {
      // Serialises decisions on one settlement.
      await trx.raw('SELECT 1 FROM settlements WHERE id = ? FOR UPDATE', [input.settlementId]);
      const rows = await trx.raw<{ rows: Array<{ id: string; bank_ref: string; status: string; business_date: string }> }>(
        'SELECT id, bank_ref, status, business_date FROM payments WHERE bank_code = ? AND bank_ref = ANY(?) ORDER BY id FOR UPDATE',
        [input.bankCode, refs],
      );
      const ofDay = new Map(rows.rows.filter((r) => r.business_date === input.businessDate).map((r) => [r.bank_ref, r]));
      const unknown = refs.filter((ref) => !ofDay.has(ref));
      if (unknown.length > 0) {
        return refusal('UNKNOWN_PAYMENT', `no payment of ${input.bankCode} on ${input.businessDate} with reference ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` (and ${unknown.length - 10} more)` : ''}: check the references`);
      }
      const cancelled = refs.filter((ref) => ofDay.get(ref)?.status === 'cancelled');
      if (cancelled.length > 0) {
        return refusal('PAYMENT_NOT_ACCEPTED', `payment(s) ${cancelled.slice(0, 10).join(', ')} were cancelled by the bank and are not in the day any more: leave them out of the decision`);
      }
      const toExclude = refs.filter((ref) => ofDay.get(ref)?.status === 'accepted');
      const alreadyExcluded = refs.filter((ref) => ofDay.get(ref)?.status === 'excluded');
      const ids = toExclude.map((ref) => (ofDay.get(ref) as { id: string }).id);
      if (ids.length > 0) {
        await trx.raw(`UPDATE payments SET status = 'excluded', cancelled_at = now() WHERE id = ANY(?)`, [ids]);
        for (const id of ids) await postReversal(trx, id, input.businessDate, input.writtenBy);
      }
      const current = await trx('settlements').where({ id: input.settlementId }).first('excluded_refs');
      const merged = [...new Set([...((current?.excluded_refs as string[] | undefined) ?? []), ...refs])].sort();
      await trx('settlements').where({ id: input.settlementId }).update({ excluded_refs: JSON.stringify(merged) });
      return { ok: true, excluded: toExclude, alreadyExcluded };
    });
  }

  return { closeBankDay, reconcileBankDay, excludePayments };
}
