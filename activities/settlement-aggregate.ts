// Aggregation of a closed bank-day into per-provider lines, entirely in Postgres: one
// INSERT ... SELECT ... GROUP BY over the allocations of the day's accepted payments. A day of a
// million payments never passes through the worker; only the few lines (one per provider) and the
// totals come back. The sums are asserted in SQL before the transaction commits:
//   sum(lines) = sum(accepted payments) = payments_total - reversals_total
// (the last equality is also a CHECK on settlements). Idempotent: a retry after the commit
// returns what the first run stored.
import type { Knex } from 'knex';
import type { ActivityDeps } from './deps';
import { addBusinessDays, isBusinessDay, nextBusinessDay, toAlmaty } from '../domain/calendar';
import { PAYMENT_LIST_LINES_MAX } from '../domain/payment-list';
import { formatAmount, fromDb } from '../domain/money';
import { compactDate, confirmDeadlineAtOf, invariantFailure, isoSeconds, withHeartbeat } from './settlement-support';
import type { AggregateResult, BankDayRef, SettlementLineState } from '../domain/settlement-types';
import { lineEndToEndId, netAdjustments, type PendingAdjustment } from '../domain/correction';
import { correctionRef } from '../domain/correction-types';

/**
 * Memory Postgres may use for the aggregation's sort in this one transaction (SET LOCAL): the
 * count of distinct payments per provider sorts the day's allocations, and a million payments'
 * ~4 million allocations sort in memory in about 360 MB; with the default 4 MB they spill to disk.
 */
export const AGGREGATION_WORK_MEM = '512MB';

/**
 * Settings of the aggregation's transaction, shared with the benchmark's bare SQL run. JIT is off:
 * compiling these once-a-day statements took 0.4-1.1 s per statement on the 2-core test machine,
 * more than it saved.
 */
export const AGGREGATION_SETTINGS_SQL = [`SET LOCAL work_mem = '${AGGREGATION_WORK_MEM}'`, 'SET LOCAL jit = off'] as const;

/**
 * The per-provider aggregation of one bank-day: amount, and the number of payments that paid the
 * provider (a payment paying two services of one provider counts once). Parameters: bank code,
 * business date. The benchmark runs this same SELECT bare, to measure the engine's overhead.
 */
export const AGGREGATION_SELECT_SQL = `
  SELECT a.provider_id, sum(a.amount) AS amount, count(DISTINCT a.payment_id) AS payment_count
    FROM payments p
    JOIN allocations a ON a.payment_id = p.id
   WHERE p.bank_code = ? AND p.business_date = ? AND p.status = 'accepted'
   GROUP BY a.provider_id`;

/** Line numbers in provider order; EndToEndId '<BANK><YYYYMMDD>-<NNN>' (more digits past 999 lines). */
const INSERT_LINES_SQL = `
  INSERT INTO settlement_lines (settlement_id, line_no, provider_id, amount, payment_count, end_to_end_id)
  SELECT ?, n, provider_id, amount, payment_count, ? || lpad(n::text, GREATEST(3, length(n::text)), '0')
    FROM (SELECT agg.*, row_number() OVER (ORDER BY agg.provider_id) AS n FROM (${AGGREGATION_SELECT_SQL}) agg) numbered`;

/** Totals of the day from the payments themselves, and the assertion that the lines match them. */
const DAY_TOTALS_SQL = `
  WITH day AS (
    SELECT count(*)::int AS payment_count,
           COALESCE(sum(amount), 0) AS payments_total,
           (count(*) FILTER (WHERE status <> 'accepted'))::int AS reversal_count,
           COALESCE(sum(amount) FILTER (WHERE status <> 'accepted'), 0) AS reversals_total,
           (count(*) FILTER (WHERE status = 'accepted'))::int AS accepted_count,
           COALESCE(sum(amount) FILTER (WHERE status = 'accepted'), 0) AS accepted_total
      FROM payments WHERE bank_code = ? AND business_date = ?
  ), lines AS (
    SELECT count(*)::int AS line_count, COALESCE(sum(amount), 0) AS lines_total FROM settlement_lines WHERE settlement_id = ?
  ), adj AS (
    SELECT COALESCE(sum(amount), 0) AS adjustments_total FROM adjustments WHERE settlement_id = ?
  )
  SELECT day.*, lines.*, adj.*,
         (lines.lines_total = day.accepted_total + adj.adjustments_total AND day.accepted_total = day.payments_total - day.reversals_total) AS balanced
    FROM day, lines, adj`;

