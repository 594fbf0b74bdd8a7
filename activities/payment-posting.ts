// Posting payments: validation against the invoice, allocation, business date, and the whole write
// (payments, allocations, one balanced ledger transaction each, meter readings) in one Postgres
// transaction, set-based. This is the one implementation: a single payment is a batch of one, a
// register posts its rows in batches of REGISTER_POST_BATCH_ROWS (activities/register.ts).
//
// Idempotent: the (bank_code, bank_ref) unique key is the final guard. A reference that is already
// posted (a retried batch, the same row in another file, the cashier's payment listed again in the
// evening register) comes back as `exists` with what was posted, for the caller to answer from.
import type { Knex } from 'knex';
import { Money, formatAmount, sum } from '../domain/money';
import { almatyToUtc, businessDateFor, nextBusinessDay, CalendarOverrides } from '../domain/calendar';
import { PaymentRejection, ValidPaymentRequest } from '../domain/payment-validation';
import { paymentWorkflowId, type Allocation, type PaymentAccepted } from '../domain/payment-types';
import type { BankRow } from './reference-cache';
import { allocate, checkReadings, loadInvoices, type ReadingToWrite } from './payment-invoice';

export interface WrittenBy {
  workflowId: string;
  runId: string;
}

/** How many closed bank-days in a row a payment may skip before we call the calendar broken. */
const CLOSED_DAYS_SKIP_MAX = 10;
/** Payments per posting transaction: bounded so that one transaction stays well under a second. */
export const POSTING_BATCH_ROWS_MAX = 2_000;

export interface PostingItem {
  valid: ValidPaymentRequest;
  requestHash: string;
  registerId?: string;
  pileNo?: string;
}

export interface PostingBatch {
  bank: BankRow;
  calendar: CalendarOverrides;
  writtenBy: WrittenBy;
  items: PostingItem[];
}

/** A payment already posted under the same reference (by this batch, or long before). */
export interface ExistingPayment {
  id: string;
  requestHash: string;
  account: string;
  amount: string;
  status: 'accepted' | 'cancelled' | 'excluded' | 'corrected';
  channel: string;
  workflowId: string;
}

export type PostingResult =
  | { kind: 'posted'; paymentId: string; accepted: PaymentAccepted }
  | { kind: 'exists'; existing: ExistingPayment }
  | { kind: 'rejected'; rejection: PaymentRejection };

/**
 * Locks the bank-day FOR SHARE (the settlement's close takes it FOR UPDATE) and returns the first
 * open business date from `date` on. A payment racing the close either commits before it, and is
 * in that day's settlement, or sees the day closed and moves to the next business day.
 */
export async function lockOpenBankDay(trx: Knex.Transaction, bankCode: string, date: string, cal: CalendarOverrides): Promise<string> {
  let candidate = date;
  for (let i = 0; i < CLOSED_DAYS_SKIP_MAX; i++) {
    const select = () => trx.raw<{ rows: Array<{ closed_at: Date | null }> }>(
      'SELECT closed_at FROM bank_days WHERE bank_code = ? AND business_date = ? FOR SHARE',
      [bankCode, candidate],
    );
    let row = await select();
    if (row.rows.length === 0) {
      await trx.raw('INSERT INTO bank_days (bank_code, business_date) VALUES (?, ?) ON CONFLICT DO NOTHING', [bankCode, candidate]);
      row = await select();
    }
    if (!row.rows[0]?.closed_at) return candidate;
    candidate = nextBusinessDay(candidate, cal);
  }
  throw new Error(`invariant: ${CLOSED_DAYS_SKIP_MAX} closed bank-days in a row after ${date} for ${bankCode}`);
}

export function closesAtFor(bank: BankRow, businessDate: string): string {
  return almatyToUtc(businessDate, bank.cutoff_local).toISOString();
}

interface Prepared {
  index: number;
  item: PostingItem;
  invoiceId: string;
  allocations: Allocation[];
  readings: ReadingToWrite[];
  businessDate: string;
}

/**
 * References of the batch that Postgres already holds, asked only for accounts that occur more
 * than once in the batch: such an item (a cashier's payment listed again in the evening register)
 * is answered from the payment it names, so its split must not count as paid for the items after
 * it (that payment is already in the read model's sums). A batch of distinct accounts, and a single
 * payment, costs no query.
 */
async function refsTakenOnRepeatedAccounts(trx: Knex.Transaction, batch: PostingBatch): Promise<Set<string>> {
  const perAccount = new Map<string, number>();
  for (const item of batch.items) perAccount.set(item.valid.account, (perAccount.get(item.valid.account) ?? 0) + 1);
  const refs = batch.items.filter((item) => (perAccount.get(item.valid.account) ?? 0) > 1).map((item) => item.valid.bankRef);
  if (refs.length === 0) return new Set();
  const { rows } = await trx.raw<{ rows: Array<{ bank_ref: string }> }>(
    'SELECT bank_ref FROM payments WHERE bank_code = ? AND bank_ref = ANY(?::text[])',
    [batch.bank.code, refs],
  );
  return new Set(rows.map((r) => r.bank_ref));
}

