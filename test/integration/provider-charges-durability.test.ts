// A charge upload's workflow survives its worker (issue 18 item 3): a worker stopped mid-upload and
// a new one started lose and double no line; and a period that closes before an upload is judged
// leaves every line refused PERIOD_CLOSED and the upload refused, with the current version kept.
import { createProviderKey } from '../../db/provider-keys';
import { addMonths } from '../../domain/billing-period';
import { toAlmaty } from '../../domain/calendar';
import { ACCOUNTS, startApiWorld, waitFor, type ApiWorld } from './api-support';

jest.setTimeout(600_000);

let w: ApiWorld;
let key = '';
const period = toAlmaty(new Date()).date.slice(0, 7);
const ACCOUNTS_MANY = 100_000;
const FIRST_MANY = 7300000000;

beforeAll(async () => {
  w = await startApiWorld('provider-charges-durability');
  key = (await createProviderKey(w.h.database.db, 'ALMATY_SU', { scopes: ['charges'] })).key;
  await w.h.database.db.raw(
    `INSERT INTO personal_accounts (number, holder_name, address) SELECT (${FIRST_MANY} + g)::text, 'Test', 'Almaty' FROM generate_series(0, ?) g`,
    [ACCOUNTS_MANY - 1],
  );
});

afterAll(async () => {
  await w?.close();
});

const upload = (body: string, p: string) => w.call('POST', `/v1/provider/charges?period=${p}`, { key, body, contentType: 'text/csv' });
const state = async (id: string) => w.h.database.db('charge_uploads').where({ upload_id: id }).first('state', 'row_count', 'rows_done', 'rows_accepted', 'rows_refused', 'accepted_total');

it('loses and doubles no line when its worker stops mid-upload and another takes over', async () => {
  const lines = ['account;service;amount;reason'];
  let expectedTiyn = 0n;
  for (let i = 0; i < ACCOUNTS_MANY; i++) {
    for (const [service, tiyn] of [['SEWER', 10_000 + i % 997], ['CWATER', 20_000 + i % 1009]] as const) {
      lines.push(`${FIRST_MANY + i};${service};${Math.floor(tiyn / 100)},${String(tiyn % 100).padStart(2, '0')};`);
      expectedTiyn += BigInt(tiyn);
    }
  }
  lines.push(`${ACCOUNTS.main};SEWER;0,00;run ${w.run}`);
  const res = await upload(`${lines.join('\n')}\n`, period);
  expect(res.status).toBe(202);
  const id: string = res.body.uploadId;
  const partly = await waitFor('the first batches judged', async () => {
    const s = await state(id);
    return s && s.rows_done > 0 ? s : null;
  }, 300_000, 20);
  await w.h.stopWorker();
  const atStop = await state(id);
  // The test means something only if the worker stopped before the end.
  expect(atStop?.rows_done).toBeLessThan(atStop?.row_count);
  expect(partly.rows_done).toBeGreaterThan(0);
  await w.h.startWorker();
  await waitFor('the upload done', async () => (await state(id))?.state === 'done', 300_000);

  const done = await state(id);
  const rowCount = 2 * ACCOUNTS_MANY + 1;
  expect(done).toEqual({ state: 'done', row_count: rowCount, rows_done: rowCount, rows_accepted: rowCount, rows_refused: 0, accepted_total: `${expectedTiyn / 100n}.${String(expectedTiyn % 100n).padStart(2, '0')}` });
  const [lines_] = await w.h.database.db('charge_lines').where({ upload_id: id }).select(w.h.database.db.raw('count(*)::int AS n, count(DISTINCT line_no)::int AS distinct_lines, sum(amount)::text AS total'));
  expect(lines_).toEqual({ n: rowCount, distinct_lines: rowCount, total: done?.accepted_total });
});

it('refuses every line PERIOD_CLOSED, and the upload, when the period closes before its lines are judged', async () => {
  const next = addMonths(period, 1);
  const first = await upload(`account;service;amount\n${ACCOUNTS.simple[0]};SEWER;10,00\n${ACCOUNTS.main};SEWER;${w.run.length},00\n`, next);
  expect(first.status).toBe(202);
  await waitFor('version 1 done', async () => (await state(first.body.uploadId))?.state === 'done');
  await w.h.stopWorker();
  const second = await upload(`account;service;amount\n${ACCOUNTS.simple[0]};SEWER;20,00\n${ACCOUNTS.main};SEWER;0,00;\n`.replace(';0,00;', `;0,0${w.run.length % 10}`), next);
  expect([second.status, second.body.version]).toEqual([202, 2]);
  await w.h.database.db('billing_periods').where({ period: `${next}-01` }).update({ state: 'closing' });
  await w.h.startWorker();
  await waitFor('version 2 refused', async () => (await state(second.body.uploadId))?.state === 'refused');
  const refused = await w.call('GET', `/v1/provider/charges/${encodeURIComponent(second.body.uploadId)}`, { key });
  expect(refused.body).toMatchObject({ state: 'refused', rowsDone: 2, rowsAccepted: 0, rowsRefused: 2 });
  expect(refused.body.refused.map((r: { code: string }) => r.code)).toEqual(['PERIOD_CLOSED', 'PERIOD_CLOSED']);
  expect((await state(first.body.uploadId))?.state).toBe('done');
});