interface DayTotalsRow {
  payment_count: number;
  payments_total: string;
  reversal_count: number;
  reversals_total: string;
  accepted_count: number;
  accepted_total: string;
  line_count: number;
  lines_total: string;
  adjustments_total: string;
  balanced: boolean;
}

interface LineRow {
  line_no: number;
  provider_id: string;
  amount: string;
  payment_count: number;
  end_to_end_id: string;
  transfer_ref: string | null;
  confirmed_at: Date | null;
  adjustment_amount: string;
  adjustment_refs: string[];
}

export async function loadSettlementLines(db: Knex | Knex.Transaction, settlementId: string): Promise<SettlementLineState[]> {
  const rows: LineRow[] = await db('settlement_lines')
    .where({ settlement_id: settlementId })
    .orderBy('line_no')
    .select('line_no', 'provider_id', 'amount', 'payment_count', 'end_to_end_id', 'transfer_ref', 'confirmed_at', 'adjustment_amount', 'adjustment_refs');
  return rows.map((r) => ({
    lineNo: Number(r.line_no),
    providerId: r.provider_id,
    amount: formatAmount(fromDb(r.amount)),
    paymentCount: Number(r.payment_count),
    endToEndId: r.end_to_end_id,
    transferRef: r.transfer_ref,
    confirmedAt: isoSeconds(r.confirmed_at) ?? null,
    ...(r.adjustment_refs.length > 0 ? { adjustment: { amount: formatAmount(fromDb(r.adjustment_amount)), refs: r.adjustment_refs } } : {}),
  }));
}

/** Requested execution date: the next business day after the business date, and never in the past. */
export function executionDateFor(businessDate: string, today: string, cal: Parameters<typeof isBusinessDay>[1]): string {
  const next = nextBusinessDay(businessDate, cal);
  const firstOpenFromToday = isBusinessDay(today, cal) ? today : nextBusinessDay(today, cal);
  return next > firstOpenFromToday ? next : firstOpenFromToday;
}

async function loadPendingAdjustments(trx: Knex.Transaction, bankCode: string): Promise<PendingAdjustment[]> {
  const { rows } = await trx.raw<{ rows: Array<{ id: string; provider_id: string; amount: string; seq: string }> }>(
    `SELECT a.id, a.provider_id, a.amount, c.seq FROM adjustments a JOIN corrections c ON c.id = a.correction_id
      WHERE a.bank_code = ? AND a.settlement_id IS NULL ORDER BY a.id FOR UPDATE OF a`,
    [bankCode],
  );
  return rows.map((r) => ({ id: String(r.id), providerId: r.provider_id, amount: formatAmount(fromDb(r.amount)), ref: correctionRef(r.seq) }));
}

/**
 * The day's per-provider sums (the same SELECT, in Postgres) netted with the pending adjustments
 * (domain/correction.ts netAdjustments): the lines are a few per provider, so this runs in the worker.
 */
async function insertNettedLines(trx: Knex.Transaction, day: BankDayRef, prefix: string, pending: PendingAdjustment[]): Promise<void> {
  const { rows } = await trx.raw<{ rows: Array<{ provider_id: string; amount: string; payment_count: string }> }>(AGGREGATION_SELECT_SQL, [day.bankCode, day.businessDate]);
  const netted = netAdjustments(rows.map((r) => ({ providerId: r.provider_id, amount: formatAmount(fromDb(r.amount)), paymentCount: Number(r.payment_count) })), pending);
  const lineNoOf = new Map<string, number>();
  netted.lines.forEach((l, i) => lineNoOf.set(l.providerId, i + 1));
  if (netted.lines.length > 0) {
    await trx('settlement_lines').insert(netted.lines.map((l, i) => ({
      settlement_id: day.settlementId, line_no: i + 1, provider_id: l.providerId, amount: l.amount, payment_count: l.paymentCount,
      end_to_end_id: lineEndToEndId(prefix, i + 1, l.adjustmentRefs), adjustment_amount: l.adjustmentAmount, adjustment_refs: l.adjustmentRefs,
    })));
  }
  for (const a of netted.applied) {
    await trx('adjustments').where({ id: a.id }).update({ settlement_id: day.settlementId, line_no: lineNoOf.get(a.providerId) ?? null, applied_at: trx.fn.now() });
  }
}

