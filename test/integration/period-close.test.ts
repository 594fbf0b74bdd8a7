// The SPC's month on the real dev server and Postgres (issue 18 items 4–7): charges for 2026-11
// (one provider replaced its upload, one never uploaded), payments, a cancellation and a correction
// before the close, the close of 2026-11 and the invoices of 2026-12; a payment and a cancellation
// after the close counting in 2026-12, whose close issues 2027-01. The balances are recomputed here
// from the rows the test wrote, not by the close's SQL; the period audit passes and catches a
// tampered balance.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { cancelPayment } from '../../client/payments';
import { decideCorrection, proposeCorrection } from '../../client/corrections';
import { PeriodActionError, periodCloseResult, startPeriodClose } from '../../client/periods';
import { decidePeriodClose } from '../../client/period-approval';
import { auditLedger, auditPeriod } from '../../audit';
import { loadLatestInvoiceLines } from '../../db/queries/invoices';
import { Money, formatAmount } from '../../domain/money';
import type { PaymentRequest } from '../../domain/payment-types';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld, ledgerBreaches } from '../support/payment-world';
import { recordHistory } from '../support/histories';
import { harnessEnv, runSpc } from './audit-helpers';
import { asOperator } from '../support/operators';
import { ensurePeriodSchedule } from '../../infra/period-schedule';
import { waitFor } from '../support/wait';
import type { PeriodTriggerResult } from '../../workflows/period-trigger';

jest.setTimeout(300_000);

const WATER_ACCOUNT = '1000000009';
const run = randomBytes(3).toString('hex');
let seq = 0;
let h: Harness;

type Key = string; // account/service
type Figures = Record<Key, Money>;

/** Paid now: the bank-day is open, so the payment may still be cancelled or corrected by a repost. */
async function pay(overrides: Partial<PaymentRequest> = {}) {
  const outcome = await submitPaymentAsOfPaidAt(h.ctx, {
    bankCode: WORLD.bank, bankRef: `m-${run}-${++seq}`, channel: 'cash_desk', account: WORLD.account, amount: '100.00', ...overrides,
  });
  if (!outcome.ok) throw new Error(`payment rejected: ${outcome.code} ${outcome.message}`);
  return outcome.payment;
}

/** A done (or superseded) upload of a provider's charges, written as the intake would. */
async function upload(db: Knex, provider: string, period: string, version: number, state: 'done' | 'superseded', lines: Array<{ account: string; service: string; kind?: 'charge' | 'recalculation'; amount: string; forPeriod?: string }>) {
  const sha = randomBytes(32).toString('hex');
  const uploadId = `charges:${provider}:${period}:${sha.slice(0, 16)}`;
  await db('charge_uploads').insert({
    upload_id: uploadId, provider_id: provider, period: `${period}-01`, version, content_sha256: sha, state, row_count: lines.length, rows_done: lines.length,
    rows_accepted: lines.length, workflow_id: `upload-${uploadId}`,
  });
  await db('charge_lines').insert(lines.map((l, i) => ({
    upload_id: uploadId, line_no: i + 1, account_number: l.account, service_code: l.service, kind: l.kind ?? 'charge',
    for_period: `${l.forPeriod ?? period}-01`, amount: l.amount, reason: l.kind === 'recalculation' ? 'meter replaced' : null,
  })));
}

const idOf = async (bankRef: string): Promise<string> => String((await h.database.db('payments').where({ bank_code: WORLD.bank, bank_ref: bankRef }).first('id')).id);

/** Σ allocations of the given payments (database ids) per account/service, read from the rows. */
async function allocationsOf(paymentIds: string[]): Promise<Figures> {
  const rows = await h.database.db('allocations as a').join('payments as p', 'p.id', 'a.payment_id').whereIn('a.payment_id', paymentIds).select('p.account_number', 'a.service_code', 'a.amount');
  const out: Figures = {};
  for (const r of rows) out[`${r.account_number}/${r.service_code}`] = (out[`${r.account_number}/${r.service_code}`] ?? new Money(0)).add(r.amount);
  return out;
}

