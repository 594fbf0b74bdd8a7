// The cashier workplace in headless Chromium (playwright-core, Debian's /usr/bin/chromium): type the
// key once, type the account, edit an amount, enter a meter reading, accept with the keyboard, see
// the receipt; and the Russian messages for the classic refusals. Screenshots go to /tmp.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
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
});
