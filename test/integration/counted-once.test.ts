// Money counted once (issue 16): a corrected payment cannot also be excluded at reconciliation, a
// duplicate complaint on a payment already cancelled proposes no refund of its standing twin, the
// ledger refuses TRUNCATE, and the ledger audit names what would have counted money twice or left a
// day short of settled. Real Postgres, real activities and the real correction workflow.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import Decimal from 'decimal.js';
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { decideCorrection, proposeCorrection, type CorrectionClientContext } from '../../client/corrections';
import { createSettlementCloseActivities } from '../../activities/settlement-close';
import { createPaymentActivities } from '../../activities/payment';
import { createComplaintActivities } from '../../activities/complaint';
import { makeDeps } from '../../activities/deps';
import { auditLedger, type LedgerReport } from '../../audit';
import { settlementIdOf } from '../../domain/identifiers';
import type { PaymentRequest } from '../../domain/payment-types';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld } from '../support/payment-world';
import { auditWeekday } from './audit-helpers';

jest.setTimeout(300_000);

let h: Harness;
let ctx: CorrectionClientContext;
let seq = 0;
const run = randomBytes(3).toString('hex');
const ref = (tag: string) => `${tag}-${run}-${++seq}`;
const writtenBy = { workflowId: 'counted-once-test', runId: 'counted-once-test' };

/** A past weekday of 2025 (the corrections test takes 2024's): settled days of other tests never collide with these. */
const pastWeekday = () => auditWeekday(2025);

async function accepted(date: string, overrides: Partial<PaymentRequest> = {}) {
  const outcome = await submitPaymentAsOfPaidAt(h.ctx, {
    bankCode: WORLD.bank, bankRef: ref('p'), channel: 'cash_desk', account: WORLD.account, amount: '1000.00', paidAt: `${date}T12:00:00+05:00`, ...overrides,
  });
  if (!outcome.ok) throw new Error(`payment rejected: ${outcome.code} ${outcome.message}`);
  return outcome.payment;
}

/** What the settlement's close leaves when the register does not match: the day closed, its settlement in discrepancy. */
async function closedInDiscrepancy(date: string): Promise<string> {
  const db = h.database.db;
  const id = settlementIdOf(WORLD.bank, date);
  await db('bank_days').insert({ bank_code: WORLD.bank, business_date: date, closed_at: new Date() }).onConflict(['bank_code', 'business_date']).merge();
  await db('settlements').insert({ id, bank_code: WORLD.bank, business_date: date, status: 'discrepancy', workflow_id: `test-${id}` });
  return id;
}

/** Per provider, what the pending adjustments of a payment's corrections will add to the next list (summed here, not by the code). */
async function pendingByProvider(bankRef: string): Promise<Record<string, string>> {
  const rows = await h.database.db.raw<{ rows: Array<{ provider_id: string; amount: string }> }>(
    `SELECT a.provider_id, a.amount::text AS amount FROM adjustments a JOIN corrections c ON c.id = a.correction_id
      WHERE c.bank_code = ? AND c.bank_ref = ? AND a.settlement_id IS NULL ORDER BY a.id`, [WORLD.bank, bankRef]);
  const sum = new Map<string, Decimal>();
  for (const r of rows.rows) sum.set(r.provider_id, (sum.get(r.provider_id) ?? new Decimal(0)).plus(r.amount));
  return Object.fromEntries([...sum].map(([p, d]) => [p, d.toFixed(2)]));
}

async function auditAfter(change: (trx: Knex.Transaction) => Promise<unknown>, opts: { now?: Date; stuckAfterHours?: number } = {}): Promise<LedgerReport> {
  const trx = await h.database.db.transaction();
  try {
    await change(trx);
    return await auditLedger(trx, {}, opts);
  } finally {
    await trx.rollback();
  }
}
const broken = (r: LedgerReport, check: string) => r.breaches.filter((b) => b.check === check);

beforeAll(async () => {
  h = await startHarness('counted-once');
  ctx = { ...h.ctx, db: h.database.db };
  await createPaymentWorld(h.database.db);
});

afterAll(async () => {
  await h?.close();
});

