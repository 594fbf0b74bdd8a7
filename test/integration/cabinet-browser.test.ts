// The households' cabinet (issue 20 item 3) in headless Chromium (playwright-core, as the cashier's
// tests): sign-in, lock-out after wrong codes, the current invoice with the cashier's numbers, the
// history with a PDF download (its text extracted with pdftotext), payments with their state, a
// reading accepted and refused (and counted like a bank's), a complaint; and over plain HTTP, that a
// second household's session reaches nothing of the first's by any cabinet URL.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { rotateAccessCode } from '../../db/cabinet';
import { addDays, toAlmaty } from '../../domain/calendar';
import { ACCOUNTS, startApiWorld, type ApiWorld } from './api-support';

jest.setTimeout(300_000);

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT_DIR = process.env.SPC_SCREENSHOT_DIR ?? '/tmp';
const A = ACCOUNTS.main;
const B = ACCOUNTS.simple[0];
const LOCKED = ACCOUNTS.simple[1];

let w: ApiWorld;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const codes: Record<string, string> = {};
let period: string;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: install it or set CHROMIUM_PATH`);
  w = await startApiWorld('cabinet');
  const db = w.h.database.db;
  for (const account of [A, B, LOCKED]) codes[account] = await rotateAccessCode(db, account);
  period = (await db('invoices').where({ account_number: A }).first(db.raw("to_char(period, 'YYYY-MM') AS p"))).p as string;
  // The readings window is open today (Almaty).
  const today = toAlmaty(new Date()).date;
  await db('billing_periods').insert({ period: `${period}-01`, readings_from: addDays(today, -1), readings_to: addDays(today, 1) })
    .onConflict('period').merge(['readings_from', 'readings_to']);
  // A's payments: one standing, one cancelled.
  const run = w.run;
  expect((await w.call('POST', '/v1/payments', { json: { bankRef: `CAB-${run}-1`, account: A, channel: 'online', amount: '100.00', lines: [{ service: 'SEWER', amount: '100.00' }] } })).status).toBe(201);
  expect((await w.call('POST', '/v1/payments', { json: { bankRef: `CAB-${run}-2`, account: A, channel: 'cash_desk', amount: '50.00', lines: [{ service: 'SEWER', amount: '50.00' }] } })).status).toBe(201);
  expect((await w.call('POST', `/v1/payments/CAB-${run}-2/cancel`, { json: { reason: 'test' } })).status).toBe(200);
  expect((await w.call('POST', '/v1/payments', { json: { bankRef: `CAB-${run}-B`, account: B, channel: 'online', amount: '96.00' } })).status).toBe(201);
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH, headless: true, acceptDownloads: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 390, height: 844 }, locale: 'ru-RU', timezoneId: 'Asia/Almaty',
  });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  await w?.close();
});

const messageSays = (text: string) => page.locator('#message', { hasText: text }).waitFor({ state: 'visible', timeout: 60_000 });

async function signInWithKeyboard(account: string, code: string): Promise<void> {
  await page.locator('#account').fill('');
  await page.locator('#account').focus();
  await page.keyboard.type(account);
  await page.keyboard.press('Tab');
  await page.keyboard.type(code);
  await page.keyboard.press('Enter');
}

describe('the cabinet in a browser', () => {
  it('refuses a wrong code, then locks the account out, the right code too', async () => {
    await page.goto(`${w.url}/cabinet`);
    await page.locator('#account').waitFor({ state: 'visible' });
    await signInWithKeyboard(LOCKED, 'AAAA-BBBB-CCCC');
    await messageSays('Неверный лицевой счёт или код доступа');
    for (let i = 1; i < 5; i += 1) {
      await page.locator('#message').evaluate('(el) => { el.hidden = true; }');
      await signInWithKeyboard(LOCKED, 'AAAA-BBBB-CCCC');
      await page.locator('#message').waitFor({ state: 'visible' });
    }
    await messageSays('Вход заблокирован');
    await page.locator('#message').evaluate('(el) => { el.hidden = true; }');
    await signInWithKeyboard(LOCKED, codes[LOCKED]!);
    await messageSays('Вход заблокирован');
    expect(await page.locator('#home').isHidden()).toBe(true);
    expect(await w.h.database.db('cabinet_sessions').where({ account_number: LOCKED }).count('* as n').first()).toEqual({ n: '0' });
  });

  it('signs in with the keyboard and shows the current invoice with the cashier page\'s numbers', async () => {
    await page.locator('#message').evaluate('(el) => { el.hidden = true; }');
    await signInWithKeyboard(A, codes[A]!.toLowerCase().replace(/-/g, ' '));
    await page.locator('#home').waitFor({ state: 'visible', timeout: 60_000 });
    const cashier = (await w.call('GET', `/v1/accounts/${A}/invoice`)).body;
    expect(cashier.totalStillDue).toBe('4400.00');
    expect(await page.locator('#still-due').textContent()).toContain(cashier.totalStillDue);
    for (const s of cashier.services) {
      expect(await page.locator(`#current-lines tr[data-service="${s.code}"]`).textContent()).toContain(s.stillDue);
    }
    expect(await page.locator('#qr').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    expect(await page.locator('#banks').textContent()).toContain('Halyk');
    // The invoice image is the cashier's.
    const image = await page.request.get(`${w.url}/cabinet/invoice.html`);
    expect(image.status()).toBe(200);
    expect(await image.text()).toContain('Единый счёт-извещение');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'spc-cabinet-home.png'), fullPage: true });
  });

  it('lists payments with their state, bank and channel', async () => {
    const rows = await page.locator('#payments tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.includes(`CAB-${w.run}-1`))).toMatch(/принят/);
    expect(rows.find((r) => r.includes(`CAB-${w.run}-2`))).toMatch(/отменён/);
    expect(rows.join(' ')).toContain('онлайн');
    expect(rows.join(' ')).not.toContain(`CAB-${w.run}-B`);
  });

  it('lists the invoice history and downloads the PDF, whose sums are the database\'s', async () => {
    const link = page.locator('#invoices a', { hasText: `PDF ${period}` });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const file = path.join(os.tmpdir(), `spc-cabinet-${w.run}.pdf`);
    await download.saveAs(file);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    fs.rmSync(file, { force: true });
    expect(text).toContain(A);
    const due = await w.h.database.db('invoice_lines as l').join('invoices as i', 'i.id', 'l.invoice_id').where('i.account_number', A).sum({ s: 'l.amount_due' }).first();
    // 4500.00 due, 100.00 paid by the standing payment: 4400.00 still due (the cancelled one counts for nothing).
    expect(due?.s).toBe('4500.00');
    expect(text).toContain('4400.00');
    expect(text).toContain('Барлығы төлеуге');
  });

  it('accepts a reading in the window, shows it as the one billed, and a bank\'s lower reading is then refused', async () => {
    await page.locator('#meters input[name="ELEC"]').fill('1600,5');
    await page.locator('#meters input[name="ELEC"]').press('Enter');
    await messageSays('Показания приняты');
    expect(await page.locator('#meters tr[data-service="ELEC"] td.billed').textContent()).toContain('1600.500');
    const row = await w.h.database.db('cabinet_readings as c').join('meters as m', 'm.id', 'c.meter_id').where('m.account_number', A).first('c.value', 'c.previous_value');
    expect(row).toEqual({ value: '1600.500', previous_value: '1500.000' });
    const bank = await w.call('POST', '/v1/payments', { json: { bankRef: `CAB-${w.run}-3`, account: A, channel: 'cash_desk', amount: '10.00', lines: [{ service: 'SEWER', amount: '10.00' }], readings: [{ service: 'ELEC', value: '1550.000' }] } });
    expect(bank.body.code).toBe('READING_BELOW_PREVIOUS');
    // The provider downloads it with the banks' readings of the period.
    const { findProviderReadings } = await import('../../db/queries/provider-readings');
    const provider = await findProviderReadings(w.h.database.db, 'ALMATYENERGOSBYT', period, { fromDay: 1, toDay: 28 });
    expect(provider.readings.filter((r) => r.account === A)).toEqual([expect.objectContaining({ channel: 'cabinet', bankCode: null, current: '1600.500', previous: '1500.000' })]);
  });

  it('refuses a reading below the previous one and an implausible one, with the bank\'s codes', async () => {
    await page.locator('#meters input[name="CWATER"]').fill('150');
    await page.locator('#send-readings').click();
    await messageSays('меньше предыдущих');
    expect(await page.locator('#message .code').textContent()).toBe('READING_BELOW_PREVIOUS');
    await page.locator('#meters input[name="CWATER"]').fill('');
    await page.locator('#meters input[name="ELEC"]').fill('99999');
    await page.locator('#send-readings').click();
    await messageSays('слишком велики');
    expect(await page.locator('#message .code').textContent()).toBe('READING_IMPLAUSIBLE');
    expect(await w.h.database.db('cabinet_readings').count('* as n').first()).toEqual({ n: '1' });
  });

  it('raises an "I paid, it is not shown" complaint into the complaint workflow', async () => {
    await page.locator('#complaint-bank').selectOption('HSBK');
    await page.locator('#complaint-ref').fill(`CAB-${w.run}-9`);
    await page.locator('#complaint-text').fill('Оплатил в отделении, в кабинете платежа нет');
    await page.locator('#complaint-form button[type="submit"]').click();
    await messageSays('зарегистрирована');
    const complaint = await w.h.database.db('complaints').where({ id: `HSBK:CAB-${w.run}-9:PAYMENT_NOT_POSTED` }).first();
    expect(complaint).toMatchObject({ raised_by: `cabinet:${A}`, status: 'open', disposition: 'PAYMENT_NOT_POSTED' });
    // Another household's payment is not this household's to complain about.
    await page.locator('#complaint-bank').selectOption('HSBK');
    await page.locator('#complaint-ref').fill(`CAB-${w.run}-B`);
    await page.locator('#complaint-text').fill('не виден');
    await page.locator('#complaint-form button[type="submit"]').click();
    await messageSays('нет платежа с таким номером');
  });

  it('switches to Kazakh', async () => {
    await page.locator('#lang').click();
    expect(await page.locator('#h-current').textContent()).toBe('Ағымдағы шот');
    expect(await page.locator('#payments').textContent()).toContain('қабылданды');
    await page.locator('#lang').click();
    expect(await page.locator('#h-current').textContent()).toBe('Текущий счёт');
  });
});

