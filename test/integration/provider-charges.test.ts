// POST /v1/provider/charges on a real worker, Temporal and Postgres (issue 18 item 3): a provider's
// CSV (Windows-1251, `;`, decimal commas) is judged line by line by the upload's workflow: accepted,
// or refused with its row-level code; the same content again (even as JSON) is the same upload; a
// newer version supersedes the older one and both are kept; unreadable input and a closed period
// are refused with a code and write nothing; a worker stopped mid-upload loses and doubles nothing.
import { createProviderKey } from '../../db/provider-keys';
import { addMonths } from '../../domain/billing-period';
import { toAlmaty } from '../../domain/calendar';
import { ACCOUNTS, startApiWorld, waitFor, type ApiWorld } from './api-support';
import { recordHistory } from '../support/histories';

jest.setTimeout(300_000);

let w: ApiWorld;
const keys = { su: '', readingsOnly: '' };
const period = toAlmaty(new Date()).date.slice(0, 7);
const HEADER = 'account;service;quantity;unit;tariff;amount;for_period;reason';

beforeAll(async () => {
  w = await startApiWorld('provider-charges');
  keys.su = (await createProviderKey(w.h.database.db, 'ALMATY_SU', { scopes: ['charges'] })).key;
  keys.readingsOnly = (await createProviderKey(w.h.database.db, 'ALMATY_SU', { scopes: ['readings'] })).key;
});

afterAll(async () => {
  await w?.close();
});

/** Workflow ids are shared by every test file on the dev server: a run-unique recalculation line makes each upload's content (and id) this run's. */
const runLine = () => `${ACCOUNTS.main};SEWER;;;;0,00;${addMonths(period, -1)};run ${w.run}`;
const csv = (lines: string[]) => `${[HEADER, ...lines, runLine()].join('\r\n')}\r\n`;
const upload = (body: string | Buffer, p = period, key = keys.su) => w.call('POST', `/v1/provider/charges?period=${p}`, { key, body, contentType: 'text/csv' });
const view = (id: string) => w.call('GET', `/v1/provider/charges/${encodeURIComponent(id)}`, { key: keys.su });
const finished = (id: string) => waitFor(`upload ${id} finished`, async () => {
  const res = await view(id);
  return ['done', 'superseded', 'refused'].includes(res.body.state) ? res.body : null;
});
const counts = async () => {
  const db = w.h.database.db;
  const n = async (table: string) => Number((await db(table).count({ n: '*' }).first())?.n);
  return { uploads: await n('charge_uploads'), rows: await n('charge_upload_rows'), lines: await n('charge_lines'), refused: await n('charge_line_rejections') };
};

let first: { uploadId: string };

it('judges every line of a Windows-1251 CSV: accepted, or refused with its row-level code', async () => {
  const text = csv([
    `${ACCOUNTS.main};CWATER;15,5;м3;58,0645;900,00;;`, // 15.5 × 58.0645 = 899.99975 → 900.00
    `${ACCOUNTS.main};ELEC;100;kWh;30;3000,00;;`, // another provider's service
    '7199999999;CWATER;1;м3;100;100,00;;',
    `${ACCOUNTS.simple[0]};CWATER;2;м3;100;250,00;;`, // 2 × 100 ≠ 250
    `${ACCOUNTS.main};CWATER;1;м3;1;1,00;;`, // the same account, service and period again
    `${ACCOUNTS.main};CWATER;-1,5;м3;58,0645;-87,10;${addMonths(period, -1)};перерасчёт: счётчик поверен`,
    `${ACCOUNTS.simple[1]};SEWER;;;;"1 200,00";;`,
  ]);
  const res = await upload(encodeCp1251(text));
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ providerId: 'ALMATY_SU', period, version: 1, rowCount: 8 });
  expect(res.body.uploadId).toMatch(new RegExp(`^charges:ALMATY_SU:${period}:[0-9a-f]{16}$`));
  expect(res.headers.get('location')).toBe(`/v1/provider/charges/${encodeURIComponent(res.body.uploadId)}`);
  first = res.body;

  const done = await finished(first.uploadId);
  expect(done).toMatchObject({ state: 'done', rowCount: 8, rowsDone: 8, rowsAccepted: 4, rowsRefused: 4, acceptedTotal: '2012.90', refusedTotal: '3351.00' });
  expect(done.refused.map((r: { line: number; code: string }) => [r.line, r.code])).toEqual([
    [3, 'SERVICE_NOT_PROVIDERS'], [4, 'UNKNOWN_ACCOUNT'], [5, 'AMOUNT_MISMATCH'], [6, 'DUPLICATE_LINE'],
  ]);
  expect(done.refused[2]).toMatchObject({ account: ACCOUNTS.simple[0], service: 'CWATER', amount: '250.00', message: expect.stringContaining('= 200.00') });
  await w.h.client.workflow.getHandle(first.uploadId).result();
  await recordHistory(w.h.client, 'charge-upload', 'lines-accepted-and-refused', first.uploadId);

  const current = await w.h.database.db('period_charges_current').where({ period: `${period}-01`, provider_id: 'ALMATY_SU' }).orderBy(['account_number', 'service_code']).select('account_number', 'service_code', 'charged', 'recalculated');
  expect(current).toEqual([
    { account_number: ACCOUNTS.main, service_code: 'CWATER', charged: '900.00', recalculated: '-87.10' },
    { account_number: ACCOUNTS.main, service_code: 'SEWER', charged: '0.00', recalculated: '0.00' },
    { account_number: ACCOUNTS.simple[1], service_code: 'SEWER', charged: '1200.00', recalculated: '0.00' },
  ]);
  const recalc = await w.h.database.db('charge_lines').where({ upload_id: first.uploadId, line_no: 7 }).first();
  expect(recalc).toMatchObject({ kind: 'recalculation', for_period: `${addMonths(period, -1)}-01`, quantity: '-1.500', tariff: '58.0645', amount: '-87.10', reason: 'перерасчёт: счётчик поверен', unit: 'м3' });
});

