// Chains of corrections and what an approval applies (issue 16, items 4a and 4b), on the real dev
// server and Postgres. A payment corrected before its day closed and again after can be corrected
// a third time, each correction on what the previous left, up to CORRECTIONS_APPLIED_PER_PAYMENT_MAX.
// An approval applies the split stored with the proposal (the one the approver saw), or refuses
// with CORRECTION_STALE when it no longer fits. Money is recomputed here from the tables with decimal.js.
import Decimal from 'decimal.js';
import { randomBytes } from 'node:crypto';
import { acceptedWorldPayment } from '../support/past-payment';
import { decideCorrection, proposeCorrection, type CorrectionClientContext } from '../../client/corrections';
import { CORRECTIONS_APPLIED_PER_PAYMENT_MAX } from '../../domain/correction-types';
import type { PaymentLineRequest, PaymentRequest } from '../../domain/payment-types';
import { startHarness, type Harness } from '../support/harness';
import { weekdaysFrom } from '../support/past-days';
import { WORLD, createPaymentWorld, ledgerBreaches } from '../support/payment-world';

jest.setTimeout(300_000);

/** ELEC 1000.00 and CWATER 1000.00 due: a payment moved here without lines is split half and half. */
const TWO_ACCOUNT = '1000000017';
const THREE_ACCOUNT = '1000000025';

let h: Harness;
let ctx: CorrectionClientContext;
let seq = 0;
const run = randomBytes(3).toString('hex');
const ref = (tag: string) => `${tag}-${run}-${++seq}`;

const pastWeekday = weekdaysFrom('2023-02-06', 300);

const accepted = (date: string, overrides: Partial<PaymentRequest> = {}) => acceptedWorldPayment(h.ctx, date, ref('p'), overrides);

/** What the settlement's close does to the bank-day, without a settlement. */
async function closeDay(date: string): Promise<void> {
  await h.database.db('bank_days').insert({ bank_code: WORLD.bank, business_date: date, closed_at: new Date() }).onConflict(['bank_code', 'business_date']).merge();
}

async function correct(bankRef: string, kind: 'move' | 'resplit', target: { account?: string; lines?: PaymentLineRequest[] }) {
  const proposed = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef, kind, target, reason: 'the payer asked', operator: 'alice' });
  return decideCorrection(ctx, proposed.correctionId, { operator: 'bob', role: 'supervisor', approve: true });
}

const split = (...lines: Array<[string, string]>): PaymentLineRequest[] => lines.map(([service, amount]) => ({ service, amount }));

/** Per provider, the money a payment's ledger split gives it (the allocations table). */
async function allocatedBySql(bankRef: string): Promise<Record<string, string>> {
  const rows = await h.database.db('allocations as a').join('payments as p', 'p.id', 'a.payment_id').where({ 'p.bank_ref': bankRef }).select('a.provider_id', 'a.amount');
  const out: Record<string, Decimal> = {};
  for (const r of rows) out[r.provider_id] = (out[r.provider_id] ?? new Decimal(0)).plus(r.amount);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.toFixed(2)]));
}

async function addInvoice(account: string, period: string, lines: Array<[string, string]>): Promise<void> {
  const db = h.database.db;
  await db('personal_accounts').insert({ number: account, holder_name: 'Тестов Т. Т.', address: 'г. Алматы, ул. Сатпаева, 1, кв. 2' }).onConflict('number').ignore();
  const [invoice] = await db('invoices').insert({ account_number: account, period, due_date: '2026-12-25' }).returning('id');
  await db('invoice_lines').insert(lines.map(([service, due]) => ({ invoice_id: invoice.id, service_code: service, opening_balance: '0.00', charged: due, amount_due: due })));
}

beforeAll(async () => {
  h = await startHarness('corr-chain');
  ctx = { ...h.ctx, db: h.database.db };
  await createPaymentWorld(h.database.db);
  await addInvoice(TWO_ACCOUNT, '2026-11-01', [['ELEC', '1000.00'], ['CWATER', '1000.00']]);
  await addInvoice(THREE_ACCOUNT, '2026-11-01', [['ELEC', '1000.00'], ['CWATER', '1000.00']]);
});

afterAll(async () => {
  await h?.close();
});

