// A bank's whole day through HTTP alone: look up, pay, be refused for the two classic errors
// (unknown account, amount mismatch), cancel, send the day's register, and once the SPC has
// settled the day, download the payment list as pain.001 and CSV and confirm the transfers.
// Only the start of the settlement is not the bank's: the SPC's schedule does it at the cut-off,
// here the test does it as that schedule would.
import { createHash } from 'node:crypto';
import { startSettlement } from '../../client/settlements';
import { API_KEY_PREFIX_CHARS } from '../../db/bank-keys';
import { buildApiServer } from '../../api/server';
import { parseSettlementCsv } from '../../domain/settlement-csv';
import { validateWithXsd } from '../support/xmllint';
import { ACCOUNTS, loadCalendar, recentBusinessDay, registerCsv, startApiWorld, waitFor, type ApiWorld } from './api-support';

jest.setTimeout(600_000);

let w: ApiWorld;
let day: string;
let seq = 0;
const ref = (tag: string) => `${tag}-${w.run}-${++seq}`;

beforeAll(async () => {
  w = await startApiWorld('api-day');
  day = recentBusinessDay(await loadCalendar(w.h.database.db), 'apiDay');
});

afterAll(async () => {
  await w?.close();
});

it('runs a bank\'s day through HTTP: look up, pay, refusals, cancel, register, payment lists, confirmation', async () => {
  const at = (time: string) => `${day}T${time}:00+05:00`;

  // Look up.
  const invoice = await w.call('GET', `/v1/accounts/${ACCOUNTS.main}/invoice`);
  expect([invoice.status, invoice.body.totalDue]).toEqual([200, '4500.00']);

  // Pay at the cash desk during the day.
  const p1 = { bankRef: ref('cash'), account: ACCOUNTS.main, channel: 'cash_desk', amount: '4500.00', paidAt: at('10:05') };
  const p2 = {
    bankRef: ref('cash'), account: ACCOUNTS.main, channel: 'cash_desk', amount: '700.00', paidAt: at('11:40'),
    lines: [{ service: 'ELEC', amount: '500.00' }, { service: 'CWATER', amount: '200.00' }], readings: [{ service: 'ELEC', value: '1622.4' }],
  };
  for (const p of [p1, p2]) {
    const res = await w.call('POST', '/v1/payments', { json: p });
    expect([res.status, res.body.businessDate]).toEqual([201, day]);
  }

  // The seed's two classic errors, refused at the counter instead of days later.
  const unknown = await w.call('POST', '/v1/payments', { json: { bankRef: ref('cash'), account: '7100099999', channel: 'cash_desk', amount: '1000.00', paidAt: at('12:00') } });
  expect([unknown.status, unknown.body.code]).toEqual([422, 'ACCOUNT_NOT_FOUND']);
  const mismatch = await w.call('POST', '/v1/payments', {
    json: { bankRef: ref('cash'), account: ACCOUNTS.main, channel: 'cash_desk', amount: '1000.00', lines: [{ service: 'ELEC', amount: '900.00' }], paidAt: at('12:10') },
  });
  expect([mismatch.status, mismatch.body.code]).toEqual([422, 'AMOUNT_MISMATCH']);

  // Cancel: possible while the bank-day is open, refused once its cut-off has passed.
  const open = { bankRef: ref('cash'), account: ACCOUNTS.main, channel: 'cash_desk', amount: '100.00' };
  expect((await w.call('POST', '/v1/payments', { json: open })).status).toBe(201);
  const cancelled = await w.call('POST', `/v1/payments/${open.bankRef}/cancel`, { json: { reason: 'wrong account' } });
  expect([cancelled.status, cancelled.body.status]).toEqual([200, 'cancelled']);
  const late = await w.call('POST', `/v1/payments/${p2.bankRef}/cancel`);
  expect([late.status, late.body.code]).toEqual([409, 'BANK_DAY_CLOSED']);

  // The day's register: the two cash-desk payments (linked, not posted twice) and three from a branch's pile.
  const rows = [
    { ref: p1.bankRef, account: p1.account, amount: p1.amount, paidAt: p1.paidAt },
    { ref: p2.bankRef, account: p2.account, amount: p2.amount, lines: 'ELEC:500.00|CWATER:200.00', readings: 'ELEC:1622.4', paidAt: p2.paidAt },
    { ref: ref('pile'), account: ACCOUNTS.simple[0] as string, amount: '1596.00', paidAt: at('15:00'), pile: 'P7' },
    { ref: ref('pile'), account: ACCOUNTS.simple[1] as string, amount: '1000.00', paidAt: at('15:01'), pile: 'P7' },
    { ref: ref('pile'), account: ACCOUNTS.simple[2] as string, amount: '2000.00', lines: 'WASTE:2000.00', pile: 'P7' },
  ];
  const upload = await w.call('POST', '/v1/registers', { body: registerCsv(day, rows), contentType: 'text/csv' });
  expect([upload.status, upload.body.declaredTotal]).toEqual([202, '9796.00']);
  const register = await waitFor('register done', async () => {
    const r = await w.call('GET', `/v1/registers/${upload.body.id}`);
    return r.body.status === 'done' ? r.body : undefined;
  });
  expect([register.rowsAccepted, register.rowsRejected]).toEqual([5, 0]);
  expect(register.rows.slice(0, 2).map((r: { message: string }) => r.message)).toEqual([expect.stringContaining('linked'), expect.stringContaining('linked')]);

  // The SPC settles the day (its schedule does this at the cut-off).
  await startSettlement({ client: w.h.client, taskQueue: w.h.taskQueue }, 'HSBK', day, { operator: 'schedule' });
  const id = `HSBK:${day}`;
  const delivered = await waitFor('settlement delivered', async () => {
    const r = await w.call('GET', `/v1/settlements/${id}`);
    return r.status === 200 && r.body.status === 'delivered' ? r.body : undefined;
  });
  expect(delivered).toEqual(expect.objectContaining({ paymentCount: 5, netTotal: '9796.00', discrepancies: [] }));
  const listed = await w.call('GET', `/v1/settlements?date=${day}`);
  expect(listed.body.items.map((s: { id: string }) => s.id)).toEqual([id]);

  // The payment lists: pain.001 for the bank's systems, CSV for people; both hash to what the SPC stored.
  const xml = await w.call('GET', `/v1/settlements/${encodeURIComponent(id)}/pain001.xml`);
  expect(xml.status).toBe(200);
  expect(xml.headers.get('content-type')).toBe('application/xml; charset=utf-8');
  expect(xml.headers.get('etag')).toBe(`"${createHash('sha256').update(xml.text).digest('hex')}"`);
  expect(validateWithXsd(xml.text)).toEqual({ ok: true, output: 'message.xml validates' });
  expect(xml.text).toContain('<CtrlSum>9796.00</CtrlSum>');
  const csv = await w.call('GET', `/v1/settlements/HSBK-${day}/list.csv`);
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="payment-list-HSBK-${day}.csv"`);
  const parsed = parseSettlementCsv(csv.text);
  expect(parsed.lines.map((l) => l.lineNo)).toEqual(delivered.lines.map((l: { lineNo: number }) => l.lineNo));
  expect(delivered.files.map((f: { format: string; url: string }) => [f.format, f.url])).toEqual([
    ['csv', `/v1/settlements/${encodeURIComponent(id)}/list.csv`],
    ['pain001', `/v1/settlements/${encodeURIComponent(id)}/pain001.xml`],
  ]);

  // The bank transfers and confirms, line by line; the day is settled, and so is every payment of it.
  const confirm = (json: unknown) => w.call('POST', `/v1/settlements/${encodeURIComponent(id)}/confirmation`, { json });
  const lineNos: number[] = delivered.lines.map((l: { lineNo: number }) => l.lineNo);
  expect(lineNos.length).toBeGreaterThan(1);
  const [first, ...rest] = lineNos;
  const partly = await confirm({ lines: [{ lineNo: first, transferRef: `TRF-${w.run}-${first}` }] });
  expect([partly.status, partly.body.status]).toEqual([200, 'delivered']);
  const twice = await confirm({ lines: [{ lineNo: first, transferRef: 'ANOTHER-REF' }] });
  expect([twice.status, twice.body.code]).toEqual([409, 'LINE_ALREADY_CONFIRMED']);
  const unknownLine = await confirm({ lines: [{ lineNo: 99, transferRef: 'X-99' }] });
  expect([unknownLine.status, unknownLine.body.code]).toEqual([422, 'UNKNOWN_LINE']);
  const remaining = { lines: rest.map((lineNo) => ({ lineNo, transferRef: `TRF-${w.run}-${lineNo}` })) };

  // With no worker polling, the confirmation does not hang: 503 with Retry-After within the engine
  // bound, and the bank repeats it once the SPC is back (below; the update id makes it the same).
  await w.h.stopWorker();
  const engineTimeoutMs = 2_000;
  const bounded = buildApiServer({ db: w.h.database.appDb, client: w.h.client, taskQueue: w.h.taskQueue, logger: false, engineTimeoutMs });
  try {
    const startedAt = Date.now();
    const down = await bounded.inject({
      method: 'POST', url: `/v1/settlements/${encodeURIComponent(id)}/confirmation`, payload: remaining,
      headers: { authorization: `Bearer ${w.keys.HSBK}` },
    });
    const tookMs = Date.now() - startedAt;
    expect([down.statusCode, down.json().code, down.headers['retry-after']]).toEqual([503, 'UNAVAILABLE', '5']);
    expect(tookMs).toBeGreaterThanOrEqual(engineTimeoutMs - 100);
    expect(tookMs).toBeLessThan(engineTimeoutMs + 3_000);
  } finally {
    await bounded.close();
    await w.h.startWorker();
  }

  const confirmed = await confirm(remaining);
  expect([confirmed.status, confirmed.body.status]).toEqual([200, 'settled']);
  expect(confirmed.body.lines.map((l: { lineNo: number; transferRef: string }) => l.transferRef)).toEqual(lineNos.map((n) => `TRF-${w.run}-${n}`));
  const again = await confirm(remaining);
  expect([again.status, again.body.status]).toEqual([200, 'settled']);
  const other = await confirm({ transferRef: 'SOMETHING-ELSE' });
  expect([other.status, other.body.code]).toEqual([409, 'ALREADY_SETTLED']);

  // Each state change names the key that made it (api/key-actions.ts): the register and the confirmations.
  const key = await w.h.database.db('bank_api_keys').where({ key_prefix: w.keys.HSBK.slice(0, API_KEY_PREFIX_CHARS) }).first('id');
  const actions = await w.h.database.db('api_key_actions').where({ key_id: key.id }).whereIn('action', ['register.upload', 'settlement.confirm']).orderBy('id').select('action', 'subject', 'outcome');
  expect(actions.filter((a) => a.action === 'settlement.confirm').map((a) => [a.subject, a.outcome])).toEqual([
    [id, 'ok'], [id, 'LINE_ALREADY_CONFIRMED'], [id, 'UNKNOWN_LINE'], [id, 'ok'], [id, 'ok'], [id, 'ALREADY_SETTLED'],
  ]);
  expect(actions.filter((a) => a.action === 'register.upload')).toHaveLength(1);

  const payment = await w.call('GET', `/v1/payments/${p1.bankRef}`);
  expect(payment.body).toEqual(expect.objectContaining({ status: 'accepted', effectiveStatus: 'settled', settlementId: id, settlementStatus: 'settled' }));
  const afterClose = await w.call('POST', `/v1/payments/${rows[2]?.ref}/cancel`);
  expect([afterClose.status, afterClose.body.code]).toEqual([409, 'BANK_DAY_CLOSED']);
});
