// Reads of the mail delivery (issue 20 item 2): a period's deliveries by state and its permanent
// failures per invoice and address, for `spc mail status` and the tests.
import type { Knex } from 'knex';

export async function mailDeliveryCounts(db: Knex, period: string): Promise<Record<string, number>> {
  const rows = await db('mail_deliveries').where({ period: `${period}-01` }).groupBy('state').select<Array<{ state: string; n: string }>>('state', db.raw('count(*) AS n'));
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

export interface MailFailureRow {
  invoiceId: string;
  account: string;
  email: string;
  state: 'failed' | 'uncertain';
  smtpCode: number | null;
  error: string | null;
}

/** Failed and uncertain deliveries of the period, at most `limit`, by invoice. */
export async function mailFailures(db: Knex, period: string, limit: number): Promise<MailFailureRow[]> {
  const rows = await db('mail_deliveries as d').join('invoices as i', 'i.id', 'd.invoice_id')
    .where('d.period', `${period}-01`).whereIn('d.state', ['failed', 'uncertain'])
    .orderBy(['d.invoice_id', 'd.email']).limit(limit)
    .select('d.invoice_id', 'i.account_number', 'd.email', 'd.state', 'd.smtp_code', 'd.error');
  return rows.map((r) => ({ invoiceId: String(r.invoice_id), account: r.account_number, email: r.email, state: r.state, smtpCode: r.smtp_code, error: r.error }));
}

export interface RecentMailFailureRow extends MailFailureRow {
  period: string;
  finishedAt: string | null;
}

/** The newest permanent failures (5xx, or out of attempts) and uncertain sends over all periods, for /ops. */
export async function recentMailFailures(db: Knex, limit: number): Promise<RecentMailFailureRow[]> {
  const rows = await db('mail_deliveries as d').join('invoices as i', 'i.id', 'd.invoice_id')
    .whereIn('d.state', ['failed', 'uncertain'])
    .orderByRaw('d.finished_at DESC NULLS LAST, d.invoice_id, d.email').limit(limit)
    .select('d.invoice_id', 'i.account_number', 'd.email', 'd.state', 'd.smtp_code', 'd.error', db.raw("to_char(d.period, 'YYYY-MM') AS period"), 'd.finished_at');
  return rows.map((r) => ({
    invoiceId: String(r.invoice_id), account: r.account_number, email: r.email, state: r.state, smtpCode: r.smtp_code, error: r.error,
    period: r.period, finishedAt: r.finished_at ? (r.finished_at as Date).toISOString() : null,
  }));
}
