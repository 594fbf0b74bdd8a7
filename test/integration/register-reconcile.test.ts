// Registers at the settlement's reconciliation (activities/settlement-close.ts): a register is
// reconciled against the payments it produced or linked, wherever they landed. The same register
// re-sent with other bytes counts once; a linked row whose payment was cancelled counts for
// nothing; a register that arrives after its day closed is reconciled by the next open day.
import { ACCOUNTS, loadCalendar, recentBusinessDay, registerCsv, startApiWorld, waitFor, type ApiWorld } from './api-support';
import { createSettlementCloseActivities } from '../../activities/settlement-close';
import { makeDeps } from '../../activities/deps';
import { addDays, isBusinessDay, nextBusinessDay, toAlmaty } from '../../domain/calendar';
import { settlementIdOf } from '../../domain/identifiers';

jest.setTimeout(300_000);

let w: ApiWorld;
let reconcile: ReturnType<typeof createSettlementCloseActivities>['reconcileBankDay'];
let seq = 0;
const ref = (tag: string) => `${tag}-${w.run}-${++seq}`;

beforeAll(async () => {
  w = await startApiWorld('reg-recon');
  reconcile = createSettlementCloseActivities(makeDeps(w.h.database.db)).reconcileBankDay;
});

afterAll(async () => {
  await w?.close();
});

const reconcileDay = (date: string) => reconcile({ settlementId: settlementIdOf('HSBK', date), bankCode: 'HSBK', businessDate: date });

async function upload(csv: string): Promise<{ id: string }> {
  const res = await w.call('POST', '/v1/registers', { body: csv, contentType: 'text/csv' });
  expect(res.status).toBe(202);
  return res.body;
}

const waitDone = (id: string) =>
  waitFor(`register ${id} done`, async () => {
    const r = await w.call('GET', `/v1/registers/${encodeURIComponent(id)}`);
    return r.body.status === 'done' ? r.body : undefined;
  });

it('counts a register re-sent with a BOM and CRLF once, and a linked row whose payment was cancelled as nothing', async () => {
  const today = toAlmaty(new Date()).date;
  const linked = { bankRef: ref('cash'), account: ACCOUNTS.simple[0] as string, channel: 'cash_desk', amount: '1596.00' };
  expect((await w.call('POST', '/v1/payments', { json: linked })).status).toBe(201);
  const csv = registerCsv(today, [
    { ref: linked.bankRef, account: linked.account, amount: linked.amount },
    { ref: ref('pile'), account: ACCOUNTS.simple[1] as string, amount: '1596.00' },
  ]);
  const first = await upload(csv);
  const again = await upload(`\uFEFF${csv.replace(/\n/g, '\r\n')}`);
  expect(again.id).toBe(first.id);
  expect(await w.h.database.db('registers').where({ bank_code: 'HSBK', business_date: today }).count({ n: '*' }).first()).toEqual({ n: '1' });
  await waitDone(first.id);

  const cancelled = await w.call('POST', `/v1/payments/${linked.bankRef}/cancel`, { json: { reason: 'payer changed mind' } });
  expect(cancelled.status).toBe(200);

  const result = await reconcileDay(today);
  expect(result.register).toEqual({ registerIds: [first.id], declaredCount: 2, declaredTotal: '3192.00' });
  expect(result.discrepancies).toContainEqual(expect.objectContaining({ kind: 'register_row_withdrawn', registerId: first.id, bankRef: linked.bankRef, code: 'cancelled' }));
});

it('reconciles a register that arrives after its day closed in the settlement of the next open day', async () => {
  const calendar = await loadCalendar(w.h.database.db);
  const day = recentBusinessDay(calendar, 'registerReconcile');
  const next = nextBusinessDay(day, calendar);
  // What the settlement's close does to the bank-day: the register comes the next morning.
  await w.h.database.db('bank_days').insert({ bank_code: 'HSBK', business_date: day, closed_at: new Date(Date.now() - 60_000) }).onConflict(['bank_code', 'business_date']).merge();
  const good = ref('late');
  const bad = ref('late');
  const register = await upload(registerCsv(day, [
    { ref: good, account: ACCOUNTS.simple[2] as string, amount: '1596.00' },
    { ref: bad, account: '7100099999', amount: '100.00' },
  ]));
  await waitDone(register.id);
  const landed = await w.h.database.db('payments').where({ bank_code: 'HSBK', bank_ref: good }).first('business_date');
  expect(landed.business_date).toBe(next);

  const result = await reconcileDay(next);
  expect(result.register?.registerIds).toEqual([register.id]);
  expect(result.discrepancies).toEqual(expect.arrayContaining([
    { kind: 'register_count', registerId: register.id, declared: '2', posted: '1', difference: '-1' },
    { kind: 'register_total', registerId: register.id, declared: '1696.00', posted: '1596.00', difference: '-100.00' },
    expect.objectContaining({ kind: 'register_row_rejected', registerId: register.id, bankRef: bad, code: 'ACCOUNT_NOT_FOUND' }),
  ]));
  // Its payment is the late register's to account for, not the next day's own registers'.
  expect(result.discrepancies.filter((d) => d.kind === 'payment_count')).toEqual([]);
});

