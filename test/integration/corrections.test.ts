// Corrections on the real dev server and Postgres: a move before the close (reversal and
// replacement in the same day), four eyes (a self-approval is refused), and corrections after the
// day was settled, which the bank's next list carries as adjustment lines (netted per provider, a
// provider whose net would go negative carried forward), with a valid pain.001 and the ledger
// audit adding up.
import { randomBytes } from 'node:crypto';
import { acceptedWorldPayment } from '../support/past-payment';
import { confirmTransfers, getSettlementState, startSettlement, type SettlementState } from '../../client/settlements';
import { CorrectionActionError, decideCorrection, proposeCorrection, type CorrectionClientContext } from '../../client/corrections';
import { auditLedger } from '../../audit';
import type { PaymentRequest } from '../../domain/payment-types';
import { startHarness, type Harness } from '../support/harness';
import { weekdaysFrom } from '../support/past-days';
import { WORLD, createPaymentWorld, ledgerBreaches } from '../support/payment-world';
import { validateWithXsd } from '../support/xmllint';
import { waitFor } from '../support/wait';
import { recordHistory } from '../support/histories';
import { loadLatestInvoiceLines } from '../../db/queries/invoices';
import { Money, formatAmount } from '../../domain/money';

jest.setTimeout(300_000);

/** What the invoice read model counts as paid, per account and service (what is still due is derived from it). */
async function paidByLine(accounts: string[]): Promise<Record<string, Money>> {
  const lines = await loadLatestInvoiceLines(h.database.db, accounts);
  return Object.fromEntries([...lines.values()].flat().map((l) => [`${l.account_number}/${l.service_code}`, new Money(l.paid)]));
}

/** An account whose invoice is cold water only (ALMATY_SU): a payment moved there changes providers. */
const WATER_ACCOUNT = '1000000009';
const inTime = { confirmDeadlineMs: 600_000 };

let h: Harness;
let ctx: CorrectionClientContext;
let seq = 0;
const run = randomBytes(3).toString('hex');
const ref = (tag: string) => `${tag}-${run}-${++seq}`;

const pastWeekday = weekdaysFrom('2024-03-04', 300);

const accepted = (date: string, overrides: Partial<PaymentRequest> = {}) => acceptedWorldPayment(h.ctx, date, ref('p'), overrides);

const waitForStatus = (date: string, status: SettlementState['status']) =>
  waitFor(`settlement ${date} ${status}`, async () => {
    const s = await getSettlementState(h.ctx, WORLD.bank, date);
    return s?.status === status ? s : undefined;
  });

async function settleDay(date: string): Promise<SettlementState> {
  await startSettlement(h.ctx, WORLD.bank, date, { operator: 'tester', options: inTime });
  const delivered = await waitForStatus(date, 'delivered');
  const confirmed = await confirmTransfers(h.ctx, WORLD.bank, date, { transferRef: `TR-${date}` });
  if (!confirmed.ok) throw new Error(`confirmation refused: ${confirmed.code}`);
  await waitForStatus(date, 'settled');
  return delivered;
}

async function audit(action: string) {
  return h.database.db('operator_audit').whereRaw("args->>'correctionId' = ?", [action]).orderBy('id').select('operator', 'action', 'outcome');
}

beforeAll(async () => {
  h = await startHarness('corr');
  ctx = { ...h.ctx, db: h.database.db };
  await createPaymentWorld(h.database.db);
  const db = h.database.db;
  await db('personal_accounts').insert({ number: WATER_ACCOUNT, holder_name: 'Соседов С. С.', address: 'г. Алматы, пр. Абая, 10, кв. 6' });
  const [invoice] = await db('invoices').insert({ account_number: WATER_ACCOUNT, period: '2026-11-01', due_date: '2026-12-25' }).returning('id');
  await db('invoice_lines').insert({ invoice_id: invoice.id, service_code: 'CWATER', opening_balance: '0.00', charged: '1000.00', amount_due: '1000.00' });
});

afterAll(async () => {
  await h?.close();
});

