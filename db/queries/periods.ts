// Reads of billing periods and their closes, for `spc period list|show` and /ops (issue 18 item 7).
import type { Knex } from 'knex';
import { periodDate, type PeriodAmounts } from '../../domain/period';

/** Periods listed at most by `spc period list`. */
export const PERIODS_LIST_MAX = 120;

export interface PeriodSummary {
  period: string;
  state: string;
  closedAt: Date | null;
  step: string | null;
  balances: number | null;
  invoicesIssued: number | null;
  missingProviders: string[];
  closingTotal: string | null;
}

export interface PeriodView extends PeriodSummary {
  workflowId: string | null;
  startedBy: string | null;
  paymentsCounted: number | null;
  totals: PeriodAmounts | null;
  nextDueDate: string | null;
  providers: Array<{ provider: string; uploadedVersion: number | null; closing: string | null }>;
}

const SUMMARY_COLUMNS = `to_char(b.period, 'YYYY-MM') AS period, b.state, b.closed_at, c.step, c.balances, c.invoices_issued,
  COALESCE(c.missing_providers, '{}') AS missing_providers, c.closing_total::text AS closing_total`;

function summaryOf(r: Record<string, unknown>): PeriodSummary {
  return {
    period: r.period as string, state: r.state as string, closedAt: (r.closed_at as Date | null) ?? null, step: (r.step as string | null) ?? null,
    balances: (r.balances as number | null) ?? null, invoicesIssued: (r.invoices_issued as number | null) ?? null,
    missingProviders: r.missing_providers as string[], closingTotal: (r.closing_total as string | null) ?? null,
  };
}

export async function listPeriods(db: Knex, limit = 24): Promise<PeriodSummary[]> {
  const { rows } = await db.raw(
    `SELECT ${SUMMARY_COLUMNS} FROM billing_periods b LEFT JOIN period_closes c ON c.period = b.period ORDER BY b.period DESC LIMIT ?`,
    [Math.min(Math.max(1, limit), PERIODS_LIST_MAX)],
  );
  return rows.map(summaryOf);
}

/** The period with its close's figures and every provider's upload and Σ closing; null when unknown. */
export async function loadPeriod(db: Knex, period: string): Promise<PeriodView | null> {
  const p = periodDate(period);
  const { rows } = await db.raw(
    `SELECT ${SUMMARY_COLUMNS}, c.workflow_id, c.started_by, c.payments_counted, c.opening_total::text, c.charged_total::text, c.recalculated_total::text,
            c.paid_total::text, c.corrected_total::text, to_char(c.next_due_date, 'YYYY-MM-DD') AS next_due_date
       FROM billing_periods b LEFT JOIN period_closes c ON c.period = b.period WHERE b.period = ?`,
    [p],
  );
  const r = rows[0];
  if (!r) return null;
  const providers = await db.raw(
    `SELECT pr.id AS provider,
            (SELECT max(u.version) FROM charge_uploads u WHERE u.provider_id = pr.id AND u.period = :p AND u.state = 'done') AS uploaded_version,
            (SELECT sum(closing)::text FROM period_balances pb WHERE pb.period = :p AND pb.provider_id = pr.id) AS closing
       FROM providers pr WHERE EXISTS (SELECT 1 FROM services s WHERE s.provider_id = pr.id) ORDER BY pr.id`,
    { p },
  );
  const totals = r.opening_total === null ? null : {
    opening: r.opening_total, charged: r.charged_total, recalculated: r.recalculated_total, paid: r.paid_total, corrected: r.corrected_total, closing: r.closing_total,
  };
  return {
    ...summaryOf(r), workflowId: r.workflow_id ?? null, startedBy: r.started_by ?? null, paymentsCounted: r.payments_counted ?? null, totals,
    nextDueDate: r.next_due_date ?? null,
    providers: providers.rows.map((x: Record<string, unknown>) => ({ provider: x.provider as string, uploadedVersion: (x.uploaded_version as number | null) ?? null, closing: (x.closing as string | null) ?? null })),
  };
}
