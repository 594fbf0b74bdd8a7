// An invoice corrected after issue (issue 18): a correction applied to a payment the closed period
// 2033-01 counted issues a new version of the account's 2033-02 invoice (version 1 kept as issued),
// whose lines carry the correction in `corrected`; the invoice read (the cashier page's and GET
// /v1/accounts/{account}/invoice's query) shows the newest, with what was paid on version 1. The
// close of 2033-02 counts the correction once and the period audit passes.
import { randomBytes } from 'node:crypto';
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { decideCorrection, proposeCorrection } from '../../client/corrections';
import { decidePeriodClose } from '../../client/period-approval';
import { periodCloseResult, startPeriodClose } from '../../client/periods';
import { auditPeriod } from '../../audit';
import { loadLatestInvoiceLines } from '../../db/queries/invoices';
import { Money, formatAmount } from '../../domain/money';
import { startHarness, type Harness } from '../support/harness';
import { insertChargesUpload } from '../support/charges';
import { WORLD, createPaymentWorld, ledgerBreaches } from '../support/payment-world';

jest.setTimeout(300_000);

/** Months of this test's own: the close's workflow id is shared by every test file on the dev server. */
const PERIOD = '2033-01';
const NEXT = '2033-02';
const run = randomBytes(3).toString('hex');
let seq = 0;
let h: Harness;

async function pay(account: string, amount: string) {
  const outcome = await submitPaymentAsOfPaidAt(h.ctx, { bankCode: WORLD.bank, bankRef: `r-${run}-${++seq}`, channel: 'cash_desk', account, amount });
  if (!outcome.ok) throw new Error(`payment rejected: ${outcome.code} ${outcome.message}`);
  return outcome.payment.bankRef;
}

async function close(period: string) {
  await startPeriodClose(h.ctx, period, 'aigerim');
  await decidePeriodClose(h.ctx, period, { operator: 'bolat', role: 'supervisor', approve: true });
  return periodCloseResult(h.ctx, period);
}

async function allocationsOf(bankRef: string): Promise<Record<string, Money>> {
  const rows = await h.database.db('allocations as a').join('payments as p', 'p.id', 'a.payment_id').where({ 'p.bank_ref': bankRef }).select('a.service_code', 'a.amount');
  return Object.fromEntries(rows.map((r) => [r.service_code, new Money(r.amount)]));
}

beforeAll(async () => {
  h = await startHarness('invoice-reissue');
  const db = h.database.db;
  await createPaymentWorld(db);
  await db('billing_periods').insert({ period: `${PERIOD}-01` });
  const [inv] = await db('invoices').insert({ account_number: WORLD.account, period: `${PERIOD}-01`, due_date: '2033-02-25' }).returning('id');
  await db('invoice_lines').insert([
    { invoice_id: inv.id, service_code: 'ELEC', opening_balance: '0.00', charged: '3000.00', amount_due: '3000.00' },
    { invoice_id: inv.id, service_code: 'CWATER', opening_balance: '100.00', charged: '900.00', amount_due: '1000.00' },
    { invoice_id: inv.id, service_code: 'SEWER', opening_balance: '0.00', charged: '500.00', amount_due: '500.00' },
  ]);
  const [other] = await db('invoices').insert({ account_number: WORLD.accountNothingDue, period: `${PERIOD}-01`, due_date: '2033-02-25' }).returning('id');
  await db('invoice_lines').insert({ invoice_id: other.id, service_code: 'SEWER', opening_balance: '-50.00', charged: '0.00', amount_due: '0.00' });
  await insertChargesUpload(db, 'AES', PERIOD, [{ account: WORLD.account, service: 'ELEC', amount: '3000.00' }]);
  await insertChargesUpload(db, 'ALMATY_SU', PERIOD, [{ account: WORLD.account, service: 'CWATER', amount: '900.00' }, { account: WORLD.account, service: 'SEWER', amount: '500.00' }]);
});

afterAll(async () => {
  await h?.close();
});

