// The bank API's contract, over real HTTP against a running server, a real worker, Temporal and
// Postgres: every endpoint, every error code, isolation between two banks, idempotency.
import { createHash } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { revokeApiKey, createApiKey } from '../../db/bank-keys';
import { parseScopes } from '../../domain/api-scopes';
import { buildApiServer } from '../../api/server';
import { RETRY_AFTER_SECONDS } from '../../api/errors';
import { ACCOUNTS, loadCalendar, recentBusinessDay, startApiWorld, waitFor, registerCsv, type ApiWorld } from './api-support';
import { createAccount } from '../support/fixtures';

jest.setTimeout(240_000);

let w: ApiWorld;
/** The last business day before today: registers are for a day that is over. */
let day: string;
let seq = 0;
const ref = (tag: string) => `${tag}-${w.run}-${++seq}`;
// A recent business day before today, past its cut-off: the payment's day is over (within the paidAt bound).
const pastPaidAt = () => `${day}T10:00:00+05:00`;

beforeAll(async () => {
  w = await startApiWorld('api-contract');
  day = recentBusinessDay(await loadCalendar(w.h.database.db), 'apiContract');
});

afterAll(async () => {
  await w?.close();
});

describe('service endpoints', () => {
  it('answers /health with 200 when Postgres and Temporal are reachable', async () => {
    const res = await w.call('GET', '/health', { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', postgres: 'ok', temporal: 'ok' });
  });

  it('answers the probes /livez and /readyz (readiness as /health)', async () => {
    expect(await w.call('GET', '/livez', { key: null })).toEqual(expect.objectContaining({ status: 200, body: { status: 'ok', pid: process.pid } }));
    expect(await w.call('GET', '/readyz', { key: null })).toEqual(expect.objectContaining({ status: 200, body: { status: 'ok', postgres: 'ok', temporal: 'ok' } }));
  });

  it('answers /health with 503 UNAVAILABLE and Retry-After when Temporal cannot be reached, naming no error text', async () => {
    const app = buildApiServer({ db: w.h.database.db, client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }), taskQueue: 'none', logger: false });
    try {
      const res = await app.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
      expect(res.json()).toEqual({ code: 'UNAVAILABLE', message: expect.any(String), details: { postgres: 'ok', temporal: 'degraded' } });
      // The driver's error text (addresses, hosts) stays in the server's log.
      expect(res.body).not.toMatch(/down|refused|127\.0\.0\.1/i);
    } finally {
      await app.close();
    }
  });

  it('serves the OpenAPI document with every bank endpoint, and the docs page', async () => {
    const res = await w.call('GET', '/openapi.json', { key: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.0.3');
    expect(Object.keys(res.body.paths).sort()).toEqual(
      [
        '/health', '/v1/accounts/{account}/invoice', '/v1/accounts/{account}/invoice.html', '/v1/bank', '/v1/complaints', '/v1/provider/charges', '/v1/provider/charges/{uploadId}', '/v1/provider/me', '/v1/provider/readings', '/v1/provider/registers', '/v1/provider/registers/{id}/{file}', '/v1/provider/transfers', '/v1/provider/webhook', '/v1/provider/webhook/rotate-secret', '/v1/complaints/{id}', '/v1/payments', '/v1/payments/{bankRef}',
        '/v1/payments/{bankRef}/cancel', '/v1/registers', '/v1/registers/{id}', '/v1/settlements', '/v1/settlements/{id}',
        '/v1/settlements/{id}/confirmation', '/v1/settlements/{id}/list.csv', '/v1/settlements/{id}/pain001.xml',
      ].sort(),
    );
    expect(res.body.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    const docs = await w.call('GET', '/docs', { key: null });
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('Swagger UI');
    // Swagger UI's page and its assets run only scripts served from here.
    for (const path of ['/docs', '/docs/static/index.html', '/docs/static/swagger-initializer.js']) {
      const page = await w.call('GET', path, { key: null });
      expect([path, page.headers.get('content-security-policy')]).toEqual([path, expect.stringMatching(/^default-src 'self'; script-src 'self';/)]);
    }
    expect(docs.text).not.toMatch(/<script>|<script\s+(?![^>]*\bsrc=)[^>]*>/i);
  });

  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const res = await w.call('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});

describe('authentication', () => {
  it('answers 401 without detail for a missing, malformed or unknown key', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Basic abc' }, { authorization: 'Bearer spck_' + 'x'.repeat(43) }, { authorization: 'Bearer nonsense' }]) {
      const res = await w.call('GET', '/v1/bank', { key: null, headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 'UNAUTHORIZED', message: 'authentication required: send Authorization: Bearer <API key>' });
    }
  });

  it('names the bank of the key', async () => {
    const res = await w.call('GET', '/v1/bank');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 'HSBK', name: 'Halyk Bank', bic: 'HSBKKZKX', cutoffLocal: '18:00' });
  });

  it('stores only the SHA-256 of a key and stops accepting a revoked key within seconds', async () => {
    const created = await createApiKey(w.h.database.db, 'HSBK', 'to revoke');
    const row = await w.h.database.db('bank_api_keys').where({ id: created.id }).first();
    expect(row.key_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect(created.key.startsWith(row.key_prefix)).toBe(true);
    expect((await w.call('GET', '/v1/bank', { key: created.key })).status).toBe(200);
    await revokeApiKey(w.h.database.db, created.prefix);
    const revokedAt = Date.now();
    await waitFor('revocation to take effect', async () => (await w.call('GET', '/v1/bank', { key: created.key })).status === 401, 15_000, 200);
    expect(Date.now() - revokedAt).toBeLessThan(10_000);
  });
});

describe('key scopes, expiry, attribution and rate limit', () => {
  it('lets a cashier key look up, pay and cancel, and refuses it the rest with 403 KEY_SCOPE', async () => {
    const cashier = (await createApiKey(w.h.database.db, 'HSBK', 'cash desk 3', { scopes: parseScopes('cashier') })).key;
    expect((await w.call('GET', '/v1/bank', { key: cashier })).status).toBe(200);
    expect((await w.call('GET', `/v1/accounts/${ACCOUNTS.main}/invoice`, { key: cashier })).status).toBe(200);
    const bankRef = ref('cashier');
    const paid = await w.call('POST', '/v1/payments', { key: cashier, json: { bankRef, account: ACCOUNTS.simple[4], channel: 'cash_desk', amount: '1596.00' } });
    expect(paid.status).toBe(201);
    expect((await w.call('GET', `/v1/payments/${bankRef}`, { key: cashier })).status).toBe(200);
    expect((await w.call('POST', `/v1/payments/${bankRef}/cancel`, { key: cashier, json: { reason: 'wrong desk' } })).status).toBe(200);

    const refused = [
      ['POST', `/v1/settlements/HSBK:${day}/confirmation`, 'settlements:confirm'],
      ['GET', '/v1/settlements', 'settlements:read'],
      ['POST', '/v1/registers', 'registers'],
      ['GET', '/v1/registers', 'registers'],
      ['POST', '/v1/complaints', 'complaints'],
    ] as const;
    for (const [method, path, scope] of refused) {
      const res = await w.call(method, path, { key: cashier, json: method === 'POST' ? { transferRef: 'X' } : undefined });
      expect([path, res.status, res.body.code, res.body.details?.required]).toEqual([path, 403, 'KEY_SCOPE', scope]);
    }
  });

  it('answers 401 KEY_EXPIRED once a key\'s expiry has passed', async () => {
    const expiresAt = new Date(Date.now() + 1_500);
    const created = await createApiKey(w.h.database.db, 'HSBK', 'short-lived', { expiresAt });
    expect((await w.call('GET', '/v1/bank', { key: created.key })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 50));
    const res = await w.call('GET', '/v1/bank', { key: created.key });
    expect([res.status, res.body.code]).toEqual([401, 'KEY_EXPIRED']);
    await expect(createApiKey(w.h.database.db, 'HSBK', 'past', { expiresAt: new Date(Date.now() - 1) })).rejects.toThrow(/not in the future/);
  });

  it('records which key made a payment and a cancellation, by its id and never its secret', async () => {
    const created = await createApiKey(w.h.database.db, 'HSBK', 'attribution');
    const bankRef = ref('attr');
    expect((await w.call('POST', '/v1/payments', { key: created.key, json: { bankRef, account: ACCOUNTS.simple[4], channel: 'online', amount: '1596.00' } })).status).toBe(201);
    expect((await w.call('POST', '/v1/payments', { key: created.key, json: { bankRef, account: ACCOUNTS.simple[4], channel: 'online', amount: '1596.00' } })).status).toBe(201);
    expect((await w.call('POST', `/v1/payments/${bankRef}/cancel`, { key: created.key })).status).toBe(200);
    const rows = await w.h.database.db('api_key_actions').where({ subject: `payment:HSBK:${bankRef}` }).orderBy('id').select('key_id', 'bank_code', 'action', 'outcome');
    expect(rows).toEqual([
      { key_id: created.id, bank_code: 'HSBK', action: 'payment.submit', outcome: 'ok' },
      { key_id: created.id, bank_code: 'HSBK', action: 'payment.submit', outcome: 'ok' },
      { key_id: created.id, bank_code: 'HSBK', action: 'payment.cancel', outcome: 'ok' },
    ]);
    const all = JSON.stringify(await w.h.database.db('api_key_actions').select());
    expect(all).not.toContain(created.key);
  });

  it('limits requests per key with 429 RATE_LIMITED and Retry-After, counts keys apart, and counts requests without a key per address', async () => {
    const limited = buildApiServer({ db: w.h.database.appDb, client: w.h.client, taskQueue: w.h.taskQueue, logger: false, rateLimit: { perKeyPerMinute: 3, anonymousPerMinute: 2 } });
    const own = await createApiKey(w.h.database.db, 'HSBK', 'own limit', { rateLimitPerMinute: 5 });
    try {
      const get = (key?: string) => limited.inject({ method: 'GET', url: '/v1/bank', headers: key ? { authorization: `Bearer ${key}` } : {} });
      for (let i = 0; i < 3; i++) expect((await get(w.keys.HSBK)).statusCode).toBe(200);
      const over = await get(w.keys.HSBK);
      expect(over.statusCode).toBe(429);
      expect(over.json()).toEqual({ code: 'RATE_LIMITED', message: expect.stringContaining('with this API key'), details: { limitPerMinute: 3, retryAfterSeconds: expect.any(Number) } });
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect((await get(w.keys.CASP)).statusCode).toBe(200);
      for (let i = 0; i < 5; i++) expect((await get(own.key)).statusCode).toBe(200);
      expect((await get(own.key)).statusCode).toBe(429);
      expect([(await get()).statusCode, (await get()).statusCode]).toEqual([401, 401]);
      expect((await get()).json()).toMatchObject({ code: 'RATE_LIMITED' });
    } finally {
      await limited.close();
    }
  });
});

describe('invoices', () => {
  it('answers 429 ACCOUNT_SPREAD_LIMITED to a key reading more distinct accounts than its spread, keeps the ones read readable, and counts keys apart', async () => {
    const limited = buildApiServer({ db: w.h.database.appDb, client: w.h.client, taskQueue: w.h.taskQueue, logger: false, accountSpread: { accountsPerKeyMax: 2, windowMs: 60_000 } });
    try {
      const get = (key: string, account: string, form = 'invoice') => limited.inject({ method: 'GET', url: `/v1/accounts/${account}/${form}`, headers: { authorization: `Bearer ${key}` } });
      expect((await get(w.keys.HSBK, ACCOUNTS.main)).statusCode).toBe(200);
      expect((await get(w.keys.HSBK, ACCOUNTS.simple[0])).statusCode).toBe(200);
      const over = await get(w.keys.HSBK, ACCOUNTS.simple[1], 'invoice.html');
      expect(over.statusCode).toBe(429);
      expect(over.json()).toEqual({ code: 'ACCOUNT_SPREAD_LIMITED', message: expect.any(String), details: { accountsMax: 2, windowSeconds: 60, retryAfterSeconds: expect.any(Number) } });
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(over.body).not.toContain('Сейткали');
      expect((await get(w.keys.HSBK, ACCOUNTS.main, 'invoice.html')).statusCode).toBe(200);
      expect((await get(w.keys.CASP, ACCOUNTS.simple[1])).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('shows the invoice with amounts due per service and previous readings', async () => {
    const res = await w.call('GET', `/v1/accounts/${ACCOUNTS.main}/invoice`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      expect.objectContaining({ account: ACCOUNTS.main, holder: 'Сейткали А. Н.', address: 'г. Алматы, пр. Абая, д. 10', currency: 'KZT', totalDue: '4500.00' }),
    );
    // A bank sees the surname, initials, street and house: never the first name, patronymic or flat.
    for (const secret of ['Айгерим', 'Нурлановна', 'кв.']) expect(res.text).not.toContain(secret);
    expect(res.body.period).toMatch(/^\d{4}-\d{2}$/);
    expect(res.body.services.map((s: { code: string; amountDue: string }) => [s.code, s.amountDue])).toEqual([
      ['ELEC', '3000.00'], ['CWATER', '1000.00'], ['SEWER', '500.00'],
    ]);
    const cwater = res.body.services[1];
    expect(cwater).toEqual(
      expect.objectContaining({ name: 'Холодная вода', provider: 'ALMATY_SU', openingBalance: '100.00', charged: '900.00', amountDue: '1000.00' }),
    );
    expect(cwater.meter).toEqual(expect.objectContaining({ previousReading: '200.000', unit: 'm3' }));
    expect(res.body.services[2].meter).toBeNull();
  });

  it('lets any bank read any invoice', async () => {
    const res = await w.call('GET', `/v1/accounts/${ACCOUNTS.main}/invoice`, { key: w.keys.CASP });
    expect(res.status).toBe(200);
  });

  it('renders the invoice image in Russian, printable', async () => {
    const res = await w.call('GET', `/v1/accounts/${ACCOUNTS.main}/invoice.html`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    for (const label of ['Единый счёт-извещение', 'Лицевой счёт', 'Услуга', 'Поставщик', 'Входящее сальдо', 'Начислено', 'К оплате', 'Предыдущие показания', 'Итого к оплате']) {
      expect(res.text).toContain(label);
    }
    expect(res.text).toContain('4\u00a0500,00');
    expect(res.text).toContain('@media print');
    expect(res.text).toContain('Сейткали А. Н.');
    for (const secret of ['Айгерим', 'Нурлановна', 'кв. 5']) expect(res.text).not.toContain(secret);
  });

  it('serves the invoice image under a CSP: no script, and only its own inline style by hash', async () => {
    const res = await w.call('GET', `/v1/accounts/${ACCOUNTS.main}/invoice.html`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/^default-src 'self';/);
    expect(csp).toContain("script-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.text).not.toMatch(/<script|\sstyle=|\son\w+=/i);
    // The hash in the header is that of the page's one <style> element, so a browser applies it.
    const styles = [...res.text.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? '');
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256').update(styles[0] ?? '', 'utf8').digest('base64');
    expect(csp).toContain(`style-src 'sha256-${hash}'`);
  });

  it('answers 404 ACCOUNT_NOT_FOUND and NO_INVOICE', async () => {
    const missing = await w.call('GET', '/v1/accounts/7199999999/invoice');
    expect([missing.status, missing.body.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    const noInvoice = await w.call('GET', `/v1/accounts/${ACCOUNTS.noInvoice}/invoice.html`);
    expect([noInvoice.status, noInvoice.body.code]).toEqual([404, 'NO_INVOICE']);
  });

  it('moves the previous reading forward once a payment carried a higher one', async () => {
    const paid = await w.call('POST', '/v1/payments', {
      json: { bankRef: ref('reading'), account: ACCOUNTS.main, channel: 'cash_desk', amount: '10.00', lines: [{ service: 'CWATER', amount: '10.00' }], readings: [{ service: 'CWATER', value: '215.5' }] },
    });
    expect(paid.status).toBe(201);
    const res = await w.call('GET', `/v1/accounts/${ACCOUNTS.main}/invoice`);
    expect(res.body.services[1].meter.previousReading).toBe('215.500');
    // Cancelled, its reading is no floor any more (and its money is due again, for the tests below).
    expect((await w.call('POST', `/v1/payments/${paid.body.bankRef}/cancel`)).status).toBe(200);
    const after = await w.call('GET', `/v1/accounts/${ACCOUNTS.main}/invoice`);
    expect([after.body.services[1].meter.previousReading, after.body.totalStillDue]).toEqual(['200.000', '4500.00']);
  });
});

describe('what is still due', () => {
  // Fresh accounts like ACCOUNTS.main (ELEC 3000.00, CWATER 1000.00, SEWER 500.00 due), one per test.
  let next = 0;
  const freshAccount = async () => {
    const number = String(7100000100 + ++next);
    await createAccount(w.h.database.db, {
      number,
      lines: [{ service: 'ELEC', charged: '3000.00', previousReading: '1500.000' }, { service: 'CWATER', opening: '100.00', charged: '900.00', previousReading: '200.000' }, { service: 'SEWER', charged: '500.00' }],
    });
    return number;
  };
  const pay = async (account: string, amount: string, lines?: Array<{ service: string; amount: string }>) => {
    const res = await w.call('POST', '/v1/payments', { json: { bankRef: ref('due'), account, channel: 'cash_desk', amount, ...(lines ? { lines } : {}) } });
    expect(res.status).toBe(201);
    return res.body as { bankRef: string; allocations: Array<{ service: string; amount: string }> };
  };
  const dueOf = async (account: string) => {
    const res = await w.call('GET', `/v1/accounts/${account}/invoice`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const split = (allocations: Array<{ service: string; amount: string }>) => Object.fromEntries(allocations.map((a) => [a.service, a.amount]));

  it('shows the remainder once part of the invoice is paid, beside the amount due as printed', async () => {
    const account = await freshAccount();
    await pay(account, '2500.00', [{ service: 'ELEC', amount: '2500.00' }]);
    const invoice = await dueOf(account);
    expect([invoice.totalDue, invoice.totalPaid, invoice.totalStillDue]).toEqual(['4500.00', '2500.00', '2000.00']);
    expect(invoice.services.map((s: { code: string; amountDue: string; paid: string; stillDue: string }) => [s.code, s.amountDue, s.paid, s.stillDue])).toEqual([
      ['ELEC', '3000.00', '2500.00', '500.00'], ['CWATER', '1000.00', '0.00', '1000.00'], ['SEWER', '500.00', '0.00', '500.00'],
    ]);
    const html = await w.call('GET', `/v1/accounts/${account}/invoice.html`);
    expect(html.text).toContain('Осталось к оплате');
    expect(html.text).toContain('net of payments already received in this period');
    expect(html.text).toContain('<td class="num" id="total-still-due">2\u00a0000,00</td>');
  });

  it('splits a payment without lines by what a partial payment left due', async () => {
    const account = await freshAccount();
    await pay(account, '2500.00', [{ service: 'ELEC', amount: '2500.00' }]);
    // 1000.00 over what is left, 500 : 1000 : 500 (not over the amounts due, 3000 : 1000 : 500).
    expect(split((await pay(account, '1000.00')).allocations)).toEqual({ ELEC: '250.00', CWATER: '500.00', SEWER: '250.00' });
    expect((await dueOf(account)).totalStillDue).toBe('1000.00');
  });

  it('splits an overpayment of a paid invoice by the amounts due', async () => {
    const account = await freshAccount();
    await pay(account, '4500.00');
    expect((await dueOf(account)).totalStillDue).toBe('0.00');
    expect(split((await pay(account, '900.00')).allocations)).toEqual({ ELEC: '600.00', CWATER: '200.00', SEWER: '100.00' });
    const invoice = await dueOf(account);
    expect([invoice.totalPaid, invoice.totalStillDue, invoice.services[0].stillDue]).toEqual(['5400.00', '0.00', '0.00']);
  });

  it('counts a cancelled payment\'s money as due again', async () => {
    const account = await freshAccount();
    const first = await pay(account, '2500.00', [{ service: 'ELEC', amount: '2500.00' }]);
    expect((await dueOf(account)).totalStillDue).toBe('2000.00');
    expect((await w.call('POST', `/v1/payments/${first.bankRef}/cancel`)).status).toBe(200);
    const invoice = await dueOf(account);
    expect([invoice.totalPaid, invoice.totalStillDue, invoice.services[0].stillDue]).toEqual(['0.00', '4500.00', '3000.00']);
    expect(split((await pay(account, '450.00')).allocations)).toEqual({ ELEC: '300.00', CWATER: '100.00', SEWER: '50.00' });
  });
});

describe('payments', () => {
  const body = (overrides: Record<string, unknown> = {}) => ({ bankRef: ref('p'), account: ACCOUNTS.main, channel: 'cash_desk', amount: '1000.00', ...overrides });

  it('accepts a payment with 201 and answers the same body to the same request', async () => {
    const request = body({ amount: '1000.00' });
    const first = await w.call('POST', '/v1/payments', { json: request });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      paymentId: `payment:HSBK:${request.bankRef}`,
      bankRef: request.bankRef,
      status: 'accepted',
      businessDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      amount: '1000.00',
      allocations: [
        { service: 'ELEC', provider: 'ALMATYENERGOSBYT', amount: '666.67' },
        { service: 'CWATER', provider: 'ALMATY_SU', amount: '222.22' },
        { service: 'SEWER', provider: 'ALMATY_SU', amount: '111.11' },
      ],
      closesAt: expect.any(String),
    });
    const again = await w.call('POST', '/v1/payments', { json: request });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    const count = await w.h.database.db('payments').where({ bank_ref: request.bankRef }).count({ n: '*' }).first();
    expect(Number(count?.n)).toBe(1);
  });

  it('answers 409 REFERENCE_CONFLICT for the same reference with other content', async () => {
    const request = body();
    expect((await w.call('POST', '/v1/payments', { json: request })).status).toBe(201);
    const res = await w.call('POST', '/v1/payments', { json: { ...request, amount: '999.00' } });
    expect([res.status, res.body.code]).toEqual([409, 'REFERENCE_CONFLICT']);
  });

  it.each([
    ['ACCOUNT_NOT_FOUND', { account: '7199999999' }],
    ['ACCOUNT_NOT_FOUND', { account: 'abc' }],
    ['NO_INVOICE', { account: ACCOUNTS.noInvoice }],
    ['NOTHING_DUE', { account: ACCOUNTS.nothingDue }],
    ['AMOUNT_MISMATCH', { amount: '1000.00', lines: [{ service: 'ELEC', amount: '600.00' }, { service: 'SEWER', amount: '300.00' }] }],
    ['INVALID_AMOUNT', { amount: '0' }],
    ['INVALID_AMOUNT', { amount: '-5.00' }],
    ['INVALID_AMOUNT', { amount: '10.005' }],
    ['INVALID_AMOUNT', { amount: '1e3' }],
    ['UNKNOWN_SERVICE', { amount: '10.00', lines: [{ service: 'GAS', amount: '10.00' }] }],
    ['READING_BELOW_PREVIOUS', { readings: [{ service: 'ELEC', value: '1499.999' }] }],
    ['INVALID_READING', { readings: [{ service: 'SEWER', value: '10' }] }],
    ['INVALID_READING', { readings: [{ service: 'ELEC', value: '12,5' }] }],
    ['INVALID_REQUEST', { paidAt: '2099-01-01T00:00:00Z' }],
    // A kiosk with a reset clock: refused, not posted into a bank-day no schedule settles.
    ['PAID_AT_TOO_OLD', { paidAt: '2001-01-01T00:00:00+05:00' }],
  ])('refuses with 422 %s', async (code, overrides) => {
    const res = await w.call('POST', '/v1/payments', { json: body(overrides) });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe(code);
    expect(typeof res.body.message).toBe('string');
  });

  it('lets a refused reference be used again, corrected', async () => {
    const request = body({ account: '7199999999' });
    expect((await w.call('POST', '/v1/payments', { json: request })).status).toBe(422);
    const fixed = await w.call('POST', '/v1/payments', { json: { ...request, account: ACCOUNTS.main } });
    expect(fixed.status).toBe(201);
  });

  it('shows a payment: status, allocations, business date, no settlement yet', async () => {
    const request = body({ amount: '450.00', lines: [{ service: 'SEWER', amount: '450.00' }] });
    const posted = await w.call('POST', '/v1/payments', { json: request });
    const res = await w.call('GET', `/v1/payments/${request.bankRef}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      expect.objectContaining({
        paymentId: `payment:HSBK:${request.bankRef}`,
        bankRef: request.bankRef,
        status: 'accepted',
        effectiveStatus: 'accepted',
        account: ACCOUNTS.main,
        channel: 'cash_desk',
        amount: '450.00',
        businessDate: posted.body.businessDate,
        settlementId: null,
        cancelledAt: null,
        allocations: [{ service: 'SEWER', provider: 'ALMATY_SU', amount: '450.00' }],
      }),
    );
  });

  it('shows a refused payment as rejected with its code', async () => {
    const request = body({ account: '7199999998' });
    await w.call('POST', '/v1/payments', { json: request });
    const res = await w.call('GET', `/v1/payments/${request.bankRef}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ status: 'rejected', effectiveStatus: 'rejected', rejection: expect.objectContaining({ code: 'ACCOUNT_NOT_FOUND' }) }));
  });

  it('answers 404 PAYMENT_NOT_FOUND for an unknown reference', async () => {
    const res = await w.call('GET', `/v1/payments/${ref('never')}`);
    expect([res.status, res.body.code]).toEqual([404, 'PAYMENT_NOT_FOUND']);
  });

  it('cancels before the cut-off; a repeated cancel answers the same', async () => {
    const request = body({ amount: '300.00' });
    expect((await w.call('POST', '/v1/payments', { json: request })).status).toBe(201);
    const cancel = await w.call('POST', `/v1/payments/${request.bankRef}/cancel`, { json: { reason: 'payer changed mind' } });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toEqual({ paymentId: `payment:HSBK:${request.bankRef}`, status: 'cancelled', cancelledAt: expect.any(String), reversedAmount: '300.00' });
    const again = await w.call('POST', `/v1/payments/${request.bankRef}/cancel`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(cancel.body);
    const shown = await w.call('GET', `/v1/payments/${request.bankRef}`);
    expect([shown.body.status, shown.body.effectiveStatus]).toEqual(['cancelled', 'cancelled']);
  });

  it('answers 409 BANK_DAY_CLOSED once the payment\'s bank-day has passed its cut-off', async () => {
    const request = body({ amount: '20.00', paidAt: pastPaidAt() });
    expect((await w.call('POST', '/v1/payments', { json: request })).status).toBe(201);
    const res = await w.call('POST', `/v1/payments/${request.bankRef}/cancel`, { json: {} });
    expect([res.status, res.body.code]).toEqual([409, 'BANK_DAY_CLOSED']);
  });

  it('answers 409 BANK_DAY_CLOSED once the settlement has closed the bank-day', async () => {
    const request = body({ amount: '21.00' });
    const posted = await w.call('POST', '/v1/payments', { json: request });
    expect(posted.status).toBe(201);
    // What the settlement's close does to the bank-day row.
    await w.h.database.db('bank_days').where({ bank_code: 'HSBK', business_date: posted.body.businessDate }).update({ closed_at: new Date() });
    try {
      const res = await w.call('POST', `/v1/payments/${request.bankRef}/cancel`);
      expect([res.status, res.body.code]).toEqual([409, 'BANK_DAY_CLOSED']);
    } finally {
      await w.h.database.db('bank_days').where({ bank_code: 'HSBK', business_date: posted.body.businessDate }).update({ closed_at: null });
    }
  });

  it('answers 404 for cancelling an unknown payment and 409 PAYMENT_REJECTED for a refused one', async () => {
    const unknown = await w.call('POST', `/v1/payments/${ref('ghost')}/cancel`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'PAYMENT_NOT_FOUND']);
    const request = body({ amount: '0' });
    await w.call('POST', '/v1/payments', { json: request });
    const refused = await w.call('POST', `/v1/payments/${request.bankRef}/cancel`);
    expect([refused.status, refused.body.code]).toEqual([409, 'PAYMENT_REJECTED']);
  });
});

describe('isolation between banks', () => {
  it('shows another bank\'s payment, register and settlement as 404, exactly like a missing one', async () => {
    const request = { bankRef: ref('iso'), account: ACCOUNTS.main, channel: 'online', amount: '50.00' };
    expect((await w.call('POST', '/v1/payments', { json: request })).status).toBe(201);

    const seen = await w.call('GET', `/v1/payments/${request.bankRef}`, { key: w.keys.CASP });
    const missing = await w.call('GET', `/v1/payments/${ref('none')}`, { key: w.keys.CASP });
    expect(seen.status).toBe(404);
    expect(seen.body.code).toBe(missing.body.code);

    const cancel = await w.call('POST', `/v1/payments/${request.bankRef}/cancel`, { key: w.keys.CASP });
    expect([cancel.status, cancel.body.code]).toEqual([404, 'PAYMENT_NOT_FOUND']);
    expect((await w.call('GET', `/v1/payments/${request.bankRef}`)).body.status).toBe('accepted');

    // CASP may use the same reference for its own payment: references are per bank.
    const own = await w.call('POST', '/v1/payments', { key: w.keys.CASP, json: request });
    expect(own.status).toBe(201);
    expect(own.body.paymentId).toBe(`payment:CASP:${request.bankRef}`);

    const csv = registerCsv(day, [{ ref: ref('iso-r'), account: ACCOUNTS.simple[0], amount: '10.00' }]);
    const reg = await w.call('POST', '/v1/registers', { body: csv, contentType: 'text/csv' });
    expect(reg.status).toBe(202);
    const other = await w.call('GET', `/v1/registers/${encodeURIComponent(reg.body.id)}`, { key: w.keys.CASP });
    expect([other.status, other.body.code]).toEqual([404, 'REGISTER_NOT_FOUND']);
    expect((await w.call('GET', '/v1/registers', { key: w.keys.CASP })).body.items).toEqual([]);

    await w.h.database.db('settlements').insert({ id: 'HSBK:2026-10-01', bank_code: 'HSBK', business_date: '2026-10-01', status: 'closing', workflow_id: 'test' });
    const settlement = await w.call('GET', '/v1/settlements/HSBK:2026-10-01', { key: w.keys.CASP });
    expect([settlement.status, settlement.body.code]).toEqual([404, 'SETTLEMENT_NOT_FOUND']);
    expect((await w.call('GET', '/v1/settlements/HSBK:2026-10-01')).status).toBe(200);
    expect((await w.call('GET', '/v1/settlements?date=2026-10-01', { key: w.keys.CASP })).body.items).toEqual([]);
    const confirm = await w.call('POST', '/v1/settlements/HSBK-2026-10-01/confirmation', { key: w.keys.CASP, json: { transferRef: 'X1' } });
    expect([confirm.status, confirm.body.code]).toEqual([404, 'SETTLEMENT_NOT_FOUND']);
  });
});

describe('registers', () => {
  it('accepts a register with 202, posts its rows and shows progress and per-row results', async () => {
    const [a, b, c, d] = ACCOUNTS.simple;
    const rows = [
      { ref: ref('r'), account: a as string, amount: '1596.00', pile: 'P1' },
      { ref: ref('r'), account: b as string, amount: '800.00', lines: 'WASTE:800.00', paidAt: `${day}T09:30:00+05:00`, pile: 'P1' },
      { ref: ref('r'), account: '7199999999', amount: '100.00', pile: 'P2' },
      { ref: ref('r'), account: c as string, amount: '500.00', lines: 'WASTE:400.00', pile: 'P2' },
      { ref: ref('r'), account: d as string, amount: '50.00' },
    ];
    const csv = registerCsv(day, rows);
    const res = await w.call('POST', '/v1/registers', { body: csv, contentType: 'text/csv' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual(expect.objectContaining({ bankCode: 'HSBK', businessDate: day, declaredCount: 5, declaredTotal: '3046.00', rowCount: 5 }));
    expect(res.body.id).toMatch(/^HSBK:[0-9a-f]{16}$/);
    expect(res.body.workflowId).toBe(`register:${res.body.id}`);
    expect(res.headers.get('location')).toBe(`/v1/registers/${encodeURIComponent(res.body.id)}`);

    const done = await waitFor('register done', async () => {
      const r = await w.call('GET', `/v1/registers/${res.body.id}`);
      return r.body.status === 'done' ? r.body : undefined;
    });
    expect(done).toEqual(expect.objectContaining({ rowsDone: 5, rowsAccepted: 3, rowsRejected: 2 }));
    expect(done.rows.map((r: { lineNo: number; status: string; code: string | null }) => [r.lineNo, r.status, r.code])).toEqual([
      [3, 'accepted', null],
      [4, 'accepted', null],
      [5, 'rejected', 'ACCOUNT_NOT_FOUND'],
      [6, 'rejected', 'AMOUNT_MISMATCH'],
      [7, 'accepted', null],
    ]);
    const payment = await w.call('GET', `/v1/payments/${rows[0]?.ref}`);
    expect(payment.body).toEqual(expect.objectContaining({ channel: 'register', registerId: res.body.id, pileNo: 'P1', businessDate: day }));

    // The same file again is the same register, and nothing is posted twice.
    const again = await w.call('POST', '/v1/registers', { body: csv, contentType: 'text/csv' });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(res.body.id);
    expect(await w.h.database.db('registers').where({ bank_code: 'HSBK', id: res.body.id }).count({ n: '*' }).first()).toEqual({ n: '1' });
    expect(await w.h.database.db('payments').where({ register_id: res.body.id }).count({ n: '*' }).first()).toEqual({ n: '3' });

    // Pages, filters and the dash form of the id.
    const page1 = await w.call('GET', `/v1/registers/${res.body.id.replace(':', '-')}?limit=2`);
    expect(page1.body.rows.map((r: { lineNo: number }) => r.lineNo)).toEqual([3, 4]);
    expect(page1.body.page).toEqual({ after: 0, limit: 2, nextAfter: 4 });
    const page2 = await w.call('GET', `/v1/registers/${encodeURIComponent(res.body.id)}?limit=2&after=4`);
    expect(page2.body.rows.map((r: { lineNo: number }) => r.lineNo)).toEqual([5, 6]);
    const rejected = await w.call('GET', `/v1/registers/${res.body.id}?status=rejected`);
    expect(rejected.body.rows.map((r: { lineNo: number }) => r.lineNo)).toEqual([5, 6]);
    const listed = await w.call('GET', `/v1/registers?date=${day}`);
    expect(listed.body.items.map((r: { id: string }) => r.id)).toContain(res.body.id);
  });

  it('links a row to a payment the bank already sent through another channel', async () => {
    const bankRef = ref('linked');
    const account = ACCOUNTS.simple[4] as string;
    expect((await w.call('POST', '/v1/payments', { json: { bankRef, account, channel: 'cash_desk', amount: '75.00', paidAt: `${day}T11:00:00+05:00` } })).status).toBe(201);
    const csv = registerCsv(day, [{ ref: bankRef, account, amount: '75.00', paidAt: `${day}T11:00:00+05:00` }]);
    const res = await w.call('POST', '/v1/registers', { body: csv, contentType: 'text/csv' });
    const done = await waitFor('register done', async () => {
      const r = await w.call('GET', `/v1/registers/${res.body.id}`);
      return r.body.status === 'done' ? r.body : undefined;
    });
    expect(done.rows[0]).toEqual(expect.objectContaining({ status: 'accepted', code: null, message: expect.stringContaining(`linked to payment:HSBK:${bankRef}`) }));
  });

  it('refuses a malformed register with 400 naming the lines, and posts nothing', async () => {
    const good = ref('bad');
    const csv = [
      `#register;business_date=${day};count=3;total=300.00`,
      'bank_ref;account;amount;lines',
      `${good};${ACCOUNTS.simple[0]};100.00;`,
      `${ref('bad')};71000000X;100.00;`,
      `${ref('bad')};${ACCOUNTS.simple[1]};100,00;ELEC=5`,
    ].join('\n');
    const res = await w.call('POST', '/v1/registers', { body: csv, contentType: 'text/csv' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('MALFORMED_REGISTER');
    expect(res.body.details.errors.map((e: { line: number }) => e.line)).toEqual([4, 5]);
    expect(res.body.message).toContain('line 4');
    expect(await w.h.database.db('register_rows').where({ bank_ref: good }).first()).toBeUndefined();
  });

  it('refuses a register whose declared count or total does not match its rows', async () => {
    const rows = [{ ref: ref('decl'), account: ACCOUNTS.simple[0] as string, amount: '10.00' }];
    const count = await w.call('POST', '/v1/registers', { body: registerCsv(day, rows, { count: 2 }), contentType: 'text/csv' });
    expect([count.status, count.body.details.errors[0].line]).toEqual([400, 1]);
    expect(count.body.message).toContain('count=2');
    const total = await w.call('POST', '/v1/registers', { body: registerCsv(day, rows, { total: '10.01' }), contentType: 'text/csv' });
    expect(total.status).toBe(400);
    expect(total.body.message).toContain('total=10.01');
  });

  it('answers 404 REGISTER_NOT_FOUND for an unknown or malformed id', async () => {
    for (const id of ['HSBK:0123456789abcdef', 'HSBK-0123456789abcdef', 'nonsense', "HSBK:' OR 1=1 --"]) {
      const res = await w.call('GET', `/v1/registers/${encodeURIComponent(id)}`);
      expect([res.status, res.body.code]).toEqual([404, 'REGISTER_NOT_FOUND']);
    }
  });
});

describe('settlements (reads)', () => {
  it('answers 404 SETTLEMENT_NOT_FOUND for an unknown id and 409 LIST_NOT_READY before the list exists', async () => {
    const missing = await w.call('GET', '/v1/settlements/HSBK:2026-01-05');
    expect([missing.status, missing.body.code]).toEqual([404, 'SETTLEMENT_NOT_FOUND']);
    const malformed = await w.call('GET', '/v1/settlements/whatever');
    expect([malformed.status, malformed.body.code]).toEqual([404, 'SETTLEMENT_NOT_FOUND']);
    await w.h.database.db('settlements').insert({ id: 'HSBK:2026-10-02', bank_code: 'HSBK', business_date: '2026-10-02', status: 'closing', workflow_id: 'test' });
    for (const file of ['pain001.xml', 'list.csv']) {
      const res = await w.call('GET', `/v1/settlements/HSBK%3A2026-10-02/${file}`);
      expect([res.status, res.body.code]).toEqual([409, 'LIST_NOT_READY']);
    }
    const detail = await w.call('GET', '/v1/settlements/HSBK-2026-10-02');
    expect(detail.body).toEqual(expect.objectContaining({ id: 'HSBK:2026-10-02', status: 'closing', netTotal: '0.00', lines: [], files: [] }));
  });

  it('refuses an empty confirmation with 400 VALIDATION_FAILED', async () => {
    const res = await w.call('POST', '/v1/settlements/HSBK:2026-10-02/confirmation', { json: {} });
    expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