it('answers the same content again, even as JSON, with the same upload', async () => {
  const before = await counts();
  const json = {
    lines: [
      { account: ACCOUNTS.main, service: 'CWATER', quantity: '15.5', unit: 'м3', tariff: '58.0645', amount: '900.00' },
      { account: ACCOUNTS.main, service: 'ELEC', quantity: '100', unit: 'kWh', tariff: '30', amount: '3000.00' },
      { account: '7199999999', service: 'CWATER', quantity: '1', unit: 'м3', tariff: '100', amount: '100.00' },
      { account: ACCOUNTS.simple[0], service: 'CWATER', quantity: '2', unit: 'м3', tariff: '100', amount: '250.00' },
      { account: ACCOUNTS.main, service: 'CWATER', quantity: '1', unit: 'м3', tariff: '1', amount: '1.00' },
      { account: ACCOUNTS.main, service: 'CWATER', quantity: '-1.500', unit: 'м3', tariff: '58.0645', amount: '-87.10', forPeriod: addMonths(period, -1), reason: 'перерасчёт: счётчик поверен' },
      { account: ACCOUNTS.simple[1], service: 'SEWER', amount: '1200.00' },
      { account: ACCOUNTS.main, service: 'SEWER', amount: '0.00', forPeriod: addMonths(period, -1), reason: `run ${w.run}` },
    ],
  };
  const res = await w.call('POST', `/v1/provider/charges?period=${period}`, { key: keys.su, json });
  expect([res.status, res.body.uploadId, res.body.version, res.body.state]).toEqual([200, first.uploadId, 1, 'done']);
  expect(await counts()).toEqual(before);
});

it('keeps every version: a newer upload supersedes the current one', async () => {
  const res = await upload(csv([`${ACCOUNTS.main};CWATER;16;м3;58,0645;929,03;;`]));
  expect([res.status, res.body.version]).toEqual([202, 2]);
  expect(await finished(res.body.uploadId)).toMatchObject({ state: 'done', rowsAccepted: 2, rowsRefused: 0, acceptedTotal: '929.03' });
  expect((await view(first.uploadId)).body.state).toBe('superseded');
  const list = await w.call('GET', `/v1/provider/charges?period=${period}`, { key: keys.su });
  expect(list.body.items.map((u: { version: number; state: string }) => [u.version, u.state])).toEqual([[2, 'done'], [1, 'superseded']]);
  const current = await w.h.database.db('period_charges_current').where({ period: `${period}-01`, provider_id: 'ALMATY_SU', service_code: 'CWATER' }).select('account_number', 'charged', 'recalculated');
  expect(current).toEqual([{ account_number: ACCOUNTS.main, charged: '929.03', recalculated: '0.00' }]);
});

