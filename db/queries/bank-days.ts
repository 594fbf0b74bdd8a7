// Bank-days as the operator page shows them: each bank's recent days with their payments counted
// by status and their settlement, if any. Read from Postgres only, so /ops works while Temporal is
// down.
import type { Knex } from 'knex';

export interface BankDayRow {
  bank_code: string;
  bank_name: string;
  business_date: string;
  closed_at: Date | null;
  accepted_count: number;
  accepted_total: string;
  cancelled_count: number;
  cancelled_total: string;
  excluded_count: number;
  excluded_total: string;
  settlement_id: string | null;
  status: string | null;
  net_total: string | null;
  discrepancies: unknown[] | null;
  confirm_due_date: string | null;
  workflow_id: string | null;
  run_id: string | null;
  lines: number;
  confirmed_lines: number;
}

/**
 * Every bank's bank-days from `since` on, plus a row for `today` of each bank that has none yet,
 * newest first. Settled days read their totals from the settlement; open days count their payments
 * (an index-only scan of payments_bank_day).
 */
export async function findRecentBankDays(db: Knex, since: string, today: string): Promise<BankDayRow[]> {
  const { rows } = await db.raw<{ rows: BankDayRow[] }>(
    `WITH days AS (
       SELECT d.bank_code, d.business_date, d.closed_at FROM bank_days d WHERE d.business_date >= ?::date
       UNION
       SELECT b.code, ?::date, NULL FROM banks b
        WHERE NOT EXISTS (SELECT 1 FROM bank_days d WHERE d.bank_code = b.code AND d.business_date = ?::date)
     )
     SELECT days.bank_code, b.name AS bank_name, days.business_date, days.closed_at,
            COALESCE(p.accepted_count, 0) AS accepted_count, COALESCE(p.accepted_total, 0)::numeric(18,2)::text AS accepted_total,
            COALESCE(p.cancelled_count, 0) AS cancelled_count, COALESCE(p.cancelled_total, 0)::numeric(18,2)::text AS cancelled_total,
            COALESCE(p.excluded_count, 0) AS excluded_count, COALESCE(p.excluded_total, 0)::numeric(18,2)::text AS excluded_total,
            s.id AS settlement_id, s.status, s.net_total::text, s.discrepancies, s.confirm_due_date, s.workflow_id, s.run_id,
            COALESCE(l.lines, 0) AS lines, COALESCE(l.confirmed_lines, 0) AS confirmed_lines
       FROM days
       JOIN banks b ON b.code = days.bank_code
       LEFT JOIN settlements s ON s.bank_code = days.bank_code AND s.business_date = days.business_date
       LEFT JOIN LATERAL (
         SELECT count(*) FILTER (WHERE status = 'accepted')::int AS accepted_count, sum(amount) FILTER (WHERE status = 'accepted') AS accepted_total,
                count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled_count, sum(amount) FILTER (WHERE status = 'cancelled') AS cancelled_total,
                count(*) FILTER (WHERE status = 'excluded')::int AS excluded_count, sum(amount) FILTER (WHERE status = 'excluded') AS excluded_total
           FROM payments WHERE bank_code = days.bank_code AND business_date = days.business_date
       ) p ON true
       LEFT JOIN LATERAL (
         SELECT count(*)::int AS lines, (count(*) FILTER (WHERE confirmed_at IS NOT NULL))::int AS confirmed_lines
           FROM settlement_lines WHERE settlement_id = s.id
       ) l ON true
      ORDER BY days.business_date DESC, days.bank_code`,
    [since, today, today],
  );
  return rows;
}

/** The business dates on which some bank-day is closed (`spc demo` simulates a date with none). */
export async function closedBusinessDates(db: Knex): Promise<Set<string>> {
  const rows = (await db('bank_days').whereNotNull('closed_at').distinct('business_date')) as Array<{ business_date: string }>;
  return new Set(rows.map((r) => r.business_date));
}
