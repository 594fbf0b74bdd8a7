// Posting one payment: validation against the invoice, allocation, business date, and the whole
// write (payment, allocations, balanced ledger transaction, meter readings) in one Postgres
// transaction. Idempotent: the (bank_code, bank_ref) unique key is the final guard, and a retry of
// an already committed posting returns the committed result.
import type { Knex } from 'knex';
import { Money, fromDb, formatAmount, sum } from '../domain/money';
import { splitProportionally, assertSharesSum, NothingToSplitError, Share } from '../domain/allocation';
import { almatyToUtc, businessDateFor, nextBusinessDay, CalendarOverrides } from '../domain/calendar';
import { PaymentRejection, ValidPaymentRequest } from '../domain/payment-validation';
import type { Allocation, PaymentAccepted } from '../domain/payment-types';
import type { BankRow } from './reference-cache';

export interface InvoiceLineRow {
  invoice_id: string | null;
  service_code: string | null;
  provider_id: string | null;
  amount_due: string | null;
  charged: string | null;
  meter_id: string | null;
  previous_reading: string | null;
  last_reading: string | null;
}

export interface WrittenBy {
  workflowId: string;
  runId: string;
}

/** How many closed bank-days in a row a payment may skip before we call the calendar broken. */
const CLOSED_DAYS_SKIP_MAX = 10;

export async function loadInvoice(trx: Knex.Transaction | Knex, account: string): Promise<{ invoiceId: string; lines: InvoiceLineRow[] }> {
  const { rows } = await trx.raw<{ rows: InvoiceLineRow[] }>(
    `SELECT i.id AS invoice_id, l.service_code, s.provider_id, l.amount_due, l.charged, l.meter_id, l.previous_reading,
            (SELECT max(r.value) FROM meter_readings r WHERE r.meter_id = l.meter_id) AS last_reading
       FROM personal_accounts a
       LEFT JOIN LATERAL (SELECT id FROM invoices WHERE account_number = a.number ORDER BY period DESC LIMIT 1) i ON true
       LEFT JOIN invoice_lines l ON l.invoice_id = i.id
       LEFT JOIN services s ON s.code = l.service_code
      WHERE a.number = ?
      ORDER BY s.sort_order, l.service_code`,
    [account],
  );
  if (rows.length === 0) throw new PaymentRejection('ACCOUNT_NOT_FOUND', `personal account ${account} is not in the SPC database: check the number on the invoice`);
  const first = rows[0];
  if (!first?.invoice_id || !first.service_code) throw new PaymentRejection('NO_INVOICE', `personal account ${account} has no invoice to pay`);
  return { invoiceId: first.invoice_id, lines: rows };
}

/** Splits the payment over the invoice's services: as given, or proportionally to the amounts due. */
export function allocate(valid: ValidPaymentRequest, lines: InvoiceLineRow[]): Allocation[] {
  const providerOf = new Map(lines.map((l) => [l.service_code as string, l.provider_id as string]));
  let shares: Share[];
  if (valid.lines) {
    for (const line of valid.lines) {
      if (!providerOf.has(line.service)) {
        throw new PaymentRejection('UNKNOWN_SERVICE', `service ${line.service} is not on the invoice of account ${valid.account}`, { service: line.service });
      }
    }
    shares = valid.lines.map((l) => ({ service: l.service, amount: l.amount }));
    assertSharesSum(valid.amount, shares);
  } else {
    try {
      shares = splitProportionally(
        valid.amount,
        lines.map((l) => ({ service: l.service_code as string, amountDue: fromDb(l.amount_due), charged: fromDb(l.charged) })),
      );
    } catch (err) {
      if (err instanceof NothingToSplitError) throw new PaymentRejection('NOTHING_DUE', err.message);
      throw err;
    }
  }
  return shares.map((s) => ({ service: s.service, provider: providerOf.get(s.service) as string, amount: formatAmount(s.amount) }));
}

export interface ReadingToWrite {
  meterId: string;
  value: string;
  previous: string;
}