it('counts a register re-sent with one row changed once, as its newer version, not twice', async () => {
  const calendar = await loadCalendar(w.h.database.db);
  // Slot 2: a day of its own in this file (today and slot 4 are the other tests').
  const day = recentBusinessDay(calendar, 2);
  const rows = [
    { ref: ref('v'), account: ACCOUNTS.simple[0] as string, amount: '1596.00' },
    { ref: ref('v'), account: ACCOUNTS.simple[1] as string, amount: '1596.00' },
  ];
  const first = await upload(registerCsv(day, rows));
  await waitDone(first.id);
  const changed = [rows[0] as (typeof rows)[number], { ...(rows[1] as (typeof rows)[number]), amount: '1500.00' }];
  const second = await upload(registerCsv(day, changed));
  expect(second.id).not.toBe(first.id);
  await waitDone(second.id);

  const result = await reconcileDay(day);
  // One register's declaration (the newer one), not the sum of both (4 rows, 6288.00).
  expect(result.register).toEqual({ registerIds: [second.id], declaredCount: 2, declaredTotal: '3096.00' });
  // What was posted is the first version (the changed row conflicts with its reference): the difference shows.
  expect(result.accepted).toEqual({ count: 2, total: '3192.00' });
  expect(result.discrepancies).toEqual(expect.arrayContaining([
    { kind: 'payment_total', declared: '3096.00', posted: '3192.00', difference: '96.00' },
    expect.objectContaining({ kind: 'register_row_rejected', registerId: second.id, bankRef: rows[1]?.ref, code: 'REFERENCE_CONFLICT' }),
  ]));
  expect(result.discrepancies.filter((d) => d.kind === 'payment_count')).toEqual([]);
});

it('reconciles a register dated on a weekend or holiday in the settlement of the next business day', async () => {
  const calendar = await loadCalendar(w.h.database.db);
  // The latest non-business day before today, within the ten days a register may look back.
  let off = addDays(toAlmaty(new Date()).date, -1);
  while (isBusinessDay(off, calendar)) off = addDays(off, -1);
  const next = nextBusinessDay(off, calendar);
  // CASP: a bank of its own, so no other test's register or payment is in its days.
  const rows = [
    { ref: ref('sat'), account: ACCOUNTS.simple[3] as string, amount: '1596.00' },
    { ref: ref('sat'), account: '7100099999', amount: '100.00' },
  ];
  const res = await w.call('POST', '/v1/registers', { body: registerCsv(off, rows), contentType: 'text/csv', key: w.keys.CASP });
  expect(res.status).toBe(202);
  await waitFor(`register ${res.body.id} done`, async () => {
    const r = await w.call('GET', `/v1/registers/${encodeURIComponent(res.body.id)}`, { key: w.keys.CASP });
    return r.body.status === 'done' ? r.body : undefined;
  });
  const landed = await w.h.database.db('payments').where({ bank_code: 'CASP', bank_ref: rows[0]?.ref }).first('business_date');
  expect(landed.business_date).toBe(next);

  const result = await reconcile({ settlementId: settlementIdOf('CASP', next), bankCode: 'CASP', businessDate: next });
  expect(result.register).toEqual({ registerIds: [res.body.id], declaredCount: 2, declaredTotal: '1696.00' });
  expect(result.accepted).toEqual({ count: 1, total: '1596.00' });
  expect(result.discrepancies).toEqual(expect.arrayContaining([
    { kind: 'payment_count', declared: '2', posted: '1', difference: '-1' },
    expect.objectContaining({ kind: 'register_row_rejected', registerId: res.body.id, bankRef: rows[1]?.ref, code: 'ACCOUNT_NOT_FOUND' }),
  ]));
});