it('refuses unreadable input, a closed period and the wrong keys with a code, and writes nothing', async () => {
  const before = await counts();
  const cases: Array<[Promise<{ status: number; body: { code: string; details?: { errors?: Array<{ line: number }> } } }>, number, string]> = [
    [upload(csv([`${ACCOUNTS.main};CWATER;1;м3;1;1.500,00;;`])), 400, 'MALFORMED_CHARGES'],
    [upload(csv([`${ACCOUNTS.main};CWATER;1;м3;1;-1,00;;`])), 400, 'MALFORMED_CHARGES'],
    [upload(csv([`${ACCOUNTS.main};CWATER;;;;-1,00;${addMonths(period, -1)};`])), 400, 'MALFORMED_CHARGES'],
    [upload(csv([`${ACCOUNTS.main};CWATER;;;;1,00;${addMonths(period, 1)};later`])), 400, 'MALFORMED_CHARGES'],
    [upload(`account;service;price\r\n${ACCOUNTS.main};CWATER;1\r\n`), 400, 'MALFORMED_CHARGES'],
    [w.call('POST', `/v1/provider/charges?period=${period}`, { key: keys.su, json: { lines: [{ account: ACCOUNTS.main, service: 'CWATER', amount: 5 }] } }), 400, 'MALFORMED_CHARGES'],
    [w.call('POST', `/v1/provider/charges?period=${period}`, { key: keys.su, json: { rows: [] } }), 400, 'MALFORMED_CHARGES'],
    [upload(csv([`${ACCOUNTS.main};CWATER;;;;1,00;;`]), '2026-13'), 400, 'VALIDATION_FAILED'],
    [upload(`${HEADER}\r\n${ACCOUNTS.main};CWATER;;;;1,00;;\r\n`, addMonths(period, -12)), 409, 'PERIOD_NOT_OPEN'],
    [upload(csv([`${ACCOUNTS.main};CWATER;;;;1,00;;`]), period, keys.readingsOnly), 403, 'KEY_SCOPE'],
    [upload(csv([`${ACCOUNTS.main};CWATER;;;;1,00;;`]), period, w.keys.HSBK), 401, 'PROVIDER_KEY_REQUIRED'],
  ];
  for (const [call, status, code] of cases) {
    const res = await call;
    expect([res.status, res.body.code]).toEqual([status, code]);
  }
  const malformed = await upload(csv([`${ACCOUNTS.main};CWATER;1;м3;1;1.500,00;;`, `${ACCOUNTS.main};SEWER;;;;x;;`]));
  expect(malformed.body.details.errors.map((e: { line: number }) => e.line)).toEqual([2, 3]);

  const closed = addMonths(period, -1);
  await w.h.database.db('billing_periods').insert({ period: `${closed}-01`, state: 'closed', closed_at: new Date() });
  const late = await upload(`${HEADER}\r\n${ACCOUNTS.main};CWATER;;;;1,00;;\r\n`, closed);
  expect([late.status, late.body.code]).toEqual([409, 'PERIOD_CLOSED']);
  expect(await counts()).toEqual(before);
  expect((await w.call('GET', '/v1/provider/charges/charges:ALMATY_SU:2026-12:0000000000000000', { key: keys.su })).body.code).toBe('UPLOAD_NOT_FOUND');
});

it('reads a comma-separated UTF-8 file with quoted decimal commas', async () => {
  const text = `\uFEFFaccount,service,quantity,unit,tariff,amount\r\n${ACCOUNTS.simple[2]},CWATER,"2,5",m3,"100,10","250,25"\r\n${ACCOUNTS.simple[2]},SEWER,,,,"10,00",${addMonths(period, -1)},run ${w.run}\r\n`;
  const res = await upload(text.replace(',amount\r\n', ',amount,for_period,reason\r\n'));
  expect(res.status).toBe(202);
  expect(await finished(res.body.uploadId)).toMatchObject({ state: 'done', rowsAccepted: 2, acceptedTotal: '260.25' });
});

/** Windows-1251 bytes of a text of ASCII and Russian letters (what Excel on a Russian Windows saves). */
function encodeCp1251(text: string): Buffer {
  const bytes: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x80) bytes.push(c);
    else if (c >= 0x410 && c <= 0x44f) bytes.push(c - 0x410 + 0xc0);
    else if (c === 0x401) bytes.push(0xa8);
    else if (c === 0x451) bytes.push(0xb8);
    else throw new Error(`no Windows-1251 byte for ${ch} in this test helper`);
  }
  return Buffer.from(bytes);
}