export function checkReadings(valid: ValidPaymentRequest, lines: InvoiceLineRow[]): ReadingToWrite[] {
  const byService = new Map(lines.map((l) => [l.service_code as string, l]));
  return valid.readings.map((r) => {
    const line = byService.get(r.service);
    if (!line) throw new PaymentRejection('UNKNOWN_SERVICE', `service ${r.service} is not on the invoice of account ${valid.account}`, { service: r.service });
    if (!line.meter_id) throw new PaymentRejection('INVALID_READING', `service ${r.service} has no meter on account ${valid.account}`, { service: r.service });
    const candidates = [line.previous_reading, line.last_reading].filter((v): v is string => v !== null).map((v) => new Money(v));
    const previous = candidates.reduce((a, b) => (b.gt(a) ? b : a), new Money(0));
    if (r.value.lt(previous)) {
      throw new PaymentRejection('READING_BELOW_PREVIOUS', `meter reading ${r.value.toString()} for ${r.service} is below the previous reading ${previous.toString()}`, {
        service: r.service,
        previous: previous.toString(),
      });
    }
    return { meterId: line.meter_id, value: r.value.toFixed(3), previous: previous.toFixed(3) };
  });
}

/**
 * Locks the bank-day FOR SHARE (the settlement's close takes it FOR UPDATE) and returns the first
 * open business date from `date` on. A payment racing the close either commits before it, and is
 * in that day's settlement, or sees the day closed and moves to the next business day.
 */
export async function lockOpenBankDay(trx: Knex.Transaction, bankCode: string, date: string, cal: CalendarOverrides): Promise<string> {
  let candidate = date;
  for (let i = 0; i < CLOSED_DAYS_SKIP_MAX; i++) {
    let row = await trx.raw<{ rows: Array<{ closed_at: Date | null }> }>(
      'SELECT closed_at FROM bank_days WHERE bank_code = ? AND business_date = ? FOR SHARE',
      [bankCode, candidate],
    );
    if (row.rows.length === 0) {
      await trx.raw('INSERT INTO bank_days (bank_code, business_date) VALUES (?, ?) ON CONFLICT DO NOTHING', [bankCode, candidate]);
      row = await trx.raw('SELECT closed_at FROM bank_days WHERE bank_code = ? AND business_date = ? FOR SHARE', [bankCode, candidate]);
    }
    if (!row.rows[0]?.closed_at) return candidate;
    candidate = nextBusinessDay(candidate, cal);
  }
  throw new Error(`invariant: ${CLOSED_DAYS_SKIP_MAX} closed bank-days in a row after ${date} for ${bankCode}`);
}

export function closesAtFor(bank: BankRow, businessDate: string): string {
  return almatyToUtc(businessDate, bank.cutoff_local).toISOString();
}

export interface PostingArgs {
  valid: ValidPaymentRequest;
  requestHash: string;
  bank: BankRow;
  calendar: CalendarOverrides;
  registerId?: string;
  pileNo?: string;
  writtenBy: WrittenBy;
}

export type PostingResult = { kind: 'posted'; accepted: PaymentAccepted } | { kind: 'exists'; paymentId: string; requestHash: string };