/** A household's cookies and CSRF token, signed in over plain HTTP. */
async function signInOverHttp(account: string, code: string): Promise<{ cookie: string; csrf: string }> {
  const pre = await fetch(`${w.url}/cabinet/api/session`);
  const preCookie = (pre.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrfToken } = (await pre.json()) as { csrfToken: string };
  const res = await fetch(`${w.url}/cabinet/api/sign-in`, {
    method: 'POST', headers: { 'content-type': 'application/json', cookie: preCookie, 'x-csrf-token': csrfToken }, body: JSON.stringify({ account, code }),
  });
  expect(res.status).toBe(200);
  const setCookie = res.headers.getSetCookie();
  expect(setCookie[0]).toMatch(/^spc_cabinet=[A-Za-z0-9_-]{43}; Path=\/cabinet; HttpOnly; SameSite=Strict; Max-Age=1800$/);
  return { cookie: setCookie[0]!.split(';')[0]!, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
}

describe('a second household', () => {
  it('sees only its own data by every cabinet URL, with its own session', async () => {
    const b = await signInOverHttp(B, codes[B]!);
    const get = (p: string) => fetch(`${w.url}${p}`, { headers: { cookie: b.cookie } });
    const overview = await (await get('/cabinet/api/overview')).json() as { account: string; invoice: { account: string }; payments: Array<{ bankRef: string }> };
    expect(overview.account).toBe(B);
    expect(overview.invoice.account).toBe(B);
    expect(JSON.stringify(overview)).not.toContain(A);
    expect(overview.payments.map((p) => p.bankRef)).toEqual([`CAB-${w.run}-B`]);
    // Account-looking parameters are not read: the session's account is the only one.
    for (const p of [`/cabinet/api/overview?account=${A}`, `/cabinet/api/session?account=${A}`, `/cabinet/invoice.html?account=${A}`]) {
      const text = await (await get(p)).text();
      expect(text).not.toContain(A);
    }
    const pdf = await get(`/cabinet/api/invoices/${period}.pdf?account=${A}`);
    expect(pdf.status).toBe(200);
    const file = path.join(os.tmpdir(), `spc-cabinet-b-${w.run}.pdf`);
    fs.writeFileSync(file, Buffer.from(await pdf.arrayBuffer()));
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
    fs.rmSync(file, { force: true });
    expect(text).toContain(B);
    expect(text).not.toContain(A);
    for (const p of [`/cabinet/api/${A}/overview`, `/cabinet/api/accounts/${A}`, `/cabinet/api/invoices/${A}.pdf`]) expect((await get(p)).status).toBeGreaterThanOrEqual(400);
    // A's payment: not B's to complain about.
    const complaint = await fetch(`${w.url}/cabinet/api/complaints`, {
      method: 'POST', headers: { cookie: b.cookie, 'x-csrf-token': b.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ bankCode: 'HSBK', bankRef: `CAB-${w.run}-1`, text: 'x' }),
    });
    expect(complaint.status).toBe(404);
    // B's reading against a service of A's invoice but not of B's: refused, nothing written.
    const reading = await fetch(`${w.url}/cabinet/api/readings`, {
      method: 'POST', headers: { cookie: b.cookie, 'x-csrf-token': b.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ readings: [{ service: 'ELEC', value: '9000' }] }),
    });
    expect(((await reading.json()) as { code: string }).code).toBe('UNKNOWN_SERVICE');
  });

  it('refuses a POST without the CSRF token, and a session after logout', async () => {
    const b = await signInOverHttp(B, codes[B]!);
    const post = (p: string, csrf?: string) => fetch(`${w.url}${p}`, {
      method: 'POST', headers: { cookie: b.cookie, 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) }, body: '{}',
    });
    const noCsrf = await post('/cabinet/api/sign-out');
    expect([noCsrf.status, ((await noCsrf.json()) as { code: string }).code]).toEqual([403, 'CSRF_FAILED']);
    expect((await post('/cabinet/api/sign-out', b.csrf)).status).toBe(200);
    const after = await fetch(`${w.url}/cabinet/api/overview`, { headers: { cookie: b.cookie } });
    expect([after.status, ((await after.json()) as { code: string }).code]).toEqual([401, 'NOT_SIGNED_IN']);
    expect((await fetch(`${w.url}/cabinet/api/overview`)).status).toBe(401);
  });

  it('keeps codes and sessions hashed in Postgres', async () => {
    const db = w.h.database.db;
    const stored = await db('cabinet_access_codes').where({ account_number: A }).first('code_hash');
    expect(stored.code_hash).toMatch(/^scrypt\$/);
    expect(stored.code_hash).not.toContain(codes[A]!.replace(/-/g, ''));
  });
});
