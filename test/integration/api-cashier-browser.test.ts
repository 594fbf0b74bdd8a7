// The cashier workplace in headless Chromium (playwright-core, Debian's /usr/bin/chromium): type the
// key once, type the account, edit an amount, enter a meter reading, accept with the keyboard, see
// the receipt; the Russian messages for the classic refusals; and an answer lost after the payment
// went through (a timeout, a reference conflict), which must never end in a second payment.
// Screenshots go to /tmp.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page, type Route } from 'playwright-core';
import { ACCOUNTS, startApiWorld, type ApiWorld } from './api-support';

jest.setTimeout(300_000);

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT_DIR = process.env.SPC_SCREENSHOT_DIR ?? '/tmp';

let w: ApiWorld;
let context: BrowserContext;
let page: Page;
let userDataDir: string;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (Debian) or set CHROMIUM_PATH`);
  }
  w = await startApiWorld('api-cashier');
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 900 },
    locale: 'ru-RU',
    timezoneId: 'Asia/Almaty',
  });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  await w?.close();
});

const message = () => page.locator('#message');
// Browser-side code is passed as strings: this file is type-checked for Node, without the DOM library.
const focused = (attribute: 'id' | 'name') => page.evaluate<string | null>(`document.activeElement && document.activeElement.getAttribute('${attribute}')`);
/** Waits until the message box shows `text` (answers come back asynchronously). */
const messageSays = (text: string) => page.locator('#message', { hasText: text }).waitFor({ state: 'visible', timeout: 60_000 });

describe('cashier workplace', () => {
  it('asks for the bank key once, then shows the account field focused', async () => {
    await page.goto(`${w.url}/cashier`);
    await page.locator('#api-key').waitFor({ state: 'visible' });
    await page.keyboard.type('spck_wrongwrongwrongwrongwrongwrongwrongwrongwro');
    await page.keyboard.press('Enter');
    await messageSays('API-ключ не принят');
    await page.locator('#api-key').fill(w.keys.HSBK);
    await page.keyboard.press('Enter');
    await page.locator('#account').waitFor({ state: 'visible' });
    expect(await focused('id')).toBe('account');
    expect(await page.locator('#bank-name').textContent()).toBe('Halyk Bank (HSBK)');
    expect(await page.evaluate<string | null>("sessionStorage.getItem('spc.cashier.apiKey')")).toBe(w.keys.HSBK);
  });

  it('says in Russian that an unknown account is not in the SPC database', async () => {
    await page.keyboard.type('7100099999');
    await page.keyboard.press('Enter');
    await messageSays('Лицевой счёт не найден в базе ЕРЦ');
    expect(await page.locator('#pay-form').isHidden()).toBe(true);
  });

  it('pays an invoice with an edited amount and a meter reading, using the keyboard, and prints a receipt', async () => {
    await page.keyboard.press('Escape');
    expect(await focused('id')).toBe('account');
    expect(await message().isHidden()).toBe(true);
    await page.keyboard.type(ACCOUNTS.main);
    await page.keyboard.press('Enter');
    await page.locator('#invoice').waitFor({ state: 'visible' });
    expect(await page.locator('#invoice').textContent()).toContain('Единый счёт-извещение');
    expect(await page.locator('#pay-total').textContent()).toBe('4\u00a0500,00');

    // Focus starts on the first field: the electricity meter's current reading.
    expect(await focused('name')).toBe('reading-ELEC');
    await page.keyboard.type('1650,5');
    await page.keyboard.press('Enter'); // to the electricity amount
    expect(await focused('name')).toBe('amount-ELEC');
    await page.keyboard.type('2500,00'); // the field's text is selected on focus: typing replaces it
    await page.keyboard.press('Enter'); // cold water reading: left empty
    await page.keyboard.press('Enter'); // cold water amount: kept
    await page.keyboard.press('Enter'); // sewerage amount: kept
    await page.keyboard.press('Enter'); // to the accept button
    expect(await focused('id')).toBe('accept');
    expect(await page.locator('#pay-total').textContent()).toBe('4\u00a0000,00');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'spc-cashier-invoice.png'), fullPage: true });

    await page.keyboard.press('Enter');
    await page.locator('#receipt-section').waitFor({ state: 'visible' });
    expect(await page.locator('#receipt-total').textContent()).toBe('4\u00a0000,00');
    expect(await page.locator('#receipt-status').textContent()).toBe('Платёж принят ЕРЦ');
    const receipt = (await page.locator('#receipt').textContent()) ?? '';
    expect(receipt).toContain('Квитанция об оплате');
    expect(receipt).toContain('1650.5');
    expect(receipt).toContain('2\u00a0500,00');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'spc-cashier-receipt.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'spc-cashier-receipt-print.png'), fullPage: true });
    expect(await page.locator('#account-form').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });

    const payment = await w.h.database.db('payments').where({ bank_code: 'HSBK', account_number: ACCOUNTS.main, channel: 'cash_desk' }).orderBy('id', 'desc').first();
    expect(payment.amount).toBe('4000.00');
    const allocations = await w.h.database.db('allocations').where({ payment_id: payment.id }).orderBy('service_code').select('service_code', 'amount');
    expect(allocations).toEqual([
      { service_code: 'CWATER', amount: '1000.00' },
      { service_code: 'ELEC', amount: '2500.00' },
      { service_code: 'SEWER', amount: '500.00' },
    ]);
    const reading = await w.h.database.db('meter_readings').where({ payment_id: payment.id }).first();
    expect([reading.value, reading.previous_value]).toEqual(['1650.500', '1500.000']);
  });

  it('cancels the payment just accepted, after the cashier confirms', async () => {
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('#cancel-payment').click();
    await page.locator('#receipt-status', { hasText: 'ПЛАТЁЖ ОТМЕНЁН' }).waitFor({ timeout: 60_000 });
    await messageSays('отменён');
    const payment = await w.h.database.db('payments').where({ bank_code: 'HSBK', account_number: ACCOUNTS.main, channel: 'cash_desk' }).orderBy('id', 'desc').first();
    expect(payment.status).toBe('cancelled');
    expect(await page.locator('#cancel-payment').isHidden()).toBe(true);
    expect(await focused('id')).toBe('next');
  });

  it('starts the next payment with Enter and says in Russian when a reading is below the previous one', async () => {
    await page.keyboard.press('Enter');
    expect(await focused('id')).toBe('account');
    await page.keyboard.type(ACCOUNTS.main);
    await page.keyboard.press('Enter');
    await page.locator('#invoice').waitFor({ state: 'visible' });
    // The cancelled payment's 1650.5 is no floor any more (its reading went with it); the invoice's 1500 is.
    await page.keyboard.type('1400');
    await page.keyboard.press('Control+Enter');
    await messageSays('Текущие показания прибора учёта меньше предыдущих');
    expect(await message().textContent()).toContain('READING_BELOW_PREVIOUS');
    expect(await page.locator('#pay-form').isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'spc-cashier-rejected.png'), fullPage: true });
  });

  it('refuses a malformed amount before sending anything', async () => {
    await page.locator('input[name="amount-SEWER"]').fill('12,345');
    await page.keyboard.press('Control+Enter');
    await messageSays('Исправьте выделенные поля');
    expect(await page.locator('input[name="amount-SEWER"]').getAttribute('class')).toContain('invalid');
  });

  /** The bankRef of the payment the page last sent through showInvoiceAndIntercept. */
  let interceptedRef = '';
  /** Clears the page, shows ACCOUNTS.main's invoice, and hands the page's next POST /v1/payments to `handle`. */
  async function showInvoiceAndIntercept(handle: (route: Route) => Promise<void>): Promise<void> {
    await page.keyboard.press('Escape');
    await page.keyboard.type(ACCOUNTS.main);
    await page.keyboard.press('Enter');
    await page.locator('#invoice').waitFor({ state: 'visible' });
    await page.route('**/v1/payments', async (route) => {
      interceptedRef = String((route.request().postDataJSON() as { bankRef: string }).bankRef);
      await handle(route);
    }, { times: 1 });
  }

  it('after a timeout whose payment went through, shows that payment instead of paying twice, and pays anew once it is cancelled', async () => {
    // The SPC posts the payment, but its answer is lost on the way back: the page sees 504 TIMEOUT.
    await showInvoiceAndIntercept(async (route) => {
      await route.fetch();
      await route.fulfill({ status: 504, contentType: 'application/json', body: JSON.stringify({ code: 'TIMEOUT', message: 'the SPC did not answer in time' }) });
    });
    await page.keyboard.press('Control+Enter');
    await messageSays('ЕРЦ не ответил вовремя');
    const firstRef = interceptedRef;

    // The cashier edits an amount and accepts again: the page first asks what became of the payment.
    await page.locator('input[name="amount-SEWER"]').fill('100,00');
    await page.keyboard.press('Control+Enter');
    await page.locator('#existing-section').waitFor({ state: 'visible', timeout: 60_000 });
    expect(await page.locator('#existing-amount').textContent()).toBe('4\u00a0500,00 тг');
    expect(await page.locator('#existing-status').textContent()).toBe('принят ЕРЦ');
    expect(await page.locator('#existing-allocations').textContent()).toContain('3\u00a0000,00');
    expect(await page.locator('#pay-form').isHidden()).toBe(true);
    expect(await page.locator('#bank-ref').textContent()).toBe(firstRef);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'spc-cashier-existing.png'), fullPage: true });
    const sent = await w.h.database.db('payments').where({ bank_code: 'HSBK', bank_ref: firstRef }).select('status', 'amount');
    expect(sent).toEqual([{ status: 'accepted', amount: '4500.00' }]);

    // Cancelled, the payer owes it all again: a new attempt (a new reference) with the edited amounts.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('#existing-cancel').click();
    await messageSays('отменён');
    await page.locator('#pay-form').waitFor({ state: 'visible' });
    const secondRef = (await page.locator('#bank-ref').textContent()) ?? '';
    expect(secondRef).not.toBe(firstRef);
    await page.keyboard.press('Control+Enter');
    await page.locator('#receipt-section').waitFor({ state: 'visible', timeout: 60_000 });
    expect(await page.locator('#receipt-total').textContent()).toBe('4\u00a0100,00');
    const both = await w.h.database.db('payments').where({ bank_code: 'HSBK' }).whereIn('bank_ref', [firstRef, secondRef]).orderBy('id').select('bank_ref', 'status', 'amount');
    expect(both).toEqual([{ bank_ref: firstRef, status: 'cancelled', amount: '4500.00' }, { bank_ref: secondRef, status: 'accepted', amount: '4100.00' }]);
  });

  it('on a reference conflict shows the payment that holds the reference and keeps it, minting no new reference', async () => {
    // Just before the page's payment arrives, an earlier attempt under its reference went through
    // with other content (10,00 on SEWER): the SPC answers 409 REFERENCE_CONFLICT.
    await showInvoiceAndIntercept(async (route) => {
      const taken = await w.call('POST', '/v1/payments', { json: { bankRef: interceptedRef, account: ACCOUNTS.main, channel: 'cash_desk', amount: '10.00', lines: [{ service: 'SEWER', amount: '10.00' }] } });
      expect(taken.status).toBe(201);
      await route.continue();
    });

    await page.keyboard.press('Control+Enter');
    await page.locator('#existing-section').waitFor({ state: 'visible', timeout: 60_000 });
    const ref = interceptedRef;
    const takenRow = await w.h.database.db('payments').where({ bank_code: 'HSBK', bank_ref: ref }).first('id');
    expect(await page.locator('#existing-amount').textContent()).toBe('10,00 тг');
    expect(await page.locator('#bank-ref').textContent()).toBe(ref);
    await page.locator('#existing-keep').click();
    await page.locator('#receipt-section').waitFor({ state: 'visible' });
    expect(await page.locator('#receipt-total').textContent()).toBe('10,00');
    const later = await w.h.database.db('payments').where('id', '>', takenRow.id).count({ n: '*' }).first();
    expect(later).toEqual({ n: '0' });
    // The invoice the cashier was shown asked for what the 4 100,00 above left: SEWER's 400,00.
    expect(await page.locator('#still-due-total').textContent()).toBe('400,00');
    expect(await page.locator('#still-due-note').textContent()).toContain('net of payments already received in this period');
  });
});
