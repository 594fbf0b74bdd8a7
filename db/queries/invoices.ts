// The invoice read model: the latest invoice of personal accounts, line by line, with what the
// period's payments already put on each line. One query for every entrance: the bank API's invoice
// and invoice image, the cashier page (through the API), and posting (activities/payment-invoice.ts),
// which splits a payment without per-service amounts by what is still due. A register's batch of
// 1,000 rows loads all its accounts at once.
//
// What counts as paid on a line (`paid`): the allocations of the payments posted to this invoice
// that still stand (status `accepted`). A cancelled or excluded payment was reversed, and a payment
// corrected before its day closed was reversed and replaced (the replacement is a payment of its
// own, counted on the invoice it was posted to): their money is not paid. A payment corrected after
// its day closed keeps its row and allocations, but its money now sits where the latest such
// correction put it: that correction's split counts instead, on the invoice of the same period of
// the account it now belongs to (a refund counts nowhere).
//
// The latest invoice is the newest period's highest version (issue 18: the close issues the next
// period's invoices, a correction a new version); an account's new period shows once issued. The
// payments posted to an earlier version of the same period count as paid on the newest.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

export interface InvoiceLineRow {
  account_number: string;
  holder_name: string;
  address: string;
  /** Null when the account has no invoice (then the other invoice columns are null too). */
  invoice_id: string | null;
  /** Billing month, YYYY-MM. */
  period: string | null;
  due_date: string | null;
  issued_at: Date | null;
  service_code: string | null;
  service_name: string | null;
  service_name_kk: string | null;
  unit: string | null;
  provider_id: string | null;
  provider_name: string | null;
  provider_bin: string | null;
  provider_iban: string | null;
  opening_balance: string | null;
  charged: string | null;
  amount_due: string | null;
  /** What the period's standing payments put on this line (NUMERIC text, '0' when nothing). */
  paid: string;
  meter_id: string | null;
  serial_no: string | null;
  previous_reading: string | null;
  /** The highest reading of a payment that still stands, or of the household's cabinet (never withdrawn): a cancelled payment's reading is no floor. */
  last_reading: string | null;
}

/**
 * The query, for one account (`one`: a single payment, a look-up) or for a list (`many`: a batch).
 * The same text but for how the accounts are matched; see loadLatestInvoiceLines for why two.
 */
export function latestInvoicesSql(shape: 'one' | 'many' | 'period'): string {
  const account = shape === 'one' ? '= ?::text' : '= ANY(?::text[])';
  // 'period': a list's invoices of one billing month (the paper and e-mail invoices of a period),
  // whatever was issued after it; the same columns and the same "paid" as the latest invoice's.
  const ofPeriod = shape === 'period' ? 'AND period = ?::date ' : '';
  return `
WITH inv AS MATERIALIZED (
  SELECT a.number AS account_number, a.holder_name, a.address, i.id AS invoice_id, i.period, i.due_date, i.issued_at
    FROM personal_accounts a
    LEFT JOIN LATERAL (SELECT id, period, due_date, issued_at FROM invoices WHERE account_number = a.number ${ofPeriod}ORDER BY period DESC, version DESC LIMIT 1) i ON true
   WHERE a.number ${account}
), adjusted AS MATERIALIZED (
  -- The latest after-close correction of each payment touching these accounts (see the header).
  SELECT DISTINCT ON (c.payment_id) c.payment_id, COALESCE(c.account_to, c.account_from) AS account, c.new_allocations
    FROM corrections c
   WHERE c.status = 'applied' AND c.mode = 'adjusted' AND (c.account_from ${account} OR c.account_to ${account})
   ORDER BY c.payment_id, c.n DESC
), received AS (
  -- LATERAL: an index range of the invoice's standing payments for each invoice asked, whatever
  -- the planner believes of the tables' sizes. As a join it hashed all of the period's standing
  -- payments for every batch once its estimates were stale: a cost that grew with the day.
  SELECT inv.invoice_id, r.service_code, r.amount
    FROM inv
    CROSS JOIN LATERAL (
      SELECT al.service_code, al.amount
        FROM payments py JOIN allocations al ON al.payment_id = py.id
       WHERE py.invoice_id IN (SELECT v.id FROM invoices v WHERE v.account_number = inv.account_number AND v.period = inv.period)
         AND py.status = 'accepted'
         AND NOT EXISTS (SELECT 1 FROM adjusted x WHERE x.payment_id = py.id)) r
  UNION ALL
  SELECT target.id, na.service, na.amount
    FROM adjusted x
    JOIN payments py ON py.id = x.payment_id AND py.status = 'accepted'
    JOIN invoices own ON own.id = py.invoice_id
    JOIN invoices target ON target.account_number = x.account AND target.period = own.period
    CROSS JOIN LATERAL jsonb_to_recordset(x.new_allocations) AS na(service text, amount numeric)
   WHERE target.id IN (SELECT invoice_id FROM inv)
), paid AS (
  SELECT invoice_id, service_code, sum(amount) AS amount FROM received GROUP BY invoice_id, service_code
)
SELECT inv.account_number, inv.holder_name, inv.address, inv.invoice_id, to_char(inv.period, 'YYYY-MM') AS period, inv.due_date, inv.issued_at,
       l.service_code, s.name_ru AS service_name, s.name_kk AS service_name_kk, s.unit, s.provider_id, p.name AS provider_name,
       p.bin AS provider_bin, p.iban AS provider_iban,
       l.opening_balance, l.charged, l.amount_due, COALESCE(paid.amount, 0) AS paid,
       l.meter_id, m.serial_no, l.previous_reading,
       GREATEST((SELECT max(r.value) FROM meter_readings r JOIN payments rp ON rp.id = r.payment_id
                  WHERE r.meter_id = l.meter_id AND rp.status = 'accepted'),
                (SELECT max(c.value) FROM cabinet_readings c WHERE c.meter_id = l.meter_id)) AS last_reading
  FROM inv
  LEFT JOIN invoice_lines l ON l.invoice_id = inv.invoice_id
  LEFT JOIN services s ON s.code = l.service_code
  LEFT JOIN providers p ON p.id = s.provider_id
  LEFT JOIN meters m ON m.id = l.meter_id
  LEFT JOIN paid ON paid.invoice_id = l.invoice_id AND paid.service_code = l.service_code
 ORDER BY inv.account_number, s.sort_order, l.service_code`;
}