describe('corrections', () => {
  it('moves a payment to the neighbour\'s account before the close: a reversal and a replacement in the same day', async () => {
    const date = pastWeekday();
    const p = await accepted(date); // AES 300.00, ALMATY_SU 150.00
    const proposed = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: p.bankRef, kind: 'move', target: { account: WATER_ACCOUNT }, reason: 'cashier typed the neighbour\'s account', operator: 'alice' });
    expect(proposed).toMatchObject({ status: 'proposed', correctionId: `correction:HSBK:${p.bankRef}:1`, preview: { accountFrom: WORLD.account, accountTo: WATER_ACCOUNT } });
    expect(proposed.preview?.newAllocations).toEqual([{ service: 'CWATER', provider: 'ALMATY_SU', amount: '450.00' }]);

    const done = await decideCorrection(ctx, proposed.correctionId, { operator: 'bob', approve: true, role: 'supervisor' });
    expect(done.status).toBe('applied');
    expect(done.applied).toMatchObject({ mode: 'reposted', businessDate: date, replacementRef: `${p.bankRef}/${proposed.ref}`, adjustments: [] });

    const db = h.database.db;
    expect(await db('payments').where({ bank_ref: p.bankRef }).first('status', 'business_date')).toEqual({ status: 'corrected', business_date: date });
    expect(await db('payments').where({ bank_ref: `${p.bankRef}/${proposed.ref}` }).first('status', 'business_date', 'account_number', 'amount'))
      .toEqual({ status: 'accepted', business_date: date, account_number: WATER_ACCOUNT, amount: '450.00' });
    expect(await ledgerBreaches(db)).toEqual([]);
    expect((await audit(proposed.correctionId)).map((a) => `${a.operator} ${a.action} ${a.outcome}`)).toEqual(['alice correction.propose ok', 'bob correction.approve ok']);

    const settled = await settleDay(date);
    expect(settled.lines.map((l) => [l.providerId, l.amount])).toEqual([['ALMATY_SU', '450.00']]);
    expect(settled.totals).toMatchObject({ payments: '900.00', reversals: '450.00', net: '450.00' });
    await recordHistory(h.client, 'correction', 'move-reposted', proposed.correctionId);
  });

  it('refuses every bypass of four eyes (a case variant of the proposer, the SPC\'s name, a role that does not approve) and records each', async () => {
    const date = pastWeekday();
    const p = await accepted(date);
    const proposed = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: p.bankRef, kind: 'refund', reason: 'paid twice', operator: 'alice' });
    const attempt = (decision: { operator: string; role?: string }) => decideCorrection(ctx, proposed.correctionId, { approve: true, ...decision }).catch((e: unknown) => e);
    expect(await attempt({ operator: 'Alice', role: 'supervisor' })).toMatchObject({ code: 'SELF_APPROVAL' });
    expect(await attempt({ operator: 'spc', role: 'admin' })).toMatchObject({ code: 'RESERVED_OPERATOR' });
    expect(await attempt({ operator: 'SPC', role: 'admin' })).toMatchObject({ code: 'RESERVED_OPERATOR' });
    expect(await attempt({ operator: 'alice2', role: 'operator' })).toMatchObject({ code: 'ROLE_MAY_NOT_APPROVE' });
    expect(await attempt({ operator: 'erlan', role: 'auditor' })).toMatchObject({ code: 'ROLE_MAY_NOT_APPROVE' });
    expect(await attempt({ operator: 'nobody' })).toMatchObject({ code: 'ROLE_MAY_NOT_APPROVE' });
    expect((await audit(proposed.correctionId)).map((a) => `${a.operator} ${a.action} ${a.outcome}`)).toEqual([
      'alice correction.propose ok',
      'Alice correction.approve refused: SELF_APPROVAL',
      'spc correction.approve refused: RESERVED_OPERATOR',
      'SPC correction.approve refused: RESERVED_OPERATOR',
      'alice2 correction.approve refused: ROLE_MAY_NOT_APPROVE',
      'erlan correction.approve refused: ROLE_MAY_NOT_APPROVE',
      'nobody correction.approve refused: ROLE_MAY_NOT_APPROVE',
    ]);
    expect((await h.database.db('payments').where({ bank_ref: p.bankRef }).first('status')).status).toBe('accepted');
    // An operator (not a supervisor) may still reject another's proposal: it changes no money.
    expect((await decideCorrection(ctx, proposed.correctionId, { operator: 'alice2', approve: false, role: 'operator' })).status).toBe('rejected');
    await settleDay(date);
  });

  it('refuses a self-approval with a typed failure, records it, and lets another operator reject', async () => {
    const date = pastWeekday();
    const p = await accepted(date);
    const proposed = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: p.bankRef, kind: 'refund', reason: 'paid twice', operator: 'alice', options: { reminderIntervalMs: 1_000 } });
    const refused = await decideCorrection(ctx, proposed.correctionId, { operator: 'alice', approve: true, role: 'supervisor' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CorrectionActionError);
    expect(refused).toMatchObject({ code: 'SELF_APPROVAL' });
    const waiting = await waitFor('a reminder', async () => {
      const s = await h.client.workflow.getHandle(proposed.correctionId).query<{ reminders: number; status: string }>('state');
      return s.reminders >= 1 ? s : undefined;
    });
    expect(waiting.status).toBe('proposed');
    const rejected = await decideCorrection(ctx, proposed.correctionId, { operator: 'carol', approve: false, note: 'the bank has not returned the money' });
    expect(rejected.status).toBe('rejected');
    expect((await audit(proposed.correctionId)).map((a) => `${a.operator} ${a.action} ${a.outcome}`))
      .toEqual(['alice correction.propose ok', 'alice correction.approve refused: SELF_APPROVAL', 'carol correction.reject ok']);
    expect((await h.database.db('payments').where({ bank_ref: p.bankRef }).first('status')).status).toBe('accepted');
    await expect(decideCorrection(ctx, proposed.correctionId, { operator: 'bob', approve: true, role: 'supervisor' })).rejects.toMatchObject({ code: 'NOT_AWAITING_DECISION' });
    await recordHistory(h.client, 'correction', 'self-approval-refused-rejected', proposed.correctionId);
    // The day is settled as every past day must be (the ledger audit's unsettled_bank_day check).
    await settleDay(date);
  });

  it('carries corrections of a settled day to the next list as netted adjustment lines, and the ledger audit adds up', async () => {
    const db = h.database.db;
    const day1 = pastWeekday();
    const moved = await accepted(day1); // AES 300.00, ALMATY_SU 150.00
    const refunded = await accepted(day1, { amount: '3000.00', lines: [{ service: 'ELEC', amount: '3000.00' }] }); // AES 3000.00
    const first = await settleDay(day1);
    expect(first.lines.map((l) => [l.providerId, l.amount])).toEqual([['AES', '3300.00'], ['ALMATY_SU', '150.00']]);

    const paidBefore = await paidByLine([WORLD.account, WATER_ACCOUNT]);
    const move = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: moved.bankRef, kind: 'move', target: { account: WATER_ACCOUNT }, reason: 'wrong account', operator: 'alice' });
    const moveDone = await decideCorrection(ctx, move.correctionId, { operator: 'bob', approve: true, role: 'supervisor' });
    expect(moveDone.applied).toMatchObject({ mode: 'adjusted', replacementRef: null, adjustments: [{ provider: 'AES', amount: '-300.00' }, { provider: 'ALMATY_SU', amount: '300.00' }] });
    const refund = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: refunded.bankRef, kind: 'refund', reason: 'paid twice', operator: 'bob' });
    const refundDone = await decideCorrection(ctx, refund.correctionId, { operator: 'alice', approve: true, role: 'supervisor' });
    expect(refundDone.applied?.adjustments).toEqual([{ provider: 'AES', amount: '-3000.00' }]);
    // The settled day stays as it was: its payments are untouched, the corrections are new transactions.
    expect((await db('payments').where({ bank_ref: moved.bankRef }).first('status')).status).toBe('accepted');
    await expect(proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: refunded.bankRef, kind: 'refund', reason: 'again', operator: 'bob' })).rejects.toMatchObject({ code: 'PAYMENT_NOT_CORRECTABLE' });
    // The invoices count the money where the corrections put it: the moved 450.00 on the neighbour's
    // cold water, the refunded 3000.00 nowhere (the payer has it back), so it is due again.
    const paidAfter = await paidByLine([WORLD.account, WATER_ACCOUNT]);
    const delta = Object.fromEntries(Object.entries(paidAfter).map(([k, v]) => [k, formatAmount(v.minus(paidBefore[k] ?? 0))]).filter(([, d]) => d !== '0.00'));
    expect(delta).toEqual({ [`${WORLD.account}/ELEC`]: '-3300.00', [`${WORLD.account}/CWATER`]: '-100.00', [`${WORLD.account}/SEWER`]: '-50.00', [`${WATER_ACCOUNT}/CWATER`]: '450.00' });

    const day2 = pastWeekday();
    await accepted(day2, { amount: '900.00' }); // AES 600.00, ALMATY_SU 300.00
    const next = await settleDay(day2);
    const ymd = day2.replace(/-/g, '');
    // AES: 600.00 - 300.00 - 3000.00 < 0, so both AES adjustments are carried forward; ALMATY_SU: 300.00 + 300.00.
    expect(next.lines.map(({ providerId, amount, endToEndId, adjustment }) => ({ providerId, amount, endToEndId, adjustment }))).toEqual([
      { providerId: 'AES', amount: '600.00', endToEndId: `HSBK${ymd}-001`, adjustment: undefined },
      { providerId: 'ALMATY_SU', amount: '600.00', endToEndId: `HSBK${ymd}-002${move.ref}`, adjustment: { amount: '300.00', refs: [move.ref] } },
    ]);
    expect(next.totals).toMatchObject({ payments: '900.00', reversals: '0.00', adjustments: '300.00', net: '1200.00' });
    expect(await db('adjustments').whereNull('settlement_id').orderBy('id').select('correction_id', 'provider_id', 'amount')).toEqual([
      { correction_id: move.correctionId, provider_id: 'AES', amount: '-300.00' },
      { correction_id: refund.correctionId, provider_id: 'AES', amount: '-3000.00' },
    ]);

    const file = await db('settlement_files').where({ settlement_id: `HSBK:${day2}`, format: 'pain001' }).first('content');
    const xml = (file.content as Buffer).toString('utf8');
    const lint = validateWithXsd(xml);
    expect(lint).toEqual({ ok: true, output: expect.stringContaining('validates') });
    expect(xml).toContain('<CtrlSum>1200.00</CtrlSum>');
    expect(xml).toContain(`<EndToEndId>HSBK${ymd}-002${move.ref}</EndToEndId>`);
    expect(xml).toContain(`корректировка ${move.ref} +300.00`);

    // The next list of the bank with enough for AES takes the carried adjustments, named in its EndToEndId.
    const day3 = pastWeekday();
    await accepted(day3, { amount: '5000.00', lines: [{ service: 'ELEC', amount: '5000.00' }] });
    const third = await settleDay(day3);
    expect(third.lines.map(({ providerId, amount, endToEndId, adjustment }) => ({ providerId, amount, endToEndId, adjustment }))).toEqual([
      { providerId: 'AES', amount: '1700.00', endToEndId: `HSBK${day3.replace(/-/g, '')}-001${move.ref}+1`, adjustment: { amount: '-3300.00', refs: [move.ref, refund.ref] } },
    ]);
    expect(await db('adjustments').whereNull('settlement_id').count<{ n: string }[]>({ n: '*' })).toEqual([{ n: '0' }]);
    await recordHistory(h.client, 'correction', 'move-adjusted', move.correctionId);
    const report = await auditLedger(db);
    expect(report.breaches).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['corrections_postings', 'lists_add_up']));
    // Σ lists over the three days = Σ net payments of those days + Σ adjustments (all applied now): 3450 + 1200 + 1700 = 3450 + 900 + 5000 - 3000.
    const lists = await db('settlement_lines').whereIn('settlement_id', [day1, day2, day3].map((d) => `HSBK:${d}`)).sum<{ s: string }[]>({ s: 'amount' });
    expect(lists[0]?.s).toBe('6350.00');
    expect((await auditLedger(db, { bank: 'HSBK' })).breaches).toEqual([]);
  });
});
