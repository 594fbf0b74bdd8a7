// An invoice corrected after issue (issue 18): a correction applied to a payment that a closed
// period already counted changes what the account owes now, but the invoice the close issued is
// immutable. So the account's current invoice is issued again as a new version: the same lines, with
// the correction in `corrected` (+ the old split given back on the account the money left; − the new
// split taken on the account it went to, when the money moved by adjustments rather than by a
// replacement payment, which posts to that invoice itself). Opening stays the previous closing: the
// next close counts the correction in its own `corrected`. Runs in the correction's transaction.
import type { Knex } from 'knex';
import { Money, formatAmount, fromDb } from '../domain/money';
import type { Allocation } from '../domain/payment-types';

export interface ReissueInput {
  /** The payment the correction changed (the one a close may have counted). */
  paymentId: string;
  /** Per account, what goes back onto its lines: + given back, − taken on. */
  deltas: Array<{ account: string; allocations: Allocation[]; sign: 1 | -1 }>;
}

/** The period (first day) that counted the payment, if that period is closed. */
async function closedCountingPeriod(trx: Knex.Transaction, paymentId: string): Promise<string | null> {
  const row = await trx('period_counted as k').join('billing_periods as b', 'b.period', 'k.period')
    .where({ 'k.source': 'payment', 'k.source_id': paymentId, 'b.state': 'closed' }).first(trx.raw("to_char(k.period, 'YYYY-MM-DD') AS period"));
  return row?.period ?? null;
}

async function reissueOne(trx: Knex.Transaction, account: string, delta: Map<string, Money>, after: string): Promise<void> {
  // The account's current invoice, locked against a concurrent re-issue of the same version.
  const current = await trx('invoices').where({ account_number: account }).where('period', '>', after)
    .orderBy([{ column: 'period', order: 'desc' }, { column: 'version', order: 'desc' }]).forUpdate().first('id', 'period', 'due_date', 'version');
  if (!current) return; // the close issued it no invoice: the next close carries the correction
  const lines = await trx('invoice_lines').where({ invoice_id: current.id }).select('service_code', 'opening_balance', 'charged', 'corrected', 'meter_id', 'previous_reading');
  const [next] = await trx('invoices').insert({ account_number: account, period: current.period, due_date: current.due_date, version: current.version + 1 }).returning('id');
  const rows = lines.map((l) => {
    const corrected = fromDb(l.corrected).add(delta.get(l.service_code) ?? 0);
    delta.delete(l.service_code);
    return { ...l, corrected, invoice_id: next.id };
  });
  // A service the invoice no longer carries still gets its money back on a line of its own.
  for (const [service, amount] of delta) rows.push({ service_code: service, opening_balance: '0', charged: '0', corrected: amount, meter_id: null, previous_reading: null, invoice_id: next.id });
  await trx('invoice_lines').insert(rows.map((r) => ({
    ...r, corrected: formatAmount(r.corrected), amount_due: formatAmount(Money.max(fromDb(r.opening_balance).add(r.charged).add(r.corrected), 0)),
  })));
}

/** Issues the new versions; nothing when no closed period counted the payment. Returns the accounts re-issued. */
export async function reissueCorrectedInvoices(trx: Knex.Transaction, input: ReissueInput): Promise<string[]> {
  const period = await closedCountingPeriod(trx, input.paymentId);
  if (!period) return [];
  const perAccount = new Map<string, Map<string, Money>>();
  for (const d of input.deltas) {
    const lines = perAccount.get(d.account) ?? new Map<string, Money>();
    for (const a of d.allocations) lines.set(a.service, (lines.get(a.service) ?? new Money(0)).add(new Money(a.amount).mul(d.sign)));
    perAccount.set(d.account, lines);
  }
  const accounts = [...perAccount.keys()].sort(); // one lock order for every correction
  for (const account of accounts) await reissueOne(trx, account, perAccount.get(account) as Map<string, Money>, period);
  return accounts;
}
