// The end of a settlement: the bank confirms its transfers (per line or all at once), a missed
// deadline raises it to 'overdue', and once every line is confirmed it is settled with one ledger
// 'transfer' transaction (debit provider:ID per line, credit bank:CODE with the total). Payments
// are not touched: an accepted payment's 'settled' status is derived from its settlement's.
import type { ActivityDeps } from './deps';
import { loadSettlementLines } from './settlement-aggregate';
import { invariantFailure, isoSeconds, refusal } from './settlement-support';
import type { ConfirmLinesResult, WrittenBy } from '../domain/settlement-types';

export function createSettlementConfirmActivities(deps: ActivityDeps) {
  const { db } = deps;

  /**
   * Records the bank's transfer references, all or none. A line confirmed before with the same
   * reference is left as it is (a retried confirmation); with another reference it is a conflict.
   */
  async function confirmSettlementLines(input: { settlementId: string; lines: Array<{ lineNo: number; transferRef: string | null }> }): Promise<ConfirmLinesResult> {
    return db.transaction(async (trx): Promise<ConfirmLinesResult> => {
      await trx.raw('SELECT 1 FROM settlements WHERE id = ? FOR UPDATE', [input.settlementId]);
      const lineNos = input.lines.map((l) => l.lineNo);
      const current = await trx('settlement_lines').where({ settlement_id: input.settlementId }).whereIn('line_no', lineNos).select('line_no', 'transfer_ref', 'confirmed_at');
      const byNo = new Map(current.map((r) => [Number(r.line_no), r]));
      const unknown = lineNos.filter((n) => !byNo.has(n));
      if (unknown.length > 0) return refusal('UNKNOWN_LINE', `settlement ${input.settlementId} has no line ${unknown.join(', ')}`);
      const conflicts = input.lines.filter((l) => {
        const r = byNo.get(l.lineNo);
        return r?.confirmed_at && r.transfer_ref !== l.transferRef;
      });
      if (conflicts.length > 0) {
        return refusal('LINE_ALREADY_CONFIRMED', `line(s) ${conflicts.map((c) => c.lineNo).join(', ')} of ${input.settlementId} were already confirmed with another transfer reference`);
      }
      await trx.raw(
        `UPDATE settlement_lines l SET transfer_ref = t.ref, confirmed_at = date_trunc('second', now())
           FROM unnest(?::int[], ?::text[]) AS t(n, ref)
          WHERE l.settlement_id = ? AND l.line_no = t.n AND l.confirmed_at IS NULL`,
        // pg sends the arrays as text[] / int[]; null references stay NULL.
        [lineNos, input.lines.map((l) => l.transferRef) as string[], input.settlementId],
      );
      await trx.raw(
        `UPDATE settlements SET confirmed_at = COALESCE(confirmed_at, date_trunc('second', now()))
          WHERE id = ? AND NOT EXISTS (SELECT 1 FROM settlement_lines WHERE settlement_id = ? AND confirmed_at IS NULL)`,
        [input.settlementId, input.settlementId],
      );
      return { ok: true, lines: await loadSettlementLines(trx, input.settlementId) };
    });
  }

  async function markSettlementOverdue(input: { settlementId: string }): Promise<{ overdueAt: string }> {
    await db('settlements').where({ id: input.settlementId, status: 'delivered' }).update({ status: 'overdue' });
    return { overdueAt: isoSeconds(deps.clock()) as string };
  }

  async function settleSettlement(input: { settlementId: string; writtenBy: WrittenBy }): Promise<{ settledAt: string }> {
    return db.transaction(async (trx) => {
      const s = (await trx.raw('SELECT bank_code, business_date, status, settled_at FROM settlements WHERE id = ? FOR UPDATE', [input.settlementId])).rows[0];
      if (!s) throw new Error(`no settlement ${input.settlementId}`);
      if (s.status === 'settled') return { settledAt: isoSeconds(s.settled_at) as string };
      const open = await trx('settlement_lines').where({ settlement_id: input.settlementId }).whereNull('confirmed_at').count<{ n: string }[]>({ n: '*' });
      if (Number(open[0]?.n ?? 0) > 0) throw invariantFailure(input.settlementId, `${open[0]?.n} line(s) are unconfirmed: a settlement settles only when every transfer is confirmed`);
      // ON CONFLICT: a retry after a commit we did not hear about finds the transfer already posted.
      await trx.raw(
        `WITH tx AS (
           INSERT INTO ledger_transactions (kind, settlement_id, business_date, workflow_id, run_id)
           SELECT 'transfer', ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM settlement_lines WHERE settlement_id = ?)
           ON CONFLICT (settlement_id) WHERE kind = 'transfer' DO NOTHING
           RETURNING id
         )
         INSERT INTO ledger_postings (transaction_id, account, debit, credit)
         SELECT tx.id, 'provider:' || l.provider_id, l.amount, 0 FROM tx, settlement_lines l WHERE l.settlement_id = ?
         UNION ALL
         SELECT tx.id, 'bank:' || ?, 0, (SELECT sum(amount) FROM settlement_lines WHERE settlement_id = ?) FROM tx`,
        [input.settlementId, s.business_date, input.writtenBy.workflowId, input.writtenBy.runId, input.settlementId, input.settlementId, s.bank_code, input.settlementId],
      );
      const done = await trx.raw(
        `UPDATE settlements SET status = 'settled', settled_at = date_trunc('second', now()), confirmed_at = COALESCE(confirmed_at, date_trunc('second', now()))
          WHERE id = ? RETURNING settled_at, delivered_at`,
        [input.settlementId],
      );
      const row = done.rows[0] as { settled_at: Date; delivered_at: Date | null } | undefined;
      // The confirmation stage: from the list's delivery to the last transfer confirmed (the bank's part, often days).
      if (row?.delivered_at) deps.metrics.settlementStageDuration.observe({ stage: 'confirmation' }, (row.settled_at.getTime() - row.delivered_at.getTime()) / 1000);
      return { settledAt: isoSeconds(row?.settled_at) as string };
    });
  }

  return { confirmSettlementLines, markSettlementOverdue, settleSettlement };
}
