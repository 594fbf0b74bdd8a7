// Register rows whose payment was corrected before the close (issue 16, item 3): a move or resplit
// in the open day reverses the row's payment and posts a replacement `<ref>/K<seq>` with the same
// amount, so the row is present with its declared amount: neither the day's own register nor a late
// register of an earlier day shows a discrepancy. A refund takes the money out, and that shows.
// The expected figures are recomputed here from the payments table with decimal.js.
import Decimal from 'decimal.js';
import { ACCOUNTS, loadCalendar, recentBusinessDay, registerCsv, startApiWorld, waitFor, type ApiWorld } from './api-support';
import { createSettlementCloseActivities } from '../../activities/settlement-close';
import { makeDeps } from '../../activities/deps';
import { decideCorrection, proposeCorrection, type CorrectionClientContext } from '../../client/corrections';
import { addDays, isBusinessDay, nextBusinessDay, toAlmaty } from '../../domain/calendar';
import { settlementIdOf } from '../../domain/identifiers';

jest.setTimeout(300_000);

let w: ApiWorld;
let ctx: CorrectionClientContext;
let reconcile: ReturnType<typeof createSettlementCloseActivities>['reconcileBankDay'];
let seq = 0;
const ref = (tag: string) => `${tag}-${w.run}-${++seq}`;

beforeAll(async () => {
  w = await startApiWorld('reg-corr');
  ctx = { ...w.h.ctx, db: w.h.database.db };
  reconcile = createSettlementCloseActivities(makeDeps(w.h.database.db)).reconcileBankDay;
});

afterAll(async () => {
  await w?.close();
});

async function uploadDone(csv: string): Promise<string> {
  const res = await w.call('POST', '/v1/registers', { body: csv, contentType: 'text/csv' });
  expect(res.status).toBe(202);
  const id = res.body.id as string;
  await waitFor(`register ${id} done`, async () => {
    const r = await w.call('GET', `/v1/registers/${encodeURIComponent(id)}`);
    return r.body.status === 'done' ? r.body : undefined;
  });
  return id;
}

/** Moves a payment to another simple account (WASTE there too): the replacement keeps the amount. */
async function moveBeforeClose(bankRef: string, to: string): Promise<string> {
  const proposed = await proposeCorrection(ctx, { bankCode: 'HSBK', bankRef, kind: 'move', target: { account: to }, reason: 'wrong account typed', operator: 'alice' });
  const done = await decideCorrection(ctx, proposed.correctionId, { operator: 'bob', role: 'supervisor', approve: true });
  expect(done.applied).toMatchObject({ mode: 'reposted', replacementRef: `${bankRef}/${proposed.ref}` });
  return `${bankRef}/${proposed.ref}`;
}

/** The bank's accepted payments of a day, counted and summed independently of the reconciliation. */
async function acceptedBySql(date: string, refs?: string[]): Promise<{ count: number; total: string }> {
  const q = w.h.database.db('payments').where({ bank_code: 'HSBK', business_date: date, status: 'accepted' });
  const rows = await (refs ? q.whereIn('bank_ref', refs) : q).select('amount');
  return { count: rows.length, total: rows.reduce((t, r) => t.plus(new Decimal(r.amount)), new Decimal(0)).toFixed(2) };
}

it('reconciles the day\'s own register without a discrepancy when a row\'s payment was moved before the close', async () => {
  const calendar = await loadCalendar(w.h.database.db);
  const day = recentBusinessDay(calendar, 0);
  const rows = [
    { ref: ref('own'), account: ACCOUNTS.simple[0] as string, amount: '1596.00' },
    { ref: ref('own'), account: ACCOUNTS.simple[1] as string, amount: '1596.00' },
  ];
  const registerId = await uploadDone(registerCsv(day, rows));
  const replacement = await moveBeforeClose(rows[0]?.ref as string, ACCOUNTS.simple[4] as string);

  const result = await reconcileDay(day);
  const expected = await acceptedBySql(day);
  expect(expected).toEqual({ count: 2, total: new Decimal('1596.00').times(2).toFixed(2) });
  expect(await acceptedBySql(day, [replacement, rows[1]?.ref as string])).toEqual(expected);
  expect(result.register).toEqual({ registerIds: [registerId], declaredCount: 2, declaredTotal: '3192.00' });
  expect(result.accepted).toEqual(expected);
  expect(result.discrepancies).toEqual([]);
});