export async function postInTransaction(trx: Knex.Transaction, args: PostingArgs): Promise<PostingResult> {
  const { valid, bank, writtenBy } = args;
  const invoice = await loadInvoice(trx, valid.account);
  const allocations = allocate(valid, invoice.lines);
  const readings = checkReadings(valid, invoice.lines);
  const businessDate = await lockOpenBankDay(trx, bank.code, businessDateFor(valid.paidAt, bank.cutoff_local, args.calendar), args.calendar);

  const inserted = await trx.raw<{ rows: Array<{ id: string }> }>(
    `INSERT INTO payments (bank_code, bank_ref, request_hash, channel, account_number, invoice_id, amount, paid_at, business_date,
                           status, register_id, pile_no, workflow_id, run_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'accepted', ?, ?, ?, ?)
     ON CONFLICT (bank_code, bank_ref) DO NOTHING RETURNING id`,
    [bank.code, valid.bankRef, args.requestHash, valid.channel, valid.account, invoice.invoiceId, formatAmount(valid.amount),
      valid.paidAt.toISOString(), businessDate, args.registerId ?? null, args.pileNo ?? null, writtenBy.workflowId, writtenBy.runId],
  );
  const paymentId = inserted.rows[0]?.id;
  if (!paymentId) {
    const existing = await trx('payments').where({ bank_code: bank.code, bank_ref: valid.bankRef }).first('id', 'request_hash');
    return { kind: 'exists', paymentId: existing.id, requestHash: existing.request_hash };
  }

  // Ledger: the bank owes the payment's total (debit bank:CODE); each provider is owed its share
  // (credit provider:ID). Debits equal credits is asserted here and again by a deferred trigger.
  const byProvider = new Map<string, Money>();
  for (const a of allocations) byProvider.set(a.provider, (byProvider.get(a.provider) ?? new Money(0)).plus(a.amount));
  const credits = [...byProvider.entries()].sort(([x], [y]) => x.localeCompare(y));
  if (!sum(credits.map(([, v]) => v)).eq(valid.amount)) throw new Error('invariant: ledger credits differ from the payment total');
  const accounts = [`bank:${bank.code}`, ...credits.map(([p]) => `provider:${p}`)];
  const debits = [formatAmount(valid.amount), ...credits.map(() => '0')];
  const creditAmounts = ['0', ...credits.map(([, v]) => formatAmount(v))];

  await trx.raw(
    `WITH tx AS (
       INSERT INTO ledger_transactions (kind, payment_id, business_date, workflow_id, run_id)
       VALUES ('payment', ?, ?, ?, ?) RETURNING id
     ), alloc AS (
       INSERT INTO allocations (payment_id, service_code, provider_id, amount)
       SELECT ?, s, p, a FROM unnest(?::text[], ?::text[], ?::numeric[]) AS t(s, p, a)
     ), readings AS (
       INSERT INTO meter_readings (meter_id, payment_id, value, previous_value, read_at)
       SELECT m, ?, v, pv, ? FROM unnest(?::bigint[], ?::numeric[], ?::numeric[]) AS t(m, v, pv)
     )
     INSERT INTO ledger_postings (transaction_id, account, debit, credit)
     SELECT tx.id, acct, d, c FROM tx, unnest(?::text[], ?::numeric[], ?::numeric[]) AS t(acct, d, c)`,
    [
      paymentId, businessDate, writtenBy.workflowId, writtenBy.runId,
      paymentId, allocations.map((a) => a.service), allocations.map((a) => a.provider), allocations.map((a) => a.amount),
      paymentId, valid.paidAt.toISOString(), readings.map((r) => r.meterId), readings.map((r) => r.value), readings.map((r) => r.previous),
      accounts, debits, creditAmounts,
    ],
  );

  return {
    kind: 'posted',
    accepted: {
      paymentId: writtenBy.workflowId,
      bankCode: bank.code,
      bankRef: valid.bankRef,
      status: 'accepted',
      businessDate,
      amount: formatAmount(valid.amount),
      allocations,
      closesAt: closesAtFor(bank, businessDate),
    },
  };
}

/** Rebuilds the acceptance of an already posted payment (a retried or repeated submission). */
export async function loadAccepted(db: Knex, bank: BankRow, bankRef: string, paymentWorkflowId: string): Promise<PaymentAccepted> {
  const payment = await db('payments').where({ bank_code: bank.code, bank_ref: bankRef }).first('id', 'amount', 'business_date');
  if (!payment) throw new Error(`invariant: payment ${bank.code}/${bankRef} vanished`);
  const allocations = await db('allocations as a')
    .join('services as s', 's.code', 'a.service_code')
    .where({ 'a.payment_id': payment.id })
    .orderBy([{ column: 's.sort_order' }, { column: 'a.service_code' }])
    .select('a.service_code', 'a.provider_id', 'a.amount');
  return {
    paymentId: paymentWorkflowId,
    bankCode: bank.code,
    bankRef,
    status: 'accepted',
    businessDate: payment.business_date,
    amount: payment.amount,
    allocations: allocations.map((a) => ({ service: a.service_code, provider: a.provider_id, amount: a.amount })),
    closesAt: closesAtFor(bank, payment.business_date),
  };
}
