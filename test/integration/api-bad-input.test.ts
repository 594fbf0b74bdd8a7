// Bad input never makes the bank API answer 5xx: malformed JSON, wrong types, oversize bodies,
// SQL-looking and control-character strings, broken URLs and broken register files each get a 4xx
// with {code, message}, and nothing is posted.
import { ACCOUNTS, startApiWorld, type ApiWorld, type CallResult } from './api-support';
import { toAlmaty, addDays } from '../../domain/calendar';

jest.setTimeout(240_000);

let w: ApiWorld;
let seq = 0;
const ref = (tag: string) => `${tag}-${w.run}-${++seq}`;
const today = () => toAlmaty(new Date()).date;
const yesterday = () => addDays(today(), -1);

beforeAll(async () => {
  w = await startApiWorld('api-bad-input');
});

afterAll(async () => {
  await w?.close();
});

function expectError(res: CallResult, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expect(typeof res.body.message).toBe('string');
  expect(res.body.message.length).toBeGreaterThan(0);
}

const raw = (body: string | Buffer, contentType = 'application/json', path = '/v1/payments') => w.call('POST', path, { body, contentType });
const pay = (json: unknown) => w.call('POST', '/v1/payments', { json });
const valid = () => ({ bankRef: ref('b'), account: ACCOUNTS.main, channel: 'cash_desk', amount: '100.00' });