const add = (into: Figures, key: Key, amount: Money | string) => { into[key] = (into[key] ?? new Money(0)).add(amount); };

async function balancesOf(period: string): Promise<Record<Key, string>> {
  const rows = await h.database.db('period_balances').where({ period: `${period}-01` }).select('account_number', 'service_code', 'closing');
  return Object.fromEntries(rows.map((r) => [`${r.account_number}/${r.service_code}`, r.closing]));
}

/** Proposed by 'tester', approved by another person with an approving role (four eyes). */
async function close(period: string) {
  const started = await startPeriodClose(h.ctx, period, 'tester');
  expect(started.workflowId).toBe(`period:${period}`);
  expect(await decidePeriodClose(h.ctx, period, { operator: 'bob', role: 'supervisor', approve: true })).toMatchObject({ status: 'approved', proposedBy: 'tester' });
  return periodCloseResult(h.ctx, period);
}

beforeAll(async () => {
  h = await startHarness('period');
  const db = h.database.db;
  await createPaymentWorld(db);
  await db('personal_accounts').insert({ number: WATER_ACCOUNT, holder_name: 'Соседов С. С.', address: 'г. Алматы, пр. Абая, 10, кв. 6' });
  const [invoice] = await db('invoices').insert({ account_number: WATER_ACCOUNT, period: '2026-11-01', due_date: '2026-12-25' }).returning('id');
  await db('invoice_lines').insert({ invoice_id: invoice.id, service_code: 'CWATER', opening_balance: '0.00', charged: '1000.00', amount_due: '1000.00' });
  await db('billing_periods').insert([{ period: '2026-11-01' }, { period: '2026-12-01' }]);
});

afterAll(async () => {
  await h?.close();
});