describe('money counted once', () => {
  it('refuses to exclude a payment refunded after the close (PAYMENT_CORRECTED): the refund alone takes its money off the lists', async () => {
    const db = h.database.db;
    const date = pastWeekday();
    const p = await accepted(date, { lines: [{ service: 'ELEC', amount: '1000.00' }] }); // AES 1000.00
    const settlementId = await closedInDiscrepancy(date);
    const proposed = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: p.bankRef, kind: 'refund', reason: 'paid twice', operator: 'alice' });
    const done = await decideCorrection(ctx, proposed.correctionId, { operator: 'bob', approve: true, role: 'supervisor' });
    expect(done.applied?.mode).toBe('adjusted');
    expect(await pendingByProvider(p.bankRef)).toEqual({ AES: '-1000.00' });

    const close = createSettlementCloseActivities(makeDeps(db));
    const result = await close.excludePayments({ settlementId, bankCode: WORLD.bank, businessDate: date, refs: [p.bankRef], writtenBy });
    expect(result).toMatchObject({ ok: false, code: 'PAYMENT_CORRECTED' });
    // Nothing half-written: the payment stands, no reversal, the exclusion is not recorded, the refund still pending once.
    expect((await db('payments').where({ bank_code: WORLD.bank, bank_ref: p.bankRef }).first('status')).status).toBe('accepted');
    const reversals = await db('ledger_transactions').join('payments', 'payments.id', 'ledger_transactions.payment_id')
      .where({ 'payments.bank_ref': p.bankRef, 'ledger_transactions.kind': 'reversal' }).count<{ n: string }[]>({ n: '*' });
    expect(reversals[0]?.n).toBe('0');
    expect((await db('settlements').where({ id: settlementId }).first('excluded_refs')).excluded_refs).toEqual([]);
    expect(await pendingByProvider(p.bankRef)).toEqual({ AES: '-1000.00' });

    // The audit names the state the old exclusion left: an excluded payment whose refund is still on its way to a list.
    const report = await auditAfter((trx) => trx('payments').where({ bank_code: WORLD.bank, bank_ref: p.bankRef }).update({ status: 'excluded', cancelled_at: new Date() }));
    expect(broken(report, 'excluded_with_adjustments').map((b) => b.keys)).toEqual([{ payment_id: expect.anything() }]);
    await db('settlements').where({ id: settlementId }).update({ status: 'settled' }).catch(() => undefined);
  });

  it('proposes no refund for a duplicate complaint on a payment already cancelled: its twin is the one that stands', async () => {
    const db = h.database.db;
    const date = pastWeekday();
    const first = await accepted(date, { amount: '777.00' });
    const twin = await accepted(date, { amount: '777.00', paidAt: `${date}T12:01:00+05:00` });
    const cancelled = await createPaymentActivities(makeDeps(db, { clock: () => new Date(`${date}T12:05:00+05:00`) }))
      .cancelPayment({ bankCode: WORLD.bank, bankRef: twin.bankRef, reason: 'paid twice', writtenBy });
    expect(cancelled).toMatchObject({ status: 'cancelled' });
    const complaints = createComplaintActivities(makeDeps(db));
    const opened = await complaints.openComplaint({
      complaintId: `complaint:${WORLD.bank}:${twin.bankRef}:dup`, bankCode: WORLD.bank, bankRef: twin.bankRef, disposition: 'DUPLICATE_PAYMENT',
      text: 'charged twice', raisedBy: `bank:${WORLD.bank}`, writtenBy,
    });
    expect(opened.twin).toBeNull();
    expect((await db('payments').where({ bank_code: WORLD.bank, bank_ref: first.bankRef }).first('status')).status).toBe('accepted');
  });

  it('audits a refund of a payment that no longer stands and a day stuck short of settled', async () => {
    const db = h.database.db;
    const date = pastWeekday();
    const p = await accepted(date);
    const settlementId = await closedInDiscrepancy(date);
    const proposed = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: p.bankRef, kind: 'refund', reason: 'paid twice', operator: 'alice' });
    await decideCorrection(ctx, proposed.correctionId, { operator: 'bob', approve: true, role: 'supervisor' });
    const fallen = await auditAfter((trx) => trx('payments').where({ bank_code: WORLD.bank, bank_ref: p.bankRef }).update({ status: 'cancelled', cancelled_at: new Date() }));
    expect(broken(fallen, 'refund_of_fallen_payment').map((b) => b.keys)).toEqual([{ correction_id: proposed.correctionId }]);

    const longAgo = new Date(Date.now() - 3 * 86_400_000);
    const stuck = await auditAfter((trx) => trx('settlements').where({ id: settlementId }).update({ created_at: longAgo }));
    expect(broken(stuck, 'bank_day_stuck').map((b) => b.keys)).toEqual([{ settlement_id: settlementId }]);
    const patient = await auditAfter((trx) => trx('settlements').where({ id: settlementId }).update({ created_at: longAgo }), { stuckAfterHours: 24 * 7 });
    expect(broken(patient, 'bank_day_stuck')).toEqual([]);
    expect(broken(await auditLedger(db), 'bank_day_stuck')).toEqual([]);
  });

  it('refuses TRUNCATE on the ledger, for the owner too', async () => {
    await expect(h.database.db.raw('TRUNCATE ledger_postings')).rejects.toThrow(/append-only/);
    await expect(h.database.db.raw('TRUNCATE ledger_transactions CASCADE')).rejects.toThrow(/append-only/);
  });
});