describe('malformed JSON', () => {
  it.each([
    ['{bad', 'INVALID_JSON'],
    ['{"bankRef": "x",}', 'INVALID_JSON'],
    ['', 'INVALID_JSON'],
    ['[]', 'VALIDATION_FAILED'],
    ['null', 'VALIDATION_FAILED'],
    ['"a string"', 'VALIDATION_FAILED'],
    ['42', 'VALIDATION_FAILED'],
  ])('answers 400 to %j', async (body, code) => {
    expectError(await raw(body), 400, code);
  });

  it('refuses prototype pollution attempts', async () => {
    const res = await raw(`{"__proto__": {"admin": true}, "bankRef": "${ref('proto')}", "account": "${ACCOUNTS.main}", "channel": "online", "amount": "1.00"}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toMatch(/INVALID_JSON|VALIDATION_FAILED/);
  });

  it('answers 415 to a body that is not JSON', async () => {
    expectError(await raw('bankRef=x', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await raw('<xml/>', 'application/xml'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('wrong types and shapes', () => {
  it.each([
    ['amount as a number', { amount: 100 }, 'amount'],
    ['amount as a float', { amount: 100.5 }, 'amount'],
    ['amount missing', { amount: undefined }, 'amount'],
    ['account as a number', { account: 7100000001 }, 'account'],
    ['channel unknown', { channel: 'bank' }, 'channel'],
    ['channel register (registers have their own endpoint)', { channel: 'register' }, 'channel'],
    ['bankRef with spaces', { bankRef: 'a b' }, 'bankRef'],
    ['bankRef too long', { bankRef: 'x'.repeat(65) }, 'bankRef'],
    ['bankRef empty', { bankRef: '' }, 'bankRef'],
    ['bankCode in the body', { bankCode: 'CASP' }, 'bankCode'],
    ['an unknown field', { payer: 'me' }, 'payer'],
    ['lines not a list', { lines: { ELEC: '100.00' } }, 'lines'],
    ['lines empty', { lines: [] }, 'lines'],
    ['a line amount as a number', { lines: [{ service: 'ELEC', amount: 100 }] }, 'lines[0].amount'],
    ['a line with a lower-case service', { lines: [{ service: 'elec', amount: '100.00' }] }, 'lines[0].service'],
    ['a reading as a number', { readings: [{ service: 'ELEC', value: 1600 }] }, 'readings[0].value'],
    ['too many lines', { lines: Array.from({ length: 33 }, (_, i) => ({ service: `S${i}`, amount: '1.00' })) }, 'lines'],
    ['paidAt not an instant', { paidAt: 'yesterday' }, 'paidAt'],
    ['paidAt an impossible date', { paidAt: '2026-02-31T10:00:00+05:00' }, 'paidAt'],
    ['a control character in the account', { account: '7100000001\u0000' }, 'account'],
    ['full-width digits in the amount', { amount: '１００.００' }, 'amount'],
    ['an amount of a megabyte... of digits', { amount: '9'.repeat(40) }, 'amount'],
  ])('answers 400 VALIDATION_FAILED for %s, naming the field', async (_what, overrides, field) => {
    const res = await pay({ ...valid(), ...overrides });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.details.field).toBe(field);
    expect(res.body.message).toContain(field);
  });

  it('refuses a confirmation whose line number is a string', async () => {
    const res = await w.call('POST', '/v1/settlements/HSBK:2026-10-02/confirmation', { json: { lines: [{ lineNo: '1', transferRef: 'T1' }] } });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.details.field).toBe('lines[0].lineNo');
  });

  it('refuses bad query strings', async () => {
    expectError(await w.call('GET', '/v1/settlements?date=yesterday'), 400, 'VALIDATION_FAILED');
    expectError(await w.call('GET', '/v1/settlements?date=2026-11-27&x=1'), 400, 'VALIDATION_FAILED');
    expectError(await w.call('GET', '/v1/registers/HSBK:0123456789abcdef?limit=0'), 400, 'VALIDATION_FAILED');
    expectError(await w.call('GET', '/v1/registers/HSBK:0123456789abcdef?limit=-1'), 400, 'VALIDATION_FAILED');
    expectError(await w.call('GET', '/v1/registers/HSBK:0123456789abcdef?status=all'), 400, 'VALIDATION_FAILED');
  });
});

describe('oversize bodies', () => {
  it('answers 413 to a JSON body over 64 KiB', async () => {
    const res = await pay({ ...valid(), padding: 'x'.repeat(70 * 1024) });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 413 to a register over 20 MiB', async () => {
    const res = await raw(Buffer.alloc(21 * 1024 * 1024, 'a'), 'text/csv', '/v1/registers');
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers 401 to an unauthenticated huge body without reading it', async () => {
    const res = await w.call('POST', '/v1/registers', { key: null, body: Buffer.alloc(5 * 1024 * 1024, 'a'), contentType: 'text/csv' });
    expectError(res, 401, 'UNAUTHORIZED');
  });

  it('answers 401 to an absurdly long Authorization header', async () => {
    expectError(await w.call('GET', '/v1/bank', { key: 'k'.repeat(4000) }), 401, 'UNAUTHORIZED');
  });
});

describe('SQL-looking strings', () => {
  const sql = ["' OR '1'='1", "1; DROP TABLE payments; --", "7100000001' --", '$$; SELECT pg_sleep(10); $$'];

  it.each(sql)('looks up no invoice for %j', async (text) => {
    expectError(await w.call('GET', `/v1/accounts/${encodeURIComponent(text)}/invoice`), 404, 'ACCOUNT_NOT_FOUND');
  });

  it.each(sql)('refuses a payment to account %j as ACCOUNT_NOT_FOUND', async (text) => {
    expectError(await pay({ ...valid(), account: text }), 422, 'ACCOUNT_NOT_FOUND');
  });

  it.each(sql)('finds no payment, register or settlement named %j', async (text) => {
    const path = encodeURIComponent(text);
    const payment = await w.call('GET', `/v1/payments/${path}`);
    expect([400, 404]).toContain(payment.status);
    expectError(await w.call('GET', `/v1/registers/${path}`), 404, 'REGISTER_NOT_FOUND');
    expectError(await w.call('GET', `/v1/settlements/${path}`), 404, 'SETTLEMENT_NOT_FOUND');
    expectError(await w.call('GET', `/v1/settlements/${path}/pain001.xml`), 404, 'SETTLEMENT_NOT_FOUND');
  });

  it('still has its tables afterwards', async () => {
    const { rows } = await w.h.database.db.raw("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('payments', 'registers', 'settlements')");
    expect(rows[0].n).toBe(3);
  });
});

describe('broken URLs', () => {
  it('answers 4xx to bad percent-encoding, long parameters and unknown methods', async () => {
    for (const [method, path] of [
      ['GET', '/v1/payments/%E0%A4%A'],
      ['GET', `/v1/payments/${'a'.repeat(500)}`],
      ['GET', `/v1/accounts/${'1'.repeat(200)}/invoice`],
      ['PUT', '/v1/payments'],
      ['DELETE', '/v1/payments/x'],
      ['GET', '/v1/payments/..%2F..%2Fetc%2Fpasswd'],
      ['GET', '/static/..%2F..%2Fpackage.json'],
    ]) {
      const res = await w.call(method as string, path as string);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.code).toEqual(expect.any(String));
    }
  });
});

describe('hostile queries, cookies and URLs', () => {
  it('answers 400 to a date query that names no real day, instead of passing it to Postgres', async () => {
    for (const path of ['/v1/settlements?date=2026-13-45', '/v1/registers?date=2026-02-30', '/v1/settlements?date=0000-01-01']) {
      const res = await w.call('GET', path);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.details).toEqual({ field: 'date', in: 'querystring' });
    }
  });

  it('answers fastify\'s own refusals in the one error shape with a documented code', async () => {
    for (const path of ['/v1/payments/%zz', '/v1/settlements/%E0%A4%A']) {
      const res = await w.call('GET', path);
      expectError(res, 400, 'BAD_REQUEST');
      expect(Object.keys(res.body).sort()).toEqual(['code', 'message']);
    }
  });

  it('answers a request the HTTP parser cannot read with 400 in the same shape', async () => {
    const net = await import('node:net');
    const { port } = new URL(w.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('GET /v1/bank HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({ code: 'BAD_REQUEST', message: expect.any(String) });
  });

  it('keeps answers small when a register repeats a huge field', async () => {
    const huge = 'R'.repeat(1 << 20);
    const res = await raw(`#register;business_date=${yesterday()};count=1;total=100.00\nbank_ref;account;amount\n${huge};${ACCOUNTS.simple[0]};100.00`, 'text/csv', '/v1/registers');
    expectError(res, 400, 'MALFORMED_REGISTER');
    expect(res.text.length).toBeLessThan(2_000);
  });
});

describe('broken register files', () => {
  const header = (date = yesterday(), count = 1, total = '100.00') => `#register;business_date=${date};count=${count};total=${total}`;
  const row = () => `${ref('csv')};${ACCOUNTS.simple[0]};100.00`;

  it.each([
    ['an empty file', () => ''],
    ['only the header line', () => header()],
    ['no header line', () => `bank_ref;account;amount\n${row()}`],
    ['a header without total', () => `#register;business_date=${yesterday()};count=1\nbank_ref;account;amount\n${row()}`],
    ['an impossible business date', () => `${header('2026-02-30')}\nbank_ref;account;amount\n${row()}`],
    ['a business date in the future', () => `${header(addDays(today(), 2))}\nbank_ref;account;amount\n${row()}`],
    ['a business date long ago', () => `${header('2020-01-06')}\nbank_ref;account;amount\n${row()}`],
    ['commas instead of semicolons', () => `${header().replace(/;/g, ',')}\nbank_ref,account,amount\n${row().replace(/;/g, ',')}`],
    ['a missing required column', () => `${header()}\nbank_ref;amount\n${ref('c')};100.00`],
    ['an unknown column', () => `${header()}\nbank_ref;account;amount;colour\n${row()};red`],
    ['a row with too many fields', () => `${header()}\nbank_ref;account;amount\n${row()};extra`],
    ['an unclosed quote', () => `${header()}\nbank_ref;account;amount\n"${ref('q')};"${ACCOUNTS.simple[0]}";"100.00"`],
    ['an amount with two decimal separators', () => `${header()}\nbank_ref;account;amount\n${ref('c')};${ACCOUNTS.simple[0]};1.100,00`],
    ['a negative amount', () => `${header()}\nbank_ref;account;amount\n${ref('c')};${ACCOUNTS.simple[0]};-100.00`],
    ['lines in the wrong format', () => `${header()}\nbank_ref;account;amount;lines\n${row()};WASTE=100.00`],
    ['a reading in the wrong format', () => `${header()}\nbank_ref;account;amount;readings\n${row()};ELEC:12,5,1`],
    ['a paid_at more than the bound before the upload', () => `${header()}\nbank_ref;account;amount;paid_at\n${row()};2001-01-01T10:00:00+05:00`],
    ['paid_at without a zone', () => `${header()}\nbank_ref;account;amount;paid_at\n${row()};2026-11-27T10:00:00`],
    ['a duplicated bank_ref', () => { const r = row(); return `${header(yesterday(), 2, '200.00')}\nbank_ref;account;amount\n${r}\n${r}`; }],
    ['an empty line inside', () => `${header(yesterday(), 2, '200.00')}\nbank_ref;account;amount\n${row()}\n\n${row()}`],
    ['SQL in a bank_ref', () => `${header()}\nbank_ref;account;amount\n'; DROP TABLE registers; --;${ACCOUNTS.simple[0]};100.00`],
    ['binary garbage', () => '\u0000\u0001\u0002PK\u0003\u0004'],
  ])('refuses %s with 400 MALFORMED_REGISTER and posts nothing', async (_what, build) => {
    const before = await w.h.database.db('registers').count({ n: '*' }).first();
    const res = await raw(build(), 'text/csv', '/v1/registers');
    expectError(res, 400, 'MALFORMED_REGISTER');
    expect(res.body.details.errors.length).toBeGreaterThan(0);
    expect(res.body.details.errors[0]).toEqual({ line: expect.any(Number), message: expect.any(String) });
    expect(await w.h.database.db('registers').count({ n: '*' }).first()).toEqual(before);
  });

  it('refuses a register that is not UTF-8', async () => {
    const res = await raw(Buffer.from([0x23, 0xff, 0xfe, 0x0a, 0xc3, 0x28]), 'text/csv', '/v1/registers');
    expectError(res, 400, 'MALFORMED_REGISTER');
  });

  it('refuses a register sent as JSON', async () => {
    expectError(await w.call('POST', '/v1/registers', { json: { rows: [] } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await w.call('POST', '/v1/registers'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('references of the SPC\'s own replacement form', () => {
  const counts = async () => ({
    payments: await w.h.database.db('payments').count({ n: '*' }).first(),
    registers: await w.h.database.db('registers').count({ n: '*' }).first(),
    rows: await w.h.database.db('register_rows').count({ n: '*' }).first(),
  });

  it('refuses a payment whose bankRef ends in /K and digits with 422 BANK_REF_RESERVED, writing nothing', async () => {
    const before = await counts();
    const bankRef = `${ref('b')}/K7`;
    const res = await pay({ ...valid(), bankRef });
    expectError(res, 422, 'BANK_REF_RESERVED');
    expect(await counts()).toEqual(before);
    expect(await w.h.database.db('payments').where({ bank_ref: bankRef }).first()).toBeUndefined();
    // A reference that merely contains /K is the bank's to use.
    const ok = await pay({ ...valid(), bankRef: `${ref('b')}/K7x` });
    expect(ok.status).toBe(201);
  });

  it('refuses a register with such a row as a whole, naming the line and the code, writing nothing', async () => {
    const before = await counts();
    const csv = `#register;business_date=${yesterday()};count=2;total=200.00\nbank_ref;account;amount\n` +
      `${ref('csv')};${ACCOUNTS.simple[0]};100.00\n${ref('csv')}/K12;${ACCOUNTS.simple[0]};100.00`;
    const res = await raw(csv, 'text/csv', '/v1/registers');
    expectError(res, 400, 'MALFORMED_REGISTER');
    expect(res.body.details.errors).toEqual([{ line: 4, message: expect.stringContaining('BANK_REF_RESERVED'), code: 'BANK_REF_RESERVED' }]);
    expect(await counts()).toEqual(before);
  });
});

describe('hostile complaints and free text', () => {
  let paidRef: string;
  const complaints = () => w.h.database.db('complaints').count({ n: '*' }).first();
  const raise = (json: unknown) => w.call('POST', '/v1/complaints', { json });

  beforeAll(async () => {
    paidRef = ref('paid');
    const res = await pay({ bankRef: paidRef, account: ACCOUNTS.main, channel: 'cash_desk', amount: '100.00' });
    expect(res.status).toBe(201);
  });

  it.each([
    ['an empty object', () => ({})],
    ['no text', () => ({ bankRef: paidRef, disposition: 'OTHER' })],
    ['an empty text', () => ({ bankRef: paidRef, disposition: 'OTHER', text: '' })],
    ['a text over 2,000 characters', () => ({ bankRef: paidRef, disposition: 'OTHER', text: 'я'.repeat(2001) })],
    ['a NUL in the text', () => ({ bankRef: paidRef, disposition: 'OTHER', text: 'paid\u0000twice' })],
    ['an escape sequence in the text', () => ({ bankRef: paidRef, disposition: 'OTHER', text: 'paid \u001b[2J twice' })],
    ['a C1 CSI (U+009B) in the text', () => ({ bankRef: paidRef, disposition: 'OTHER', text: 'paid \u009b2J twice' })],
    ['a right-to-left override (U+202E) in the text', () => ({ bankRef: paidRef, disposition: 'OTHER', text: 'refund \u202e00.0001' })],
    ['a bidi isolate (U+2066) in the text', () => ({ bankRef: paidRef, disposition: 'OTHER', text: 'x \u2066y\u2069' })],
    ['a text that is a number', () => ({ bankRef: paidRef, disposition: 'OTHER', text: 42 })],
    ['a text that is an object', () => ({ bankRef: paidRef, disposition: 'OTHER', text: { $gt: '' } })],
    ['an unknown disposition', () => ({ bankRef: paidRef, disposition: 'FRAUD', text: 'x' })],
    ['a disposition in lower case', () => ({ bankRef: paidRef, disposition: 'duplicate_payment', text: 'x' })],
    ['a bankRef with a space', () => ({ bankRef: 'a b', disposition: 'OTHER', text: 'x' })],
    ['a bankRef with SQL', () => ({ bankRef: "x'; DROP TABLE complaints; --", disposition: 'OTHER', text: 'x' })],
    ['a bankRef of 65 characters', () => ({ bankRef: 'r'.repeat(65), disposition: 'OTHER', text: 'x' })],
    ['an extra property', () => ({ bankRef: paidRef, disposition: 'OTHER', text: 'x', status: 'closed' })],
    ['an array', () => [{ bankRef: paidRef, disposition: 'OTHER', text: 'x' }]],
  ])('answers 400 VALIDATION_FAILED to %s and raises nothing', async (_what, build) => {
    const before = await complaints();
    expectError(await raise(build()), 400, 'VALIDATION_FAILED');
    expect(await complaints()).toEqual(before);
  });

  it('answers 404 PAYMENT_NOT_FOUND for a payment the bank never sent, and for another bank\'s payment', async () => {
    expectError(await raise({ bankRef: ref('never'), disposition: 'WRONG_ACCOUNT', text: 'x' }), 404, 'PAYMENT_NOT_FOUND');
    const other = await w.call('POST', '/v1/complaints', { key: w.keys.CASP, json: { bankRef: paidRef, disposition: 'WRONG_ACCOUNT', text: 'x' } });
    expectError(other, 404, 'PAYMENT_NOT_FOUND');
  });

  it('takes Cyrillic text with line breaks, once', async () => {
    const json = { bankRef: paidRef, disposition: 'WRONG_AMOUNT', text: 'Плательщик внёс 1000,00\nа проведено 100,00\tпо квитанции' };
    const first = await raise(json);
    expect(first.status).toBe(201);
    expect(first.body.text).toBe(json.text);
    const again = await raise(json);
    expect({ status: again.status, id: again.body.id }).toEqual({ status: 200, id: first.body.id });
  });

  it('answers 4xx to hostile complaint ids and queries', async () => {
    for (const path of [
      '/v1/complaints/%00',
      '/v1/complaints/HSBK%3Ax%00%3AOTHER',
      `/v1/complaints/${'A'.repeat(101)}`,
      '/v1/complaints/%27%20OR%20%271%27%3D%271',
      '/v1/complaints?limit=abc',
      '/v1/complaints?limit=-1',
      '/v1/complaints?limit=99999',
      '/v1/complaints?status=bogus',
      '/v1/complaints?status[]=open',
      '/v1/complaints?colour=red',
      '/v1/registers/%00',
      '/v1/settlements/%00',
      '/v1/payments/%00',
      '/v1/accounts/%00/invoice',
    ]) {
      const res = await w.call('GET', path);
      expect({ path, status: res.status >= 400 && res.status < 500, code: typeof res.body?.code }).toEqual({ path, status: true, code: 'string' });
    }
  });

  it('answers another bank\'s complaint as absent', async () => {
    const { body } = await raise({ bankRef: paidRef, disposition: 'OTHER', text: 'why' });
    expectError(await w.call('GET', `/v1/complaints/${encodeURIComponent(body.id)}`, { key: w.keys.CASP }), 404, 'COMPLAINT_NOT_FOUND');
    expect((await w.call('GET', `/v1/complaints/${encodeURIComponent(body.id)}`)).body.id).toBe(body.id);
  });

  it('refuses a cancellation reason with control characters', async () => {
    const res = await w.call('POST', `/v1/payments/${encodeURIComponent(ref('cx'))}/cancel`, { json: { reason: 'typo\u0000' } });
    expectError(res, 400, 'VALIDATION_FAILED');
  });
});