/** Adds a payment's split to what the batch already put on its invoice's lines. */
function addPaidInBatch(paid: Map<string, Map<string, Money>>, invoiceId: string, allocations: readonly Allocation[]): void {
  let lines = paid.get(invoiceId);
  if (!lines) paid.set(invoiceId, (lines = new Map()));
  for (const a of allocations) lines.set(a.service, (lines.get(a.service) ?? new Money(0)).plus(a.amount));
}

/**
 * The in-memory half: invoice checks, allocation and readings for each item, in order. Items of
 * one account are split as if they had come one after the other: a payment without lines is split
 * by what is still due after the read model's sums and the batch's earlier payments on that invoice.
 */
async function prepare(trx: Knex.Transaction, batch: PostingBatch, results: PostingResult[]): Promise<Prepared[]> {
  const invoices = await loadInvoices(trx, [...new Set(batch.items.map((i) => i.valid.account))]);
  const taken = await refsTakenOnRepeatedAccounts(trx, batch);
  const floors = new Map<string, Money>();
  const paidInBatch = new Map<string, Map<string, Money>>();
  const seenRefs = new Set<string>();
  const prepared: Prepared[] = [];
  const openDays = new Map<string, string>();
  for (const [index, item] of batch.items.entries()) {
    // A reference twice in one batch: the first is posted, the later ones answer from it.
    if (seenRefs.has(item.valid.bankRef)) continue;
    try {
      const invoice = invoices.get(item.valid.account);
      if (!invoice) throw new Error(`invariant: invoice of ${item.valid.account} was not loaded`);
      if (invoice instanceof PaymentRejection) throw invoice;
      const allocations = allocate(item.valid, invoice.lines, paidInBatch.get(invoice.invoiceId));
      const readings = checkReadings(item.valid, invoice.lines, floors);
      const dayAsked = businessDateFor(item.valid.paidAt, batch.bank.cutoff_local, batch.calendar);
      let businessDate = openDays.get(dayAsked);
      if (!businessDate) {
        businessDate = await lockOpenBankDay(trx, batch.bank.code, dayAsked, batch.calendar);
        openDays.set(dayAsked, businessDate);
      }
      for (const r of readings) floors.set(r.meterId, new Money(r.value));
      if (!taken.has(item.valid.bankRef)) addPaidInBatch(paidInBatch, invoice.invoiceId, allocations);
      seenRefs.add(item.valid.bankRef);
      prepared.push({ index, item, invoiceId: invoice.invoiceId, allocations, readings, businessDate });
    } catch (err) {
      if (!(err instanceof PaymentRejection)) throw err;
      results[index] = { kind: 'rejected', rejection: err };
    }
  }
  return prepared;
}

/** The ledger lines of one payment: debit the bank its total, credit each provider its share. */
function ledgerLines(p: Prepared, bankCode: string): Array<{ account: string; debit: string; credit: string }> {
  const byProvider = new Map<string, Money>();
  for (const a of p.allocations) byProvider.set(a.provider, (byProvider.get(a.provider) ?? new Money(0)).plus(a.amount));
  const credits = [...byProvider.entries()].sort(([x], [y]) => x.localeCompare(y));
  // Debits equal credits is asserted here and again by the ledger's deferred trigger.
  if (!sum(credits.map(([, v]) => v)).eq(p.item.valid.amount)) throw new Error('invariant: ledger credits differ from the payment total');
  return [
    { account: `bank:${bankCode}`, debit: formatAmount(p.item.valid.amount), credit: '0' },
    ...credits.map(([provider, v]) => ({ account: `provider:${provider}`, debit: '0', credit: formatAmount(v) })),
  ];
}

async function insertPayments(trx: Knex.Transaction, batch: PostingBatch, prepared: Prepared[]): Promise<Map<string, string>> {
  const col = <T>(f: (p: Prepared) => T) => prepared.map(f);
  const { rows } = await trx.raw<{ rows: Array<{ id: string; bank_ref: string }> }>(
    `INSERT INTO payments (bank_code, bank_ref, request_hash, channel, account_number, invoice_id, amount, paid_at, business_date,
                           status, register_id, pile_no, workflow_id, run_id)
     SELECT ?, ref, hash, channel, account, invoice, amount, paid_at, bdate, 'accepted', reg, pile, ?, ?
       FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::numeric[], ?::timestamptz[], ?::date[], ?::text[], ?::text[])
            AS t(ref, hash, channel, account, invoice, amount, paid_at, bdate, reg, pile)
     ON CONFLICT (bank_code, bank_ref) DO NOTHING RETURNING id, bank_ref`,
    [
      batch.bank.code, batch.writtenBy.workflowId, batch.writtenBy.runId,
      col((p) => p.item.valid.bankRef), col((p) => p.item.requestHash), col((p) => p.item.valid.channel), col((p) => p.item.valid.account),
      col((p) => p.invoiceId), col((p) => formatAmount(p.item.valid.amount)), col((p) => p.item.valid.paidAt.toISOString()), col((p) => p.businessDate),
      col((p) => p.item.registerId ?? null) as string[], col((p) => p.item.pileNo ?? null) as string[],
    ],
  );
  return new Map(rows.map((r) => [r.bank_ref, String(r.id)]));
}

