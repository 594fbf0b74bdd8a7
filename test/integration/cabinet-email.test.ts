// The cabinet's e-mail subscription form (issue 20 item 2) in headless Chromium, with a real SMTP
// conversation: smtp-server in the test is the relay, mailparser reads the confirmation mail, the
// browser follows its link (GET /mail/confirm), and the overview then shows the address confirmed.
// Over HTTP: a POST without the CSRF token is refused, an invalid address is a 422, and the
// per-account limit of confirmation links answers 429, with nothing more mailed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { startApiServer, type RunningApiServer } from '../../api/server';
import { rotateAccessCode } from '../../db/cabinet';
import { CONFIRMATIONS_PER_ACCOUNT_PER_DAY_MAX } from '../../db/mail-subscriptions';
import { createMailer, type Mailer } from '../../infra/mailer';
import { startHarness, type Harness } from '../support/harness';
import { waitFor } from '../support/wait';
import { ACCOUNTS, createApiAccounts } from './api-support';

jest.setTimeout(300_000);

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const A = ACCOUNTS.main;
const links = { publicUrl: '', mailFrom: 'invoices@spc.test' };
const received: ParsedMail[] = [];
const relay = new SMTPServer({
  authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
  onData(stream, _session, callback) {
    simpleParser(stream).then((m) => { received.push(m); callback(); }, callback);
  },
});
const mailsTo = (email: string) => received.filter((m) => m.to && !Array.isArray(m.to) && m.to.value[0]?.address === email);

let h: Harness;
let api: RunningApiServer;
let mailer: Mailer;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
let code: string;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: install it or set CHROMIUM_PATH`);
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
  mailer = createMailer(`smtp://127.0.0.1:${(relay.server.address() as { port: number }).port}`);
  h = await startHarness('cabmail');
  await createApiAccounts(h);
  code = await rotateAccessCode(h.database.db, A);
  // The links point at this server: its port is known only once it listens, and the links object is read per mail.
  api = await startApiServer({ db: h.database.apiDb, client: h.client, taskQueue: h.taskQueue, host: '127.0.0.1', port: 0, logger: false, mail: { mailer, links } });
  links.publicUrl = api.url;
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 390, height: 844 }, locale: 'ru-RU', timezoneId: 'Asia/Almaty',
  });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  await api?.close();
  mailer?.close();
  await h?.close();
  await new Promise<void>((resolve) => relay.close(() => resolve()));
});

const emailStates = () => page.locator('#email-list li').evaluateAll((lis) => lis.map((li) => `${li.textContent?.split(':')[0]} ${li.getAttribute("data-state")}`));

async function post(pathName: string, json: unknown, withCsrf = true) {
  const session = await (await page.request.get(`${api.url}/cabinet/api/session`)).json() as { csrfToken: string };
  const res = await page.request.post(`${api.url}${pathName}`, { data: json, headers: withCsrf ? { 'x-csrf-token': session.csrfToken } : {} });
  return { status: res.status(), body: await res.json() as Record<string, unknown> };
}

describe('the cabinet\'s e-mail subscription', () => {
  it('shows no subscription, mails a confirmation link on submit, and shows the address confirmed once the link is opened', async () => {
    await page.goto(`${api.url}/cabinet`);
    await page.locator('#account').fill(A);
    await page.locator('#code').fill(code);
    await page.locator('#sign-in button[type="submit"]').click();
    await page.locator('#home').waitFor({ state: 'visible', timeout: 60_000 });
    expect(await emailStates()).toEqual([expect.stringMatching(/ none$/)]);

    await page.locator('#email-address').fill('Anna.Household@Example.kz');
    await page.locator('#email-form button[type="submit"]').click();
    await page.locator('#message', { hasText: 'Письмо со ссылкой отправлено на anna.household@example.kz' }).waitFor({ state: 'visible', timeout: 60_000 });
    expect(await emailStates()).toEqual(['anna.household@example.kz pending']);

    const mail = await waitFor('the confirmation mail', async () => mailsTo('anna.household@example.kz')[0], 30_000, 100);
    const link = new RegExp(`${api.url.replace(/[.]/g, '\\.')}/mail/confirm\\?token=[A-Za-z0-9_-]{43}`).exec(mail.text ?? '')?.[0];
    expect(link).toBeDefined();
    const confirmed = await page.goto(link!);
    expect(confirmed?.status()).toBe(200);
    expect(await page.locator('main').getAttribute('data-code')).toBe('OK');

    await page.goto(`${api.url}/cabinet`);
    await page.locator('#home').waitFor({ state: 'visible', timeout: 60_000 });
    expect(await emailStates()).toEqual(['anna.household@example.kz confirmed']);
    // Submitting a confirmed address again mails nothing.
    expect(await post('/cabinet/api/email', { email: 'anna.household@example.kz' })).toEqual({ status: 200, body: { email: 'anna.household@example.kz', state: 'confirmed' } });
    expect(mailsTo('anna.household@example.kz')).toHaveLength(1);
  });

  it('refuses a POST without the CSRF token and an invalid address, writing nothing', async () => {
    expect((await post('/cabinet/api/email', { email: 'x@example.kz' }, false)).body.code).toBe('CSRF_FAILED');
    expect(await post('/cabinet/api/email', { email: 'not an address' })).toMatchObject({ status: 422, body: { code: 'EMAIL_INVALID' } });
    expect(await h.database.db('mail_subscriptions').where({ account_number: A }).pluck('email')).toEqual(['anna.household@example.kz']);
  });

  it('limits the confirmation links a day per account and per address', async () => {
    // The first link of the day went out in the test above.
    for (let i = 1; i < CONFIRMATIONS_PER_ACCOUNT_PER_DAY_MAX; i += 1) {
      expect((await post('/cabinet/api/email', { email: `more${i}@example.kz` })).status).toBe(201);
    }
    expect(await post('/cabinet/api/email', { email: 'more1@example.kz' })).toMatchObject({ status: 429, body: { code: 'EMAIL_LIMIT_REACHED' } });
    expect(await post('/cabinet/api/email', { email: 'one-too-many@example.kz' })).toMatchObject({ status: 429, body: { code: 'EMAIL_LIMIT_REACHED' } });
    await waitFor('the limit\'s links', async () => received.length >= CONFIRMATIONS_PER_ACCOUNT_PER_DAY_MAX, 30_000, 100);
    expect(mailsTo('one-too-many@example.kz')).toHaveLength(0);
    expect(mailsTo('more1@example.kz')).toHaveLength(1);
  });
});
