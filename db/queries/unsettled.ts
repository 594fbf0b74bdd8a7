// Money posted but never listed: the read model of the guard. Every entrance (the /ops page, the
// CLI, the ledger audit, the settlement sweeper) asks these queries, so they cannot disagree on
// which bank-days need an operator.
import type { Knex } from 'knex';

/** Bank-days listed at most per answer: a week of outage for every bank is still a short list. */
export const UNSETTLED_DAYS_LISTED_MAX = 200;

export interface UnsettledBankDay {
  bankCode: string;
  businessDate: string;
  acceptedCount: number;
  acceptedTotal: string;
}

export interface SettlementAlert {
  settlementId: string;
  bankCode: string;
  businessDate: string;
  status: string;
  alert: string;
  workflowId: string;
}

/**
 * Bank-days before `today` (Almaty) holding accepted payments whose settlement was never started:
 * money the bank was told is accepted and that is on no payment list. A holiday declared after
 * payments were posted, a schedule paused for a week, an outage longer than the catch-up window or
 * a cut-off moved earlier all end here. Driven by bank_days (banks × days), so the payments are
 * only counted for the days that have no settlement.
 */
export async function findUnsettledBankDays(
  db: Knex,
  today: string,
  opts: { bankCode?: string; businessDate?: string; since?: string; limit?: number } = {},
): Promise<UnsettledBankDay[]> {
  const { rows } = await db.raw<{ rows: Array<{ bank_code: string; business_date: string; n: number; total: string }> }>(
    `WITH open_days AS MATERIALIZED (
       SELECT d.bank_code, d.business_date FROM bank_days d
        WHERE d.business_date < ?::date
          AND (?::text IS NULL OR d.bank_code = ?::text)
          AND (?::date IS NULL OR d.business_date = ?::date)
          AND (?::date IS NULL OR d.business_date >= ?::date)
          AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.bank_code = d.bank_code AND s.business_date = d.business_date)
     )
     SELECT o.bank_code, o.business_date, x.n, x.total::text
       FROM open_days o
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS n, COALESCE(sum(p.amount), 0)::numeric(18,2) AS total FROM payments p
          WHERE p.bank_code = o.bank_code AND p.business_date = o.business_date AND p.status = 'accepted'
       ) x
      WHERE x.n > 0
      ORDER BY o.business_date, o.bank_code
      LIMIT ?`,
    [
      today, opts.bankCode ?? null, opts.bankCode ?? null, opts.businessDate ?? null, opts.businessDate ?? null, opts.since ?? null, opts.since ?? null,
      opts.limit ?? UNSETTLED_DAYS_LISTED_MAX,
    ],
  );
  return rows.map((r) => ({ bankCode: r.bank_code, businessDate: r.business_date, acceptedCount: r.n, acceptedTotal: r.total }));
}

/** Settlements that cannot go on without an operator (settlements.alert: a payment list that cannot be built). */
export async function findSettlementAlerts(db: Knex, limit = UNSETTLED_DAYS_LISTED_MAX): Promise<SettlementAlert[]> {
  const rows = (await db('settlements')
    .whereNotNull('alert')
    .orderBy([{ column: 'business_date' }, { column: 'bank_code' }])
    .limit(limit)
    .select('id', 'bank_code', 'business_date', 'status', 'alert', 'workflow_id')) as Array<{
      id: string; bank_code: string; business_date: string; status: string; alert: string; workflow_id: string;
    }>;
  return rows.map((r) => ({ settlementId: r.id, bankCode: r.bank_code, businessDate: r.business_date, status: r.status, alert: r.alert, workflowId: r.workflow_id }));
}