export function createSettlementAggregateActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function aggregateSettlement(input: BankDayRef): Promise<AggregateResult> {
    const bank = await deps.reference.bank(input.bankCode);
    if (!bank) throw new Error(`bank ${input.bankCode} vanished from the reference data`);
    const cal = await deps.reference.calendar();

    return withHeartbeat(`aggregating ${input.settlementId}`, () =>
      db.transaction(async (trx) => {
        const settlement = await trx.raw<{ rows: Array<{ status: string; aggregated_at: Date | null }> }>(
          'SELECT status, aggregated_at FROM settlements WHERE id = ? FOR UPDATE',
          [input.settlementId],
        );
        const row = settlement.rows[0];
        if (!row) throw new Error(`invariant: settlement ${input.settlementId} has no row: the close must run first`);

        for (const setting of AGGREGATION_SETTINGS_SQL) await trx.raw(setting);
        if (!row.aggregated_at) {
          const prefix = `${input.bankCode}${compactDate(input.businessDate)}-`;
          // Corrections of settled days waiting for this bank's next list (activities/correction.ts).
          const pending = await loadPendingAdjustments(trx, input.bankCode);
          if (pending.length === 0) await trx.raw(INSERT_LINES_SQL, [input.settlementId, prefix, input.bankCode, input.businessDate]);
          else await insertNettedLines(trx, input, prefix, pending);
        }
        const totals = (await trx.raw<{ rows: DayTotalsRow[] }>(DAY_TOTALS_SQL, [input.bankCode, input.businessDate, input.settlementId, input.settlementId])).rows[0] as DayTotalsRow;
        if (!totals.balanced) {
          throw invariantFailure(
            input.settlementId,
            `lines sum to ${totals.lines_total}, accepted payments to ${totals.accepted_total} (adjustments ${totals.adjustments_total}), posted ${totals.payments_total} minus reversed ${totals.reversals_total}`,
          );
        }
        if (totals.line_count > PAYMENT_LIST_LINES_MAX) {
          throw invariantFailure(input.settlementId, `${totals.line_count} lines exceed PAYMENT_LIST_LINES_MAX (${PAYMENT_LIST_LINES_MAX})`);
        }

        if (!row.aggregated_at) {
          const today = toAlmaty(deps.clock()).date;
          await trx.raw(
            `UPDATE settlements SET status = 'aggregated', payment_count = ?, payments_total = ?, reversal_count = ?, reversals_total = ?,
                    adjustments_total = ?, net_total = ?, execution_date = ?, confirm_due_date = ?, msg_id = ?, aggregated_at = date_trunc('second', now())
              WHERE id = ?`,
            [
              totals.payment_count, totals.payments_total, totals.reversal_count, totals.reversals_total, totals.adjustments_total, totals.lines_total,
              executionDateFor(input.businessDate, today, cal), addBusinessDays(input.businessDate, bank.confirm_business_days, cal),
              `SPC-${input.bankCode}-${compactDate(input.businessDate)}`, input.settlementId,
            ],
          );
        }
        const stored = await trx('settlements').where({ id: input.settlementId }).first('aggregated_at', 'execution_date', 'confirm_due_date', 'msg_id');
        const lines = await loadSettlementLines(trx, input.settlementId);
        const confirmed = lines.filter((l) => l.confirmedAt !== null);
        return {
          counts: {
            payments: totals.payment_count,
            reversals: totals.reversal_count,
            accepted: totals.accepted_count,
            lines: lines.length,
            confirmedLines: confirmed.length,
          },
          totals: {
            payments: formatAmount(fromDb(totals.payments_total)),
            reversals: formatAmount(fromDb(totals.reversals_total)),
            net: formatAmount(fromDb(totals.lines_total)),
            ...(fromDb(totals.adjustments_total).isZero() ? {} : { adjustments: formatAmount(fromDb(totals.adjustments_total)) }),
            confirmed: formatAmount(confirmed.reduce((t, l) => t.plus(l.amount), fromDb('0'))),
          },
          lines,
          aggregatedAt: isoSeconds(stored.aggregated_at) as string,
          executionDate: stored.execution_date,
          confirmDueDate: stored.confirm_due_date,
          // Provisional: counted from the business date until the list is delivered (storeSettlementFiles).
          confirmDeadlineAt: confirmDeadlineAtOf(stored.confirm_due_date),
          msgId: stored.msg_id,
        };
      }),
    );
  }

  return { aggregateSettlement };
}