it('corrects a payment a third time after a correction before the close and one after it, each on what the previous left', async () => {
  const db = h.database.db;
  const date = pastWeekday();
  const p = await accepted(date);
  const first = await correct(p.bankRef, 'resplit', { lines: split(['ELEC', '450.00']) });
  expect(first.applied).toMatchObject({ mode: 'reposted' });
  const replacement = first.applied?.replacementRef as string;
  await closeDay(date);
  const second = await correct(p.bankRef, 'resplit', { lines: split(['CWATER', '450.00']) });
  expect(second.applied).toMatchObject({ mode: 'adjusted', adjustments: [{ provider: 'AES', amount: '-450.00' }, { provider: 'ALMATY_SU', amount: '450.00' }] });
  const third = await correct(p.bankRef, 'resplit', { lines: split(['ELEC', '200.00'], ['CWATER', '250.00']) });
  expect(third.applied).toMatchObject({ mode: 'adjusted', newAllocations: [{ service: 'ELEC', provider: 'AES', amount: '200.00' }, { service: 'CWATER', provider: 'ALMATY_SU', amount: '250.00' }] });

  // Independently: the replacement's ledger split plus every adjustment is the last split, per provider.
  const base = await allocatedBySql(replacement);
  expect(base).toEqual({ AES: '450.00' });
  const adjustments = await db('adjustments').whereIn('correction_id', [second.correctionId, third.correctionId]).select('provider_id', 'amount');
  const net: Record<string, Decimal> = Object.fromEntries(Object.entries(base).map(([k, v]) => [k, new Decimal(v)]));
  for (const a of adjustments) net[a.provider_id] = (net[a.provider_id] ?? new Decimal(0)).plus(a.amount);
  expect(Object.fromEntries(Object.entries(net).map(([k, v]) => [k, v.toFixed(2)]))).toEqual({ AES: '200.00', ALMATY_SU: '250.00' });
  expect(await db('corrections').where({ id: third.correctionId }).first('payment_id')).toEqual({ payment_id: (await db('payments').where({ bank_ref: replacement }).first('id')).id });
  expect(await ledgerBreaches(db)).toEqual([]);
});

it(`stops a chain at ${CORRECTIONS_APPLIED_PER_PAYMENT_MAX} applied corrections with CORRECTION_LIMIT`, async () => {
  const date = pastWeekday();
  const p = await accepted(date);
  await closeDay(date);
  const splits = [split(['ELEC', '450.00']), split(['CWATER', '450.00'])];
  for (let i = 0; i < CORRECTIONS_APPLIED_PER_PAYMENT_MAX; i++) {
    expect((await correct(p.bankRef, 'resplit', { lines: splits[i % 2] })).status).toBe('applied');
  }
  await expect(proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: p.bankRef, kind: 'resplit', target: { lines: splits[0] }, reason: 'again', operator: 'alice' }))
    .rejects.toMatchObject({ code: 'CORRECTION_LIMIT' });
});

it('applies exactly the split the approver saw, though the target invoice moved in between', async () => {
  const date = pastWeekday();
  const p = await accepted(date);
  const proposed = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: p.bankRef, kind: 'move', target: { account: TWO_ACCOUNT }, reason: 'wrong account', operator: 'alice' });
  const seen = [{ service: 'ELEC', provider: 'AES', amount: '225.00' }, { service: 'CWATER', provider: 'ALMATY_SU', amount: '225.00' }];
  expect(proposed.preview?.newAllocations).toEqual(seen);
  // The neighbour pays the electricity in full: a split computed now would put everything on water.
  await accepted(date, { account: TWO_ACCOUNT, amount: '1000.00', lines: split(['ELEC', '1000.00']) });

  const done = await decideCorrection(ctx, proposed.correctionId, { operator: 'bob', role: 'supervisor', approve: true });
  expect(done.applied).toMatchObject({ mode: 'reposted', newAllocations: seen });
  expect(await allocatedBySql(done.applied?.replacementRef as string)).toEqual({ AES: '225.00', ALMATY_SU: '225.00' });
  expect(await ledgerBreaches(h.database.db)).toEqual([]);
});

it('refuses the approval with CORRECTION_STALE when the approved split no longer fits the invoice, and changes nothing', async () => {
  const db = h.database.db;
  const date = pastWeekday();
  const p = await accepted(date);
  const proposed = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: p.bankRef, kind: 'move', target: { account: THREE_ACCOUNT }, reason: 'wrong account', operator: 'alice' });
  expect(proposed.preview?.newAllocations.map((a) => a.service)).toEqual(['ELEC', 'CWATER']);
  // A new month's invoice arrives for the target without electricity.
  await addInvoice(THREE_ACCOUNT, '2026-12-01', [['CWATER', '800.00']]);
  const before = await allocatedBySql(p.bankRef);
  expect(Object.values(before).reduce((t, v) => t.plus(v), new Decimal(0)).toFixed(2)).toBe('450.00');

  await expect(decideCorrection(ctx, proposed.correctionId, { operator: 'bob', role: 'supervisor', approve: true })).rejects.toMatchObject({ code: 'CORRECTION_STALE' });
  expect(await db('corrections').where({ id: proposed.correctionId }).first('status')).toEqual({ status: 'rejected' });
  expect(await db('payments').where({ bank_ref: p.bankRef }).first('status')).toEqual({ status: 'accepted' });
  expect(await db('payments').where('bank_ref', 'like', `${p.bankRef}/K%`).count<{ n: string }[]>({ n: '*' })).toEqual([{ n: '0' }]);
  expect(await allocatedBySql(p.bankRef)).toEqual(before);
  expect(await ledgerBreaches(db)).toEqual([]);
});