describe('the period close', () => {
  it('closes 2026-11 and 2026-12 to the tiyn, issues the next invoices, and the audit proves both', async () => {
    const db = h.database.db;
    // Opening balances: the 2026-11 invoices (createPaymentWorld and the water account).
    const opening: Figures = {
      [`${WORLD.account}/ELEC`]: new Money('0'), [`${WORLD.account}/CWATER`]: new Money('100'), [`${WORLD.account}/SEWER`]: new Money('0'),
      [`${WORLD.accountNothingDue}/SEWER`]: new Money('-50'), [`${WATER_ACCOUNT}/CWATER`]: new Money('0'),
    };
    // AES uploaded twice (the first superseded); ALMATY_SU never uploads 2026-11. AES also sent 2026-12's charges early.
    await upload(db, 'AES', '2026-11', 1, 'superseded', [{ account: WORLD.account, service: 'ELEC', amount: '2500.00' }]);
    await upload(db, 'AES', '2026-11', 2, 'done', [
      { account: WORLD.account, service: 'ELEC', amount: '3000.00' },
      { account: WORLD.account, service: 'ELEC', kind: 'recalculation', amount: '-120.50', forPeriod: '2026-10' },
    ]);
    await upload(db, 'AES', '2026-12', 1, 'done', [{ account: WORLD.account, service: 'ELEC', amount: '3100.00' }]);

    const p1 = await pay({ amount: '1000.00', readings: [{ service: 'ELEC', value: '1620.000' }] });
    const p2 = await pay({ amount: '450.00' });
    expect((await cancelPayment(h.ctx, WORLD.bank, p2.bankRef, 'typed twice')).ok).toBe(true);
    const p3 = await pay({ amount: '200.00' });
    const ctx = { ...h.ctx, db };
    const proposed = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: p3.bankRef, kind: 'move', target: { account: WATER_ACCOUNT }, reason: 'neighbour\'s account', operator: 'alice' });
    expect((await decideCorrection(ctx, proposed.correctionId, { operator: 'bob', role: 'supervisor', approve: true })).status).toBe('applied');
    const replacement = await db('corrections').where({ id: proposed.correctionId }).first('replacement_payment_id');
    expect(replacement.replacement_payment_id).not.toBeNull();

    const nov = await close('2026-11');
    expect(nov.missingProviders).toEqual(['ALMATY_SU']);
    expect(nov.nextPeriod).toBe('2026-12');
    expect(nov.dueDate).toBe('2027-01-25');

    // Independently: closing = opening + charged + recalculated − what still stands of the payments.
    const expectedNov: Figures = { ...opening };
    add(expectedNov, `${WORLD.account}/ELEC`, '3000.00');
    add(expectedNov, `${WORLD.account}/ELEC`, '-120.50');
    const standing = await allocationsOf([await idOf(p1.bankRef), String(replacement.replacement_payment_id)]);
    for (const [key, amount] of Object.entries(standing)) add(expectedNov, key, amount.neg());
    const novBalances = await balancesOf('2026-11');
    expect(novBalances).toEqual(Object.fromEntries(Object.entries(expectedNov).map(([k, v]) => [k, formatAmount(v)])));

    // The 2026-12 invoices: opening = closing, 2026-12's charges so far, due max(opening + charged, 0).
    const dec = await loadLatestInvoiceLines(db, [WORLD.account, WATER_ACCOUNT, WORLD.accountNothingDue]);
    for (const lines of dec.values()) {
      for (const l of lines) {
        const key = `${l.account_number}/${l.service_code}`;
        const charged = key === `${WORLD.account}/ELEC` ? new Money('3100') : new Money(0);
        expect({ key, period: l.period, due: l.due_date, opening: l.opening_balance, charged: l.charged, amountDue: l.amount_due, paid: l.paid })
          .toEqual({ key, period: '2026-12', due: expect.anything(), opening: novBalances[key], charged: formatAmount(charged), amountDue: formatAmount(Money.max(new Money(novBalances[key] as string).add(charged), 0)), paid: '0' });
      }
    }
    const elec = dec.get(WORLD.account)?.find((l) => l.service_code === 'ELEC');
    expect(elec?.previous_reading).toBe('1620.000');
    await expect(db.raw("UPDATE invoice_lines SET charged = 0 WHERE service_code = 'ELEC'")).rejects.toThrow(/immutable/);

    // After the close: a payment (on the 2026-12 invoice) and the cancellation of p1 count in 2026-12.
    const p4 = await pay({ amount: '300.00' });
    expect(String((await db('payments').where({ bank_code: WORLD.bank, bank_ref: p4.bankRef }).first('invoice_id')).invoice_id)).toBe(String(elec?.invoice_id));
    expect((await cancelPayment(h.ctx, WORLD.bank, p1.bankRef, 'wrong household')).ok).toBe(true);
    const decClose = await close('2026-12');
    expect(decClose.missingProviders).toEqual(['ALMATY_SU']);
    const expectedDec: Figures = Object.fromEntries(Object.entries(expectedNov).map(([k, v]) => [k, v]));
    add(expectedDec, `${WORLD.account}/ELEC`, '3100.00');
    for (const [key, amount] of Object.entries(await allocationsOf([await idOf(p4.bankRef)]))) add(expectedDec, key, amount.neg());
    for (const [key, amount] of Object.entries(await allocationsOf([await idOf(p1.bankRef)]))) add(expectedDec, key, amount);
    expect(await balancesOf('2026-12')).toEqual(Object.fromEntries(Object.entries(expectedDec).map(([k, v]) => [k, formatAmount(v)])));
    expect((await loadLatestInvoiceLines(db, [WORLD.account])).get(WORLD.account)?.[0]?.period).toBe('2027-01');

    for (const period of ['2026-11', '2026-12']) expect(await auditPeriod(db, period)).toMatchObject({ ok: true, breaches: [] });
    expect((await auditLedger(db, {})).ok).toBe(true);
    expect(await ledgerBreaches(db)).toEqual([]);
    // close-two-months.json is the shape before four eyes (kept to replay); this one is proposed and approved.
    await recordHistory(h.client, 'period', 'close-approved', 'period:2026-12');

    // A second start finds the close done; closing 2027-02 before 2027-01 is refused.
    expect((await startPeriodClose(h.ctx, '2026-12', 'tester')).alreadyStarted).toBe(true);
    await startPeriodClose(h.ctx, '2027-02', 'tester');
    await decidePeriodClose(h.ctx, '2027-02', { operator: 'bob', role: 'supervisor', approve: true });
    await expect(periodCloseResult(h.ctx, '2027-02')).rejects.toMatchObject({ code: 'PERIOD_OUT_OF_ORDER' });
    await expect(startPeriodClose(h.ctx, '2026-13', 'tester')).rejects.toBeInstanceOf(PeriodActionError);

    // A close the second person rejects fails with PERIOD_CLOSE_REJECTED and begins nothing (a month
    // no other test file closes: workflow ids are shared on the one dev server).
    await startPeriodClose(h.ctx, '2031-07', 'tester');
    expect(await decidePeriodClose(h.ctx, '2031-07', { operator: 'bob', role: 'supervisor', approve: false, note: 'charges not final' })).toMatchObject({ status: 'rejected', proposedBy: 'tester' });
    await expect(periodCloseResult(h.ctx, '2031-07')).rejects.toMatchObject({ code: 'PERIOD_CLOSE_REJECTED' });
    expect(await db('period_closes').where({ period: '2031-07-01' }).first()).toBeUndefined();
    await recordHistory(h.client, 'period', 'close-rejected', 'period:2031-07');

    // Tampering with a balance (its own arithmetic kept) is caught by the audit.
    await db.raw("UPDATE period_balances SET paid = paid + 1, closing = closing - 1 WHERE period = '2026-12-01' AND account_number = ? AND service_code = 'ELEC'", [WORLD.account]);
    const tampered = await auditPeriod(db, '2026-12');
    expect(tampered.ok).toBe(false);
    expect(new Set(tampered.breaches.map((b) => b.check))).toEqual(new Set(['paid', 'receivable', 'openings']));
  });

  it('spc period list|show|close and spc audit period, as the real CLI; bad input exits non-zero', async () => {
    const env = { ...harnessEnv(h), SPC_OPERATOR: undefined };
    const asAigerim = { ...env, ...(await asOperator(h.database.db, 'aigerim', 'supervisor')) };
    const asOperatorRole = { ...env, ...(await asOperator(h.database.db, 'dana', 'operator')) };
    const shown = await runSpc(['period', 'show', '--period', '2026-11', '--json'], env);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ period: '2026-11', state: 'closed', step: 'done', missingProviders: ['ALMATY_SU'], nextDueDate: '2027-01-25',
      providers: [{ provider: 'AES', uploadedVersion: 2 }, { provider: 'ALMATY_SU', uploadedVersion: null }] });
    const listed = JSON.parse((await runSpc(['period', 'list', '--json'], env)).stdout);
    expect(listed.map((r: { period: string; state: string }) => `${r.period}:${r.state}`)).toEqual(expect.arrayContaining(['2026-11:closed', '2026-12:closed', '2027-01:open']));

    expect((await runSpc(['audit', 'period', '--period', '2026-11'], env)).code).toBe(0);
    const tampered = await runSpc(['audit', 'period', '--period', '2026-12'], env); // tampered by the test above
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/BREACH receivable: provider AES/);

    const noOperator = await runSpc(['period', 'close', '--period', '2027-01'], env);
    expect(noOperator.code).not.toBe(0);
    // Closing issues every household's next invoice: an operator's role may not.
    const notAllowed = await runSpc(['period', 'close', '--period', '2027-01'], asOperatorRole);
    expect({ code: notAllowed.code, stderr: notAllowed.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('OPERATOR_ROLE_FORBIDDEN') });
    const bad = await runSpc(['period', 'close', '--period', '2027-1', '--operator', 'aigerim'], asAigerim);
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/YYYY-MM/) });
    const proposed = await runSpc(['period', 'close', '--period', '2027-01', '--operator', 'aigerim'], asAigerim);
    expect(proposed.code).toBe(0);
    expect(proposed.stdout).toMatch(/started period:2027-01\n {2}proposed by aigerim/);
    const waiting = await runSpc(['period', 'show', '--period', '2027-01'], env);
    expect(waiting.stdout).toMatch(/close proposed by aigerim, waiting for a second person/);

    // Four eyes: the proposer, an operator's role and nobody at all may not approve; a second supervisor may.
    const asBolat = { ...env, ...(await asOperator(h.database.db, 'bolat', 'admin')) };
    const self = await runSpc(['period', 'approve', '--period', '2027-01'], asAigerim);
    expect({ code: self.code, stderr: self.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('SELF_APPROVAL') });
    const byOperator = await runSpc(['period', 'approve', '--period', '2027-01'], asOperatorRole);
    expect({ code: byOperator.code, stderr: byOperator.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('ROLE_MAY_NOT_APPROVE') });
    expect((await runSpc(['period', 'approve', '--period', '2027-01'], env)).code).not.toBe(0);
    const approved = await runSpc(['period', 'approve', '--period', '2027-01', '--note', 'uploads checked on /ops', '--json'], asBolat);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ status: 'approved', proposedBy: 'aigerim', decision: { operator: 'bolat', approve: true, note: 'uploads checked on /ops' } });
    expect(await periodCloseResult(h.ctx, '2027-01')).toMatchObject({ period: '2027-01', nextPeriod: '2027-02', dueDate: '2027-03-25' });
    const again = await runSpc(['period', 'approve', '--period', '2027-01'], asBolat);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 1, stderr: expect.stringContaining('NOT_AWAITING_APPROVAL') });

    const trail = await h.database.db('operator_audit').whereIn('action', ['period.close', 'period.propose', 'period.approve'])
      .whereRaw("args->>'period' = '2027-01'").orderBy('id').select('operator', 'action', 'outcome');
    // Sorted: the CLI's 'period.close' and the workflow's 'period.propose' race.
    expect(trail.map((t) => `${t.operator} ${t.action} ${t.outcome}`).sort()).toEqual([
      'aigerim period.approve refused: SELF_APPROVAL',
      'aigerim period.close started',
      'aigerim period.propose ok',
      'bolat period.approve ok',
      'bolat period.approve refused: NOT_AWAITING_APPROVAL',
      'dana period.approve refused: ROLE_MAY_NOT_APPROVE',
    ]);
  });

  it('the monthly schedule closes the month that ended: its trigger finds 2026-11 closed already', async () => {
    const idPrefix = `t-${run}-`;
    expect(await ensurePeriodSchedule(h.client, { taskQueue: h.taskQueue, idPrefix })).toBe('created');
    expect(await ensurePeriodSchedule(h.client, { taskQueue: h.taskQueue, idPrefix })).toBe('unchanged');
    const handle = h.client.schedule.getHandle(`${idPrefix}period-schedule`);
    try {
      await handle.trigger();
      const action = await waitFor('the schedule to start its trigger', async () => (await handle.describe()).info.recentActions[0]);
      const started = action.action.workflow;
      const result: PeriodTriggerResult = await h.client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).result();
      // Triggered in December 2026 (the test's clock is the real one): the month before it.
      const now = new Date(Date.now() + 5 * 3_600_000).toISOString().slice(0, 7);
      if (now === '2026-12') expect(result).toEqual({ outcome: 'already_started', period: '2026-11', workflowId: 'period:2026-11' });
      else expect(result.workflowId).toBe(`period:${result.period}`);
      await recordHistory(h.client, 'period-trigger', 'already-closed', started.workflowId);
    } finally {
      await handle.delete();
    }
  });
});
