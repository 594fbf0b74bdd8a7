// What a person should look at before approving (or after) a period's close, for the period page
// of /ops (issue 18): each provider's current upload against the upload deadline, and the
// exceptions of the period (a missing or late upload, refused charge rows, recalculations of
// earlier months, balances closing in credit). Reads only.
import type { Knex } from 'knex';
import { fromDb } from '../../domain/money';
import { nextPeriod, periodDate } from '../../domain/period';

/** Credit balances listed by name on the page; the rest are counted. */
export const CREDIT_BALANCES_LISTED_MAX = 20;

export interface ProviderUpload {
  provider: string;
  /** The current (done) upload's version, null when the provider sent none. */
  version: number | null;
  uploadedAt: string | null;
  rowsAccepted: number;
  rowsRefused: number;
  charged: string;
  recalculated: string;
  /** missing: no done upload; late: the current upload came after the deadline. */
  status: 'uploaded' | 'late' | 'missing';
}

export interface PeriodException {
  kind: 'missing_upload' | 'late_upload' | 'refused_rows' | 'recalculations' | 'credit_balances';
  provider: string | null;
  count: number;
  total: string | null;
  detail: string;
}

/**
 * The day by which providers upload a period's charges: billing_periods.charges_due when set, else
 * the 1st of the next month, when the monthly schedule proposes the close (an upload that day counts).
 */
export function uploadDeadlineOf(period: string, chargesDue: string | null): string {
  return chargesDue ?? periodDate(nextPeriod(period));
}

export async function loadProviderUploads(db: Knex, period: string, deadline: string): Promise<ProviderUpload[]> {
  const { rows } = await db.raw(
    `SELECT pr.id AS provider, u.version, u.created_at, COALESCE(u.rows_accepted, 0) AS rows_accepted, COALESCE(u.rows_refused, 0) AS rows_refused,
            COALESCE((SELECT sum(l.amount) FILTER (WHERE l.kind = 'charge') FROM charge_lines l WHERE l.upload_id = u.upload_id), 0)::text AS charged,
            COALESCE((SELECT sum(l.amount) FILTER (WHERE l.kind = 'recalculation') FROM charge_lines l WHERE l.upload_id = u.upload_id), 0)::text AS recalculated,
            u.created_at >= ((:deadline::date + 1)::timestamp AT TIME ZONE 'Asia/Almaty') AS late
       FROM providers pr
       LEFT JOIN charge_uploads u ON u.provider_id = pr.id AND u.period = :p AND u.state = 'done'
      WHERE EXISTS (SELECT 1 FROM services s WHERE s.provider_id = pr.id)
      ORDER BY pr.id`,
    { p: periodDate(period), deadline },
  );
  return rows.map((r: Record<string, unknown>) => ({
    provider: r.provider as string, version: (r.version as number | null) ?? null, uploadedAt: r.created_at ? (r.created_at as Date).toISOString() : null,
    rowsAccepted: Number(r.rows_accepted), rowsRefused: Number(r.rows_refused), charged: r.charged as string, recalculated: r.recalculated as string,
    status: r.version === null || r.version === undefined ? 'missing' : r.late ? 'late' : 'uploaded',
  }));
}

export async function loadPeriodExceptions(db: Knex, period: string, uploads: ProviderUpload[]): Promise<PeriodException[]> {
  const out: PeriodException[] = [];
  for (const u of uploads) {
    if (u.status === 'missing') out.push({ kind: 'missing_upload', provider: u.provider, count: 0, total: null, detail: `${u.provider} sent no charges for ${period}: its services carry their balance with no new charge` });
    if (u.status === 'late') out.push({ kind: 'late_upload', provider: u.provider, count: 1, total: null, detail: `${u.provider}'s current upload (v${u.version}) came after the upload deadline` });
    if (u.rowsRefused > 0) out.push({ kind: 'refused_rows', provider: u.provider, count: u.rowsRefused, total: null, detail: `${u.rowsRefused} row(s) of ${u.provider}'s upload v${u.version} were refused (spc provider charges show)` });
    if (!fromDb(u.recalculated).isZero()) {
      out.push({ kind: 'recalculations', provider: u.provider, count: 1, total: u.recalculated, detail: `${u.provider} recalculates earlier months by ${u.recalculated}` });
    }
  }
  const credit = await db.raw(
    `SELECT provider_id, count(*)::int AS n, sum(closing)::text AS total FROM period_balances WHERE period = ? AND closing < 0 GROUP BY provider_id ORDER BY provider_id`,
    [periodDate(period)],
  );
  for (const r of credit.rows as Array<{ provider_id: string; n: number; total: string }>) {
    out.push({ kind: 'credit_balances', provider: r.provider_id, count: r.n, total: r.total, detail: `${r.n} balance(s) with ${r.provider_id} close in credit (overpaid), Σ ${r.total}` });
  }
  return out;
}

/** The period's upload deadline (its charges_due, or the default); null when the period is unknown. */
export async function loadUploadDeadline(db: Knex, period: string): Promise<string | null> {
  const row = await db('billing_periods').where({ period: periodDate(period) }).first(db.raw("to_char(charges_due, 'YYYY-MM-DD') AS charges_due"));
  return row ? uploadDeadlineOf(period, row.charges_due ?? null) : null;
}
