// The personal cabinet's reads (issue 20 item 3). Every query takes the signed-in account and
// filters by it: a household reads only its own account (api/routes/cabinet.ts never passes an
// account from the request). Lists are bounded.
import type { Knex } from 'knex';

/** Invoices listed in the history: five years of months. */
export const CABINET_INVOICES_MAX = 60;
/** Payments listed: the latest this many. */
export const CABINET_PAYMENTS_MAX = 200;
/** Readings listed for a period. */
export const CABINET_READINGS_MAX = 100;

export async function findAccessCodeHash(db: Knex, account: string): Promise<string | null> {
  const row = await db('cabinet_access_codes').where({ account_number: account }).first('code_hash');
  return (row?.code_hash as string | undefined) ?? null;
}

/** Wrong codes since `since`, for this account and for this (hashed) client address. */
export async function countSignInFailures(db: Knex, account: string, ipSha256: string, since: Date): Promise<{ account: number; ip: number }> {
  const { rows } = await db.raw<{ rows: Array<{ account: string; ip: string }> }>(
    `SELECT (SELECT count(*) FROM cabinet_sign_in_failures WHERE account_number = ? AND at >= ?) AS account,
            (SELECT count(*) FROM cabinet_sign_in_failures WHERE ip_sha256 = ? AND at >= ?) AS ip`,
    [account, since, ipSha256, since],
  );
  return { account: Number(rows[0]?.account ?? 0), ip: Number(rows[0]?.ip ?? 0) };
}

/** The oldest failure still inside the window: when it leaves, a locked account or address may try again. */
export async function oldestFailureSince(db: Knex, column: 'account_number' | 'ip_sha256', value: string, since: Date): Promise<Date | null> {
  const row = await db('cabinet_sign_in_failures').where(column, value).where('at', '>=', since).min({ at: 'at' }).first();
  return (row?.at as Date | null | undefined) ?? null;
}

export interface CabinetSessionRow {
  account_number: string;
  csrf_sha256: string;
  expires_at: Date;
}

/** The live session of a token (not ended, not expired), or null. */
export async function findLiveSession(db: Knex, tokenSha256: string, now: Date): Promise<CabinetSessionRow | null> {
  const row = await db('cabinet_sessions')
    .where({ token_sha256: tokenSha256 }).whereNull('ended_at').where('expires_at', '>', now)
    .first('account_number', 'csrf_sha256', 'expires_at');
  return (row as CabinetSessionRow | undefined) ?? null;
}

export interface CabinetInvoiceRow {
  id: string;
  period: string;
  due_date: string;
  issued_at: Date;
  total_due: string;
}

/** The account's invoices, newest first. */
export async function listAccountInvoices(db: Knex, account: string): Promise<CabinetInvoiceRow[]> {
  return db('invoices as i')
    .leftJoin('invoice_lines as l', 'l.invoice_id', 'i.id')
    .where('i.account_number', account)
    .groupBy('i.id')
    .orderBy('i.period', 'desc')
    .limit(CABINET_INVOICES_MAX)
    .select('i.id', db.raw("to_char(i.period, 'YYYY-MM') AS period"), 'i.due_date', 'i.issued_at', db.raw('COALESCE(sum(l.amount_due), 0) AS total_due'));
}

export interface PrintLineRow {
  service_code: string;
  name_ru: string;
  name_kk: string;
  unit: string | null;
  provider_name: string;
  provider_bin: string;
  provider_iban: string;
  opening_balance: string;
  charged: string;
  amount_due: string;
  /** The invoice's standing payments on this line (accepted; a correction's re-split is not followed here). */
  paid: string;
  previous_reading: string | null;
}

/** One invoice of the account with its lines, for the PDF; null when the account has no invoice of that period. */
export async function loadAccountInvoiceForPrint(
  db: Knex, account: string, period: string,
): Promise<{ invoice: { id: string; holder_name: string; address: string; due_date: string }; lines: PrintLineRow[] } | null> {
  const invoice = await db('invoices as i')
    .join('personal_accounts as a', 'a.number', 'i.account_number')
    .where({ 'i.account_number': account, 'i.period': `${period}-01` })
    .first('i.id', 'a.holder_name', 'a.address', 'i.due_date');
  if (!invoice) return null;
  const lines = await db('invoice_lines as l')
    .join('services as s', 's.code', 'l.service_code')
    .join('providers as p', 'p.id', 's.provider_id')
    .where('l.invoice_id', invoice.id)
    .orderBy([{ column: 's.sort_order' }, { column: 'l.service_code' }])
    .select(
      'l.service_code', 's.name_ru', 's.name_kk', 's.unit', 'p.name as provider_name', 'p.bin as provider_bin', 'p.iban as provider_iban',
      'l.opening_balance', 'l.charged', 'l.amount_due', 'l.previous_reading',
      db.raw(`COALESCE((SELECT sum(al.amount) FROM payments py JOIN allocations al ON al.payment_id = py.id
                         WHERE py.invoice_id = l.invoice_id AND py.status = 'accepted' AND al.service_code = l.service_code), 0) AS paid`),
    );
  return { invoice, lines: lines as PrintLineRow[] };
}

