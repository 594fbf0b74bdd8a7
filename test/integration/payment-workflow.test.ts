// The payment lifecycle on the real Temporal dev server and real Postgres.
import { cancelPayment, submitPayment } from '../../client/payments';
import { findPayment } from '../../db/queries/payments';
import { cancellationWorkflowId, paymentWorkflowId } from '../../domain/payment-types';
import type { PaymentRequest } from '../../domain/payment-types';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld, ledgerBreaches } from '../support/payment-world';
import { waitFor } from '../support/wait';

let h: Harness;
let seq = 0;
const ref = (tag: string) => `${tag}-${Date.now().toString(36)}-${++seq}`;
const pay = (overrides: Partial<PaymentRequest> = {}) =>
  submitPayment(h.ctx, { bankCode: WORLD.bank, bankRef: ref('p'), channel: 'cash_desk', account: WORLD.account, amount: '1000.00', ...overrides });

beforeAll(async () => {
  h = await startHarness('payment');
  await createPaymentWorld(h.database.db);
});

afterAll(async () => {
  await h?.close();
});

describe('payment workflow', () => {
  it('accepts 1000.00 without per-service amounts against a three-service invoice, allocating exactly 1000.00', async () => {
    const outcome = await pay({ amount: '1000.00' });
    if (!outcome.ok) throw new Error(`rejected: ${outcome.code}`);
    expect(outcome.payment.allocations).toEqual([
      { service: 'ELEC', provider: 'AES', amount: '666.67' },
      { service: 'CWATER', provider: 'ALMATY_SU', amount: '222.22' },
      { service: 'SEWER', provider: 'ALMATY_SU', amount: '111.11' },
    ]);
    const row = await h.database.db('payments').where({ bank_ref: outcome.payment.bankRef }).first();
    expect(row.amount).toBe('1000.00');
    expect(row.business_date).toBe(outcome.payment.businessDate);
    expect(row.workflow_id).toBe(outcome.payment.paymentId);
    const postings = await h.database.db('ledger_postings as p')
      .join('ledger_transactions as t', 't.id', 'p.transaction_id')
      .where('t.payment_id', row.id)
      .orderBy('p.account')
      .select('p.account', 'p.debit', 'p.credit');
    expect(postings).toEqual([
      { account: 'bank:HSBK', debit: '1000.00', credit: '0.00' },
      { account: 'provider:AES', debit: '0.00', credit: '666.67' },
      { account: 'provider:ALMATY_SU', debit: '0.00', credit: '333.33' },
    ]);
    expect(await ledgerBreaches(h.database.db)).toEqual([]);
  });

  it('takes per-service amounts as given and records a meter reading', async () => {
    const outcome = await pay({ amount: '1200.50', lines: [{ service: 'ELEC', amount: '1200.50' }], readings: [{ service: 'ELEC', value: '1612.5' }] });
    if (!outcome.ok) throw new Error(`rejected: ${outcome.code}`);
    expect(outcome.payment.allocations).toEqual([{ service: 'ELEC', provider: 'AES', amount: '1200.50' }]);
    const reading = await h.database.db('meter_readings').orderBy('id', 'desc').first();
    expect([reading.value, reading.previous_value]).toEqual(['1612.500', '1500.000']);
  });

  it('completes its workflow once posted, and the read model shows the payment', async () => {
    const outcome = await pay();
    if (!outcome.ok) throw new Error('rejected');
    const handle = h.client.workflow.getHandle(paymentWorkflowId(WORLD.bank, outcome.payment.bankRef));
    const final = await handle.result();
    expect(final.status).toBe('accepted');
    expect(final.accepted?.amount).toBe('1000.00');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    const record = await findPayment(h.database.db, WORLD.bank, outcome.payment.bankRef);
    expect(record).toMatchObject({ status: 'accepted', amount: '1000.00', workflowId: handle.workflowId, businessDate: outcome.payment.businessDate });
  });

  it('leaves no workflow open once a bank-day\'s payments are accepted, so its cut-off wakes nothing', async () => {
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => pay({ amount: `${10 + i}.00`, channel: 'online' })));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const ids = outcomes.map((o) => (o.ok ? `'${paymentWorkflowId(WORLD.bank, o.payment.bankRef)}'` : 'rejected'));
    const query = `WorkflowType = 'paymentWorkflow' AND TaskQueue = '${h.taskQueue}' AND WorkflowId IN (${ids.join(', ')})`;
    // Visibility lags a little behind the workflows themselves; the 20 are asked for by id, so that
    // workflows of the earlier tests do not make up the count while one of these still shows running.
    await waitFor('visibility', async () => (await h.client.workflow.count(`${query} AND ExecutionStatus = 'Completed'`)).count === 20);
    expect((await h.client.workflow.count(`${query} AND ExecutionStatus = 'Running'`)).count).toBe(0);
  });

  const rejections: Array<[string, Partial<PaymentRequest>, string]> = [
    ['an unknown bank', { bankCode: 'NOPE' }, 'UNKNOWN_BANK'],
    ['an unknown channel', { channel: 'fax' as never }, 'INVALID_REQUEST'],
    ['an unknown personal account', { account: '9999999999' }, 'ACCOUNT_NOT_FOUND'],
    ['an account without an invoice', { account: WORLD.accountWithoutInvoice }, 'NO_INVOICE'],
    ['a zero amount', { amount: '0.00' }, 'INVALID_AMOUNT'],
    ['a negative amount', { amount: '-5.00' }, 'INVALID_AMOUNT'],
    ['an amount finer than a tiyn', { amount: '10.005' }, 'INVALID_AMOUNT'],
    ['per-service amounts that do not sum to the total', { amount: '100.00', lines: [{ service: 'ELEC', amount: '60.00' }, { service: 'SEWER', amount: '30.00' }] }, 'AMOUNT_MISMATCH'],
    ['a service that is not on the invoice', { amount: '10.00', lines: [{ service: 'GAS', amount: '10.00' }] }, 'UNKNOWN_SERVICE'],
    ['an unknown service code', { amount: '10.00', lines: [{ service: 'TELEPORT', amount: '10.00' }] }, 'UNKNOWN_SERVICE'],
    ['a total with nothing due to split it by', { account: WORLD.accountNothingDue, amount: '10.00' }, 'NOTHING_DUE'],
    ['a reading for a service without a meter', { readings: [{ service: 'SEWER', value: '5' }] }, 'INVALID_READING'],
    ['a malformed reading', { readings: [{ service: 'ELEC', value: 'lots' }] }, 'INVALID_READING'],
    ['a meter reading below the previous one', { readings: [{ service: 'ELEC', value: '1499.999' }] }, 'READING_BELOW_PREVIOUS'],
  ];

  it.each(rejections)('rejects %s with %s, records why, and posts nothing', async (_what, overrides, code) => {
    const before = await h.database.db('payments').count({ n: '*' }).first();
    const outcome = await pay(overrides);
    expect(outcome).toMatchObject({ ok: false, code });
    if (outcome.ok) return;
    expect(outcome.message.length).toBeGreaterThan(10);
    const after = await h.database.db('payments').count({ n: '*' }).first();
    expect(after).toEqual(before);
    const recorded = await h.database.db('payment_rejections').orderBy('id', 'desc').first('code');
    expect(recorded.code).toBe(code);
  });

  it('lets a rejected reference be used again once corrected', async () => {
    const bankRef = ref('fixme');
    expect(await pay({ bankRef, amount: '0.00' })).toMatchObject({ ok: false, code: 'INVALID_AMOUNT' });
    expect(await pay({ bankRef, amount: '10.00' })).toMatchObject({ ok: true });
  });

  it('answers the same reference with the same content with the first result', async () => {
    const bankRef = ref('same');
    const first = await pay({ bankRef, amount: '1000' });
    const again = await pay({ bankRef, amount: '1000.00' });
    expect(first.ok).toBe(true);
    expect(again).toEqual(first);
  });

  it('refuses the same reference with other content as a conflict', async () => {
    const bankRef = ref('conflict');
    expect((await pay({ bankRef, amount: '500.00' })).ok).toBe(true);
    expect(await pay({ bankRef, amount: '501.00' })).toMatchObject({ ok: false, code: 'REFERENCE_CONFLICT' });
    const rows = await h.database.db('payments').where({ bank_ref: bankRef }).select('amount');
    expect(rows).toEqual([{ amount: '500.00' }]);
  });

  it('turns 50 concurrent submissions of one reference into exactly one payment', async () => {
    const bankRef = ref('burst');
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => pay({ bankRef, amount: '77.77', channel: 'online' })));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(new Set(outcomes.map((o) => JSON.stringify(o))).size).toBe(1);
    const rows = await h.database.db('payments').where({ bank_code: WORLD.bank, bank_ref: bankRef });
    expect(rows).toHaveLength(1);
    const ledger = await h.database.db('ledger_transactions').where({ payment_id: rows[0].id });
    expect(ledger).toHaveLength(1);
  });

  it('cancels before the bank-day closes with a balanced reversal, and answers a second cancel the same', async () => {
    const outcome = await pay({ amount: '300.00' });
    if (!outcome.ok) throw new Error('rejected');
    const bankRef = outcome.payment.bankRef;
    const cancelled = await cancelPayment(h.ctx, WORLD.bank, bankRef, 'payer changed mind');
    expect(cancelled).toMatchObject({ ok: true, cancellation: { status: 'cancelled', reversedAmount: '300.00' } });
    expect(await cancelPayment(h.ctx, WORLD.bank, bankRef)).toEqual(cancelled);
    const row = await h.database.db('payments').where({ bank_ref: bankRef }).first();
    expect(row.status).toBe('cancelled');
    const net = await h.database.db.raw(
      `SELECT p.account, sum(p.debit - p.credit) AS net FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id
        WHERE t.payment_id = ? GROUP BY p.account ORDER BY p.account`,
      [row.id],
    );
    expect(net.rows.map((r: { net: string }) => r.net)).toEqual(['0.00', '0.00', '0.00']);
    const cancellation = await h.client.workflow.getHandle(cancellationWorkflowId(WORLD.bank, bankRef)).result();
    expect(cancellation).toEqual(cancelled.ok && cancelled.cancellation);
    expect((await findPayment(h.database.db, WORLD.bank, bankRef))?.status).toBe('cancelled');
    expect(await ledgerBreaches(h.database.db)).toEqual([]);
  });

  it('refuses to cancel once the bank-day is closed', async () => {
    const outcome = await pay({ amount: '40.00' });
    if (!outcome.ok) throw new Error('rejected');
    await h.database.db('bank_days').where({ bank_code: WORLD.bank, business_date: outcome.payment.businessDate }).update({ closed_at: new Date() });
    try {
      expect(await cancelPayment(h.ctx, WORLD.bank, outcome.payment.bankRef)).toMatchObject({ ok: false, code: 'BANK_DAY_CLOSED' });
      const row = await h.database.db('payments').where({ bank_ref: outcome.payment.bankRef }).first();
      expect(row.status).toBe('accepted');
      // A payment arriving now belongs to the next business day.
      const later = await pay({ amount: '41.00' });
      expect(later.ok && later.payment.businessDate > outcome.payment.businessDate).toBe(true);
    } finally {
      await h.database.db('bank_days').where({ bank_code: WORLD.bank, business_date: outcome.payment.businessDate }).update({ closed_at: null });
    }
  });

  it('refuses to cancel a late payment whose bank-day cut-off has already passed', async () => {
    // Accepted on the previous weekday at 10:00 Almaty, that day still open: it belongs to that
    // day, whose cut-off (23:59) is behind us, so it can no longer be cancelled.
    let day = new Date(Date.now() - 86_400_000);
    while ([0, 6].includes(new Date(`${day.toISOString().slice(0, 10)}T00:00:00Z`).getUTCDay())) day = new Date(day.getTime() - 86_400_000);
    const paidAt = `${day.toISOString().slice(0, 10)}T10:00:00+05:00`;
    const outcome = await pay({ amount: '12.00', paidAt, channel: 'register' });
    if (!outcome.ok) throw new Error(`rejected: ${outcome.code}`);
    expect(outcome.payment.businessDate).toBe(paidAt.slice(0, 10));
    expect(await cancelPayment(h.ctx, WORLD.bank, outcome.payment.bankRef)).toMatchObject({ ok: false, code: 'BANK_DAY_CLOSED' });
    expect((await h.database.db('payments').where({ bank_ref: outcome.payment.bankRef }).first()).status).toBe('accepted');
  });

  it('refuses to cancel an unknown or rejected payment', async () => {
    expect(await cancelPayment(h.ctx, WORLD.bank, ref('ghost'))).toMatchObject({ ok: false, code: 'PAYMENT_NOT_FOUND' });
    const bankRef = ref('bad');
    await pay({ bankRef, account: '9999999999' });
    expect(await cancelPayment(h.ctx, WORLD.bank, bankRef)).toMatchObject({ ok: false, code: 'PAYMENT_REJECTED' });
  });

  it('keeps one bank\'s references apart from another\'s', async () => {
    const bankRef = ref('shared');
    const a = await pay({ bankRef, amount: '10.00' });
    const b = await pay({ bankRef, bankCode: WORLD.otherBank, amount: '20.00' });
    expect(a.ok && b.ok).toBe(true);
    expect(await h.database.db('payments').where({ bank_ref: bankRef }).count({ n: '*' }).first()).toEqual({ n: '2' });
  });
});