/**
 * Both shapes run as named prepared statements, so each connection parses them once. The `one`
 * shape's plan is also kept: matching a single account by the primary key, its generic plan costs
 * what a plan for the call's own account does, and Postgres (plan_cache_mode auto) switches to it
 * after five calls. Planned afresh it cost about 4.5 ms of Postgres time per call, the most of a
 * single payment's posting; from the cache, under 1 ms. A list's generic plan would be costed for an
 * unknown number of accounts, so a batch is planned for its own (a few ms per 1,000 accounts). The
 * names carry the text's hash: a changed query is a new statement, never a clash on a connection.
 */
export const LATEST_INVOICES_STATEMENTS = { one: statementOf('one'), many: statementOf('many'), period: statementOf('period') } as const;

function statementOf(shape: 'one' | 'many' | 'period'): { name: string; sql: string } {
  const sql = latestInvoicesSql(shape);
  return { name: `spc_latest_invoices_${createHash('sha256').update(sql).digest('hex').slice(0, 16)}`, sql };
}

/**
 * The latest invoice's lines of each account, in invoice order. An account missing from the map is
 * not in the SPC database; one whose first row has no `invoice_id` (or no `service_code`) has no
 * invoice to pay.
 */
export async function loadLatestInvoiceLines(db: Knex | Knex.Transaction, accounts: readonly string[]): Promise<Map<string, InvoiceLineRow[]>> {
  const byAccount = new Map<string, InvoiceLineRow[]>();
  if (accounts.length === 0) return byAccount;
  const [statement, account] = accounts.length === 1
    ? [LATEST_INVOICES_STATEMENTS.one, accounts[0] as string]
    : [LATEST_INVOICES_STATEMENTS.many, [...accounts]];
  const { rows } = await db.raw<{ rows: InvoiceLineRow[] }>(statement.sql, [account, account, account]).options({ name: statement.name });
  for (const row of rows) {
    const lines = byAccount.get(row.account_number);
    if (lines) lines.push(row);
    else byAccount.set(row.account_number, [row]);
  }
  return byAccount;
}

/**
 * The lines of each account's invoice of `period` (YYYY-MM), in invoice order: the print run's and
 * the mail delivery's read, the same query as the latest invoice's (so the paper shows what the
 * cashier page shows). An account without an invoice of that period has a first row without `invoice_id`.
 */
export async function loadPeriodInvoiceLines(db: Knex | Knex.Transaction, accounts: readonly string[], period: string): Promise<Map<string, InvoiceLineRow[]>> {
  const byAccount = new Map<string, InvoiceLineRow[]>();
  if (accounts.length === 0) return byAccount;
  const list = [...accounts];
  const { rows } = await db.raw<{ rows: InvoiceLineRow[] }>(LATEST_INVOICES_STATEMENTS.period.sql, [`${period}-01`, list, list, list]).options({ name: LATEST_INVOICES_STATEMENTS.period.name });
  for (const row of rows) {
    const lines = byAccount.get(row.account_number);
    if (lines) lines.push(row);
    else byAccount.set(row.account_number, [row]);
  }
  return byAccount;
}