export interface CabinetPaymentRow {
  bank_code: string;
  bank_name: string;
  bank_ref: string;
  channel: string;
  amount: string;
  paid_at: Date;
  business_date: string;
  status: string;
  period: string;
  /** The latest applied correction of the payment, if any. */
  corrected_kind: string | null;
  corrected_mode: string | null;
}

/** The account's payments, newest first. */
export async function listAccountPayments(db: Knex, account: string): Promise<CabinetPaymentRow[]> {
  const { rows } = await db.raw<{ rows: CabinetPaymentRow[] }>(
    `SELECT py.bank_code, b.name AS bank_name, py.bank_ref, py.channel, py.amount, py.paid_at, to_char(py.business_date, 'YYYY-MM-DD') AS business_date,
            py.status, to_char(i.period, 'YYYY-MM') AS period, c.kind AS corrected_kind, c.mode AS corrected_mode
       FROM payments py
       JOIN banks b ON b.code = py.bank_code
       JOIN invoices i ON i.id = py.invoice_id
       LEFT JOIN LATERAL (SELECT kind, mode FROM corrections WHERE payment_id = py.id AND status = 'applied' ORDER BY n DESC LIMIT 1) c ON true
      WHERE py.account_number = ?
      ORDER BY py.paid_at DESC, py.id DESC
      LIMIT ?`,
    [account, CABINET_PAYMENTS_MAX],
  );
  return rows;
}

/** Whether the account has a payment of this bank and reference (a complaint is raised on its own payments only). */
export async function accountHasPayment(db: Knex, account: string, bankCode: string, bankRef: string): Promise<boolean | 'other'> {
  const row = await db('payments').where({ bank_code: bankCode, bank_ref: bankRef }).first('account_number');
  if (!row) return false;
  return row.account_number === account ? true : 'other';
}

export interface PeriodReadingRow {
  service_code: string;
  value: string;
  previous_value: string;
  read_at: Date;
  source: 'cabinet' | 'bank';
  bank_code: string | null;
  channel: string | null;
}

/** The readings that count for the invoice (period): the cabinet's and the standing payments', oldest first. */
export async function listInvoiceReadings(db: Knex, invoiceId: string): Promise<PeriodReadingRow[]> {
  const { rows } = await db.raw<{ rows: PeriodReadingRow[] }>(
    `SELECT * FROM (
       SELECT m.service_code, c.value, c.previous_value, c.read_at, 'cabinet' AS source, NULL AS bank_code, NULL AS channel, c.id AS n
         FROM cabinet_readings c JOIN meters m ON m.id = c.meter_id WHERE c.invoice_id = ?
       UNION ALL
       SELECT m.service_code, r.value, r.previous_value, r.read_at, 'bank', p.bank_code, p.channel, r.id
         FROM meter_readings r JOIN payments p ON p.id = r.payment_id JOIN meters m ON m.id = r.meter_id
        WHERE p.invoice_id = ? AND p.status = 'accepted') x
      ORDER BY read_at, source, n
      LIMIT ?`,
    [invoiceId, invoiceId, CABINET_READINGS_MAX],
  );
  return rows;
}

/** The readings window the period's row sets (NULLs: the defaults of domain/meter-reading.ts). */
export async function findReadingsWindowDays(db: Knex, period: string): Promise<{ from: string | null; to: string | null }> {
  const row = await db('billing_periods').where({ period: `${period}-01` })
    .first(db.raw("to_char(readings_from, 'YYYY-MM-DD') AS from_day"), db.raw("to_char(readings_to, 'YYYY-MM-DD') AS to_day"));
  return { from: (row?.from_day as string | null | undefined) ?? null, to: (row?.to_day as string | null | undefined) ?? null };
}

/** Where to pay: the banks connected to the SPC (any of them takes the invoice). */
export async function listBanksForPayers(db: Knex): Promise<Array<{ code: string; name: string }>> {
  return db('banks').orderBy('name').limit(100).select('code', 'name');
}

/** The id of the account's invoice of a period (its latest version), or null. */
export async function findInvoiceIdOfPeriod(db: Knex, account: string, period: string): Promise<string | null> {
  const row = await db('invoices').where({ account_number: account, period: `${period}-01` }).orderBy('version', 'desc').first('id');
  return row ? (row.id as string) : null;
}
