// GET /v1/provider/readings on a real worker, Temporal and Postgres: readings sent by banks with
// payments reach the provider of the metered service only, per account and meter, with previous,
// current, channel, time and bank; a cancelled payment's reading does not stand; another provider
// never sees them; a key without the readings scope gets 403 KEY_SCOPE; a bad period 400. The
// readings window decides the period: a reading after the window counts for the next period. CSV too.
import { createProviderKey } from '../../db/provider-keys';
import { addDays, toAlmaty } from '../../domain/calendar';
import { addMonths } from '../../domain/billing-period';
import { ACCOUNTS, startApiWorld, type ApiWorld } from './api-support';

jest.setTimeout(240_000);

let w: ApiWorld;
let period: string;
const keys = { ALMATY_SU: '', ALMATYENERGOSBYT: '', chargesOnly: '' };

beforeAll(async () => {
  w = await startApiWorld('provider-readings');
  for (const provider of ['ALMATY_SU', 'ALMATYENERGOSBYT'] as const) keys[provider] = (await createProviderKey(w.h.database.db, provider, { scopes: ['readings'] })).key;
  keys.chargesOnly = (await createProviderKey(w.h.database.db, 'ALMATY_SU', { scopes: ['charges'] })).key;
  period = (await w.call('GET', `/v1/accounts/${ACCOUNTS.main}/invoice`)).body.period;
  expect(period).toMatch(/^\d{4}-\d{2}$/);
  // The window of the invoice's period spans the whole month, so today's readings are in it whatever the date.
  await w.h.database.db('billing_periods').insert({ period: `${period}-01`, readings_from: `${period}-01`, readings_to: addDays(`${addMonths(period, 1)}-01`, -1) });
});

afterAll(async () => {
  await w?.close();
});

const readings = (key: string, p = period) => w.call('GET', `/v1/provider/readings?period=${p}`, { key });

it('gives each provider the readings of its own metered services only', async () => {
  const water = await w.call('POST', '/v1/payments', {
    json: { bankRef: `rd-${w.run}-1`, account: ACCOUNTS.main, channel: 'cash_desk', amount: '10.00', lines: [{ service: 'CWATER', amount: '10.00' }], readings: [{ service: 'CWATER', value: '215.5' }, { service: 'ELEC', value: '1600' }] },
  });
  expect(water.status).toBe(201);
  const cancelled = await w.call('POST', '/v1/payments', {
    key: w.keys.CASP,
    json: { bankRef: `rd-${w.run}-2`, account: ACCOUNTS.main, channel: 'online', amount: '5.00', lines: [{ service: 'ELEC', amount: '5.00' }], readings: [{ service: 'ELEC', value: '1700' }] },
  });
  expect(cancelled.status).toBe(201);
  expect((await w.call('POST', `/v1/payments/rd-${w.run}-2/cancel`, { key: w.keys.CASP })).status).toBe(200);

  const su = await readings(keys.ALMATY_SU);
  expect(su.status).toBe(200);
  expect(su.body).toEqual({
    providerId: 'ALMATY_SU', period, truncated: false,
    window: { from: `${period}-01`, to: addDays(`${addMonths(period, 1)}-01`, -1), over: false },
    readings: [{ account: ACCOUNTS.main, service: 'CWATER', meterSerial: expect.any(String), previous: '200.000', current: '215.500', channel: 'cash_desk', readAt: expect.any(String), bankCode: 'HSBK', sentBy: 'bank:HSBK' }],
  });
  expect(Number.isNaN(Date.parse(su.body.readings[0].readAt))).toBe(false);

  const elec = await readings(keys.ALMATYENERGOSBYT);
  expect(elec.body.readings).toEqual([expect.objectContaining({ account: ACCOUNTS.main, service: 'ELEC', previous: '1500.000', current: '1600.000', bankCode: 'HSBK' })]);
  // Another period has none.
  expect((await readings(keys.ALMATY_SU, '2001-01')).body.readings).toEqual([]);
});

it('refuses a key without the readings scope, a bank key and a bad period', async () => {
  const noScope = await readings(keys.chargesOnly);
  expect([noScope.status, noScope.body.code, noScope.body.details]).toEqual([403, 'KEY_SCOPE', { required: 'readings', granted: ['charges'] }]);
  expect((await readings(w.keys.HSBK)).body.code).toBe('PROVIDER_KEY_REQUIRED');
  for (const bad of ['2026-13', '2026-1', '']) {
    const res = await readings(keys.ALMATY_SU, bad);
    expect([bad, res.status, res.body.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
  }
});

it('gives the same readings as CSV, by the Accept header or ?format=csv', async () => {
  const json = (await readings(keys.ALMATY_SU)).body.readings;
  const byAccept = await w.call('GET', `/v1/provider/readings?period=${period}`, { key: keys.ALMATY_SU, headers: { accept: 'text/csv' } });
  const byQuery = await w.call('GET', `/v1/provider/readings?period=${period}&format=csv`, { key: keys.ALMATY_SU });
  for (const res of [byAccept, byQuery]) {
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/csv; charset=utf-8']);
    expect(res.text.split('\r\n')).toEqual([
      'account;service;meter_serial;previous;current;channel;read_at;sent_by',
      `${ACCOUNTS.main};CWATER;${json[0].meterSerial};200.000;215.500;cash_desk;${json[0].readAt};bank:HSBK`,
      '',
    ]);
  }
});

it('counts a reading that came in after the period\'s window for the next period', async () => {
  const yesterday = addDays(toAlmaty(new Date()).date, -1);
  await w.h.database.db('billing_periods').where({ period: `${period}-01` }).update({ readings_from: yesterday, readings_to: yesterday });
  try {
    const closed = await readings(keys.ALMATY_SU);
    expect([closed.body.window, closed.body.readings]).toEqual([{ from: yesterday, to: yesterday, over: true }, []]);
    const next = await readings(keys.ALMATY_SU, addMonths(period, 1));
    expect(next.body.readings).toEqual([expect.objectContaining({ account: ACCOUNTS.main, service: 'CWATER', current: '215.500' })]);
  } finally {
    await w.h.database.db('billing_periods').where({ period: `${period}-01` }).update({ readings_from: `${period}-01`, readings_to: addDays(`${addMonths(period, 1)}-01`, -1) });
  }
});