it('counts a late register\'s row whose payment was moved before the close as present, in the register and not in the day', async () => {
  const db = w.h.database.db;
  const calendar = await loadCalendar(db);
  const day = recentBusinessDay(calendar, 3);
  const next = nextBusinessDay(day, calendar);
  await db('bank_days').insert({ bank_code: 'HSBK', business_date: day, closed_at: new Date(Date.now() - 60_000) }).onConflict(['bank_code', 'business_date']).merge();
  const rows = [
    { ref: ref('late'), account: ACCOUNTS.simple[2] as string, amount: '1596.00' },
    { ref: ref('late'), account: ACCOUNTS.simple[3] as string, amount: '1596.00' },
  ];
  const registerId = await uploadDone(registerCsv(day, rows));
  const replacement = await moveBeforeClose(rows[0]?.ref as string, ACCOUNTS.simple[4] as string);
  expect((await db('payments').where({ bank_code: 'HSBK', bank_ref: replacement }).first('business_date')).business_date).toBe(next);

  const result = await reconcileDay(next);
  expect(result.register).toEqual({ registerIds: [registerId], declaredCount: 2, declaredTotal: '3192.00' });
  // The register's live figures are its rows' current payments: the replacement stands for row 1.
  expect(await acceptedBySql(next, [replacement, rows[1]?.ref as string])).toEqual({ count: 2, total: '3192.00' });
  expect(result.discrepancies).toEqual([]);
  // Nothing of the late register counts as the next day's own payments: the replacement is the register's.
  expect((await acceptedBySql(next)).count).toBe(2);
  expect(result.accepted).toEqual({ count: 0, total: '0.00' });
});

it('still shows a row whose payment was refunded before the close as withdrawn', async () => {
  const calendar = await loadCalendar(w.h.database.db);
  const day = recentBusinessDay(calendar, 1);
  const rows = [{ ref: ref('ref'), account: ACCOUNTS.simple[0] as string, amount: '1596.00' }];
  const registerId = await uploadDone(registerCsv(day, rows));
  const proposed = await proposeCorrection(ctx, { bankCode: 'HSBK', bankRef: rows[0]?.ref as string, kind: 'refund', reason: 'paid twice', operator: 'alice' });
  await decideCorrection(ctx, proposed.correctionId, { operator: 'bob', role: 'supervisor', approve: true });

  const result = await reconcileDay(day);
  expect(result.accepted).toEqual(await acceptedBySql(day));
  expect(result.accepted).toEqual({ count: 0, total: '0.00' });
  expect(result.discrepancies).toEqual(expect.arrayContaining([
    { kind: 'payment_count', declared: '1', posted: '0', difference: '-1' },
    expect.objectContaining({ kind: 'register_row_withdrawn', registerId, bankRef: rows[0]?.ref, code: 'corrected' }),
  ]));
});

it('reconciles a weekend register that arrives after the next business day closed in the day it arrives in, not nowhere', async () => {
  const db = w.h.database.db;
  const calendar = await loadCalendar(db);
  const today = toAlmaty(new Date()).date;
  // A non-business day within the register's ten days back whose next two business days are past.
  let off: string | undefined;
  for (let d = addDays(today, -9); d < today && !off; d = addDays(d, 1)) {
    if (!isBusinessDay(d, calendar) && nextBusinessDay(nextBusinessDay(d, calendar), calendar) < today) off = d;
  }
  if (!off) throw new Error(`no weekend or holiday in the ten days before ${today} with two business days after it`);
  const settlesIt = nextBusinessDay(off, calendar);
  const arrivesIn = nextBusinessDay(settlesIt, calendar);
  // CASP: a bank of its own in this file. Its settling day closed before the register came.
  await db('bank_days').insert({ bank_code: 'CASP', business_date: settlesIt, closed_at: new Date(Date.now() - 60_000) }).onConflict(['bank_code', 'business_date']).merge();
  const rows = [{ ref: ref('sat'), account: ACCOUNTS.simple[3] as string, amount: '1596.00' }, { ref: ref('sat'), account: '7100099999', amount: '100.00' }];
  const res = await w.call('POST', '/v1/registers', { body: registerCsv(off, rows), contentType: 'text/csv', key: w.keys.CASP });
  expect(res.status).toBe(202);
  await waitFor(`register ${res.body.id} done`, async () => {
    const r = await w.call('GET', `/v1/registers/${encodeURIComponent(res.body.id)}`, { key: w.keys.CASP });
    return r.body.status === 'done' ? r.body : undefined;
  });
  expect((await db('payments').where({ bank_code: 'CASP', bank_ref: rows[0]?.ref }).first('business_date')).business_date).toBe(arrivesIn);

  const result = await reconcile({ settlementId: settlementIdOf('CASP', arrivesIn), bankCode: 'CASP', businessDate: arrivesIn });
  expect(result.register).toEqual({ registerIds: [res.body.id], declaredCount: 2, declaredTotal: new Decimal('1596.00').plus('100.00').toFixed(2) });
  expect(result.discrepancies).toEqual(expect.arrayContaining([
    { kind: 'register_count', registerId: res.body.id, declared: '2', posted: '1', difference: '-1' },
    { kind: 'register_total', registerId: res.body.id, declared: '1696.00', posted: '1596.00', difference: '-100.00' },
  ]));
  // Its payment is the late register's, not the arrival day's own.
  expect(result.accepted).toEqual({ count: 0, total: '0.00' });
});

const reconcileDay = (date: string) => reconcile({ settlementId: settlementIdOf('HSBK', date), bankCode: 'HSBK', businessDate: date });