it('issues a new version of the current invoice for a correction of a closed period\'s payment, and the next close counts it once', async () => {
  const db = h.database.db;
  const wrong = await pay(WORLD.account, '1000.00'); // belongs to the neighbour: corrected after the close
  await close(PERIOD);
  const closing: Record<string, Money> = Object.fromEntries((await db('period_balances').where({ period: `${PERIOD}-01`, account_number: WORLD.account }).select('service_code', 'closing'))
    .map((r) => [r.service_code, new Money(r.closing)]));
  const onV1 = await pay(WORLD.account, '200.00'); // posted to version 1 of 2033-02
  const v1 = await db('invoices').where({ account_number: WORLD.account, period: `${NEXT}-01` }).first('id', 'version');
  expect(v1.version).toBe(1);
  const v1Lines = await db('invoice_lines').where({ invoice_id: v1.id }).orderBy('service_code').select('service_code', 'opening_balance', 'charged', 'corrected', 'amount_due');

  const ctx = { ...h.ctx, db };
  const proposed = await proposeCorrection(ctx, {
    bankCode: WORLD.bank, bankRef: wrong, kind: 'move', target: { account: WORLD.accountNothingDue, lines: [{ service: 'SEWER', amount: '1000.00' }] }, reason: 'the neighbour\'s payment', operator: 'alice',
  });
  expect((await decideCorrection(ctx, proposed.correctionId, { operator: 'bob', role: 'supervisor', approve: true })).status).toBe('applied');

  // Version 1 stands as issued; version 2 gives the moved money back onto the lines it had paid.
  const versions = await db('invoices').where({ account_number: WORLD.account, period: `${NEXT}-01` }).orderBy('version').select('id', 'version');
  expect(versions.map((v) => v.version)).toEqual([1, 2]);
  expect(await db('invoice_lines').where({ invoice_id: v1.id }).orderBy('service_code').select('service_code', 'opening_balance', 'charged', 'corrected', 'amount_due')).toEqual(v1Lines);
  const given = await allocationsOf(wrong);
  const v2Lines = await db('invoice_lines').where({ invoice_id: versions[1].id }).orderBy('service_code').select('service_code', 'opening_balance', 'charged', 'corrected', 'amount_due');
  expect(v2Lines).toEqual(v1Lines.map((l) => {
    const corrected = given[l.service_code] ?? new Money(0);
    return { ...l, corrected: formatAmount(corrected), amount_due: formatAmount(Money.max(new Money(l.opening_balance).add(l.charged).add(corrected), 0)) };
  }));
  for (const l of v2Lines) expect(l.opening_balance).toBe(formatAmount(closing[l.service_code] as Money));

  // The read of the cashier page and GET /v1/accounts/{account}/invoice: the newest version, with what was paid on version 1.
  const paidOnV1 = await allocationsOf(onV1);
  const latest = [...((await loadLatestInvoiceLines(db, [WORLD.account])).get(WORLD.account) ?? [])].sort((a, b) => String(a.service_code).localeCompare(String(b.service_code)));
  expect(latest.map((l) => ({ invoice: String(l.invoice_id), service: l.service_code, due: l.amount_due, paid: formatAmount(new Money(l.paid)) })))
    .toEqual(v2Lines.map((l) => ({ invoice: String(versions[1].id), service: l.service_code, due: l.amount_due, paid: formatAmount(paidOnV1[l.service_code as string] ?? new Money(0)) })));
  const onV2 = await pay(WORLD.account, '300.00');
  expect(String((await db('payments').where({ bank_ref: onV2 }).first('invoice_id')).invoice_id)).toBe(String(versions[1].id));

  // The close of 2033-02 takes the opening from version 2 (= the closing) and counts the correction once, as corrected.
  await close(NEXT);
  const paidAfter = [await allocationsOf(onV1), await allocationsOf(onV2)];
  const expected = Object.fromEntries(Object.entries(closing).map(([service, amount]) => {
    let x = amount.add(given[service] ?? 0);
    for (const p of paidAfter) x = x.sub(p[service] ?? 0);
    return [service, formatAmount(x)];
  }));
  const dec = await db('period_balances').where({ period: `${NEXT}-01`, account_number: WORLD.account }).select('service_code', 'closing');
  expect(Object.fromEntries(dec.map((r) => [r.service_code, r.closing]))).toEqual(expected);
  for (const period of [PERIOD, NEXT]) expect(await auditPeriod(db, period)).toMatchObject({ ok: true, breaches: [] });
  expect(await ledgerBreaches(db)).toEqual([]);
});