async function insertPostings(trx: Knex.Transaction, batch: PostingBatch, posted: Array<Prepared & { paymentId: string }>): Promise<void> {
  const alloc = posted.flatMap((p) => p.allocations.map((a) => [p.paymentId, a.service, a.provider, a.amount] as const));
  const readings = posted.flatMap((p) => p.readings.map((r) => [r.meterId, p.paymentId, r.value, r.previous, p.item.valid.paidAt.toISOString()] as const));
  const ledger = posted.flatMap((p) => ledgerLines(p, batch.bank.code).map((l) => [p.paymentId, l.account, l.debit, l.credit] as const));
  const at = <T extends readonly unknown[], K extends number>(rows: T[], k: K) => rows.map((r) => r[k]);
  await trx.raw(
    `WITH tx AS (
       INSERT INTO ledger_transactions (kind, payment_id, business_date, workflow_id, run_id)
       SELECT 'payment', pid, bdate, ?, ? FROM unnest(?::bigint[], ?::date[]) AS t(pid, bdate)
       RETURNING id, payment_id
     ), alloc AS (
       INSERT INTO allocations (payment_id, service_code, provider_id, amount)
       SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::numeric[])
     ), readings AS (
       INSERT INTO meter_readings (meter_id, payment_id, value, previous_value, read_at)
       SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::numeric[], ?::numeric[], ?::timestamptz[])
     )
     INSERT INTO ledger_postings (transaction_id, account, debit, credit)
     SELECT tx.id, u.account, u.debit, u.credit
       FROM unnest(?::bigint[], ?::text[], ?::numeric[], ?::numeric[]) AS u(pid, account, debit, credit)
       JOIN tx ON tx.payment_id = u.pid`,
    [
      batch.writtenBy.workflowId, batch.writtenBy.runId, posted.map((p) => p.paymentId), posted.map((p) => p.businessDate),
      at(alloc, 0), at(alloc, 1), at(alloc, 2), at(alloc, 3),
      at(readings, 0), at(readings, 1), at(readings, 2), at(readings, 3), at(readings, 4),
      at(ledger, 0), at(ledger, 1), at(ledger, 2), at(ledger, 3),
    ],
  );
}

async function loadExisting(trx: Knex.Transaction, bankCode: string, refs: string[]): Promise<Map<string, ExistingPayment>> {
  if (refs.length === 0) return new Map();
  const rows = await trx('payments')
    .where({ bank_code: bankCode })
    .whereIn('bank_ref', refs)
    .select('id', 'bank_ref', 'request_hash', 'account_number', 'amount', 'status', 'channel', 'workflow_id');
  return new Map(rows.map((r) => [r.bank_ref, {
    id: String(r.id), requestHash: r.request_hash, account: r.account_number, amount: r.amount, status: r.status, channel: r.channel, workflowId: r.workflow_id,
  }]));
}

/** Posts a batch of validated payments in the caller's transaction; one result per item, in order. */
export async function postPayments(trx: Knex.Transaction, batch: PostingBatch): Promise<PostingResult[]> {
  if (batch.items.length > POSTING_BATCH_ROWS_MAX) throw new Error(`invariant: a posting batch holds at most ${POSTING_BATCH_ROWS_MAX} payments`);
  const results: PostingResult[] = new Array(batch.items.length);
  const prepared = await prepare(trx, batch, results);
  const inserted = prepared.length > 0 ? await insertPayments(trx, batch, prepared) : new Map<string, string>();
  const posted = prepared.flatMap((p) => {
    const paymentId = inserted.get(p.item.valid.bankRef);
    return paymentId ? [{ ...p, paymentId }] : [];
  });
  if (posted.length > 0) await insertPostings(trx, batch, posted);
  for (const p of posted) {
    results[p.index] = {
      kind: 'posted',
      paymentId: p.paymentId,
      accepted: {
        paymentId: paymentWorkflowId(batch.bank.code, p.item.valid.bankRef),
        bankCode: batch.bank.code,
        bankRef: p.item.valid.bankRef,
        status: 'accepted',
        businessDate: p.businessDate,
        amount: formatAmount(p.item.valid.amount),
        allocations: p.allocations,
        closesAt: closesAtFor(batch.bank, p.businessDate),
      },
    };
  }
  // Everything not posted and not rejected names a reference that is already taken.
  const taken = batch.items.flatMap((item, i) => (results[i] ? [] : [item.valid.bankRef]));
  const existing = await loadExisting(trx, batch.bank.code, [...new Set(taken)]);
  for (const [i, item] of batch.items.entries()) {
    if (results[i]) continue;
    const found = existing.get(item.valid.bankRef);
    if (!found) throw new Error(`invariant: payment ${batch.bank.code}/${item.valid.bankRef} neither posted nor found`);
    results[i] = { kind: 'exists', existing: found };
  }
  return results;
}
