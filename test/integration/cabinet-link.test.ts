// The cabinet's one-time sign-in link by e-mail (api/cabinet-link.ts) in headless Chromium, with a
// real SMTP conversation: smtp-server in the test is the relay, mailparser reads the mails. The
// address is confirmed for two accounts by the real double opt-in (subscribe, the confirmation link
// opened in the browser); the sign-in page's second form asks for a link; the mail has one link per
// account; opening a link (GET, twice, as a mail scanner would) uses nothing; its button signs in
// and the invoice shows. Then: the used link, an expired one and a POST without the CSRF field are
// refused with a page and a code, no session; an unknown or unconfirmed address gets the same
// answer and no mail; the request's limits per address and per client address answer 429.
import type { FastifyBaseLogger } from 'fastify';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { BrowserContext, Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { startApiServer, type RunningApiServer } from '../../api/server';
import { SIGN_IN_LINK_REQUESTS_PER_ADDRESS_MAX, SIGN_IN_LINK_REQUESTS_PER_IP_MAX } from '../../api/cabinet-link';
import { sha256Hex } from '../../db/cabinet';
import { subscribe } from '../../db/mail-subscriptions';
import { createLogger } from '../../infra/log';
import { createMailer, type Mailer } from '../../infra/mailer';
import { launchChromium } from '../support/chromium';
import { startHarness, type Harness } from '../support/harness';
import { waitFor } from '../support/wait';
import { ACCOUNTS, createApiAccounts } from './api-support';

jest.setTimeout(300_000);

const A = ACCOUNTS.main;
const B = ACCOUNTS.simple[0]!;
const FAMILY = 'family@example.kz';
const links = { publicUrl: '', mailFrom: 'invoices@spc.test' };
const received: ParsedMail[] = [];
/** The API's log lines (the SPC's redacting logger, at info: every request is logged). */
const logLines: string[] = [];
const relay = new SMTPServer({
  authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
  onData(stream, _session, callback) {
    simpleParser(stream).then((m) => { received.push(m); callback(); }, callback);
  },
});
const mailsTo = (email: string) => received.filter((m) => m.to && !Array.isArray(m.to) && m.to.value[0]?.address === email);
const signInMailsTo = (email: string) => mailsTo(email).filter((m) => m.subject?.startsWith('Вход в личный кабинет'));

let h: Harness;
let api: RunningApiServer;
let mailer: Mailer;
let chromium: { context: BrowserContext; close(): Promise<void> };
let page: Page;

beforeAll(async () => {
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
  mailer = createMailer(`smtp://127.0.0.1:${(relay.server.address() as { port: number }).port}`);
  h = await startHarness('cablink');
  await createApiAccounts(h);
  api = await startApiServer({ db: h.database.apiDb, client: h.client, taskQueue: h.taskQueue, host: '127.0.0.1', port: 0, logger: createLogger({ level: 'info', write: (line) => logLines.push(line) }) as unknown as FastifyBaseLogger, mail: { mailer, links } });
  links.publicUrl = api.url;
  chromium = await launchChromium('cablink');
  page = chromium.context.pages()[0] ?? (await chromium.context.newPage());
});

afterAll(async () => {
  await chromium?.close();
  await api?.close();
  mailer?.close();
  await h?.close();
  await new Promise<void>((resolve) => relay.close(() => resolve()));
});

/** The link of `account` in the n-th sign-in mail to the address (1-based). */
async function linkOf(email: string, n: number, account: string): Promise<string> {
  const mail = await waitFor(`sign-in mail ${n}`, async () => signInMailsTo(email)[n - 1], 30_000, 100);
  const lines = (mail.text ?? '').split('\n');
  const at = lines.findIndex((l) => l.endsWith(` ${account}:`));
  const link = lines[at + 1] ?? '';
  expect(link).toMatch(new RegExp(`^${api.url.replace(/[.]/g, '\\.')}/cabinet/link\\?token=[A-Za-z0-9_-]{43}$`));
  return link;
}

const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;
const linkSessions = () => h.database.db('cabinet_sessions').where({ sign_in_method: 'link' }).orderBy('created_at').pluck('account_number');

/** The CSRF field of a usable link's page (the pre-session cookie is set in the browser by the same GET). */
async function csrfFieldOf(link: string): Promise<string> {
  expect((await page.goto(link))?.status()).toBe(200);
  return (await page.locator('input[name="csrf"]').getAttribute('value'))!;
}

async function postLink(token: string, csrf?: string) {
  const res = await page.request.post(`${api.url}/cabinet/link`, { form: csrf === undefined ? { token } : { token, csrf }, maxRedirects: 0 });
  return { status: res.status(), code: res.headers()['x-spc-code'] };
}

/** A request of a link as the sign-in page makes it: signed out, with the pre-session cookie's CSRF token. */
async function requestLink(email: string, withCsrf = true) {
  await chromium.context.clearCookies();
  const session = await (await page.request.get(`${api.url}/cabinet/api/session`)).json() as { csrfToken: string };
  const res = await page.request.post(`${api.url}/cabinet/api/sign-in-link`, { data: { email }, headers: withCsrf ? { 'x-csrf-token': session.csrfToken } : {} });
  return { status: res.status(), body: await res.json() as Record<string, unknown>, retryAfter: res.headers()['retry-after'] };
}

describe('signing in with a one-time link mailed to a confirmed address', () => {
  it('confirms the address for two accounts through the real double opt-in', async () => {
    for (const account of [A, B]) await subscribe(h.database.apiDb, mailer, links, account, FAMILY);
    // An address subscribed but never confirmed gets no sign-in link (tested below).
    await subscribe(h.database.apiDb, mailer, links, A, 'pending@example.kz');
    await waitFor('the confirmation mails', async () => mailsTo(FAMILY).length === 2, 30_000, 100);
    for (const mail of mailsTo(FAMILY)) {
      const link = /http:\/\/[^\s]+\/mail\/confirm\?token=[A-Za-z0-9_-]{43}/.exec(mail.text ?? '')?.[0];
      expect((await page.goto(link!))?.status()).toBe(200);
      expect(await page.locator('main').getAttribute('data-code')).toBe('OK');
    }
  });

  it('mails one link per account, shows a button on GET (twice, using nothing), and signs in with the button', async () => {
    await page.goto(`${api.url}/cabinet`);
    await page.locator('#link-email').fill('Family@Example.kz');
    await page.locator('#sign-in-link button[type="submit"]').click();
    await page.locator('#message', { hasText: 'письмо со ссылкой для входа уже в пути' }).waitFor({ state: 'visible', timeout: 60_000 });
    const linkA = await linkOf(FAMILY, 1, A);
    const linkB = await linkOf(FAMILY, 1, B);
    expect(tokenOf(linkA)).not.toBe(tokenOf(linkB));
    const stored = await h.database.db('cabinet_sign_in_links').orderBy('account_number').select('token_sha256', 'account_number', 'used_at', 'created_at', 'expires_at');
    expect(stored.map((r) => [r.account_number, r.token_sha256])).toEqual([[A, sha256Hex(tokenOf(linkA))], [B, sha256Hex(tokenOf(linkB))]].sort());
    expect(stored.every((r) => r.used_at === null && r.expires_at.getTime() - r.created_at.getTime() === 15 * 60_000)).toBe(true);

    for (let i = 0; i < 2; i += 1) {
      expect((await page.goto(linkA))?.status()).toBe(200);
      expect(await page.locator('main').getAttribute('data-code')).toBe('SIGN_IN_LINK');
    }
    expect(await linkSessions()).toEqual([]);
    await page.locator('#link-sign-in button[type="submit"]').click();
    await page.locator('#home').waitFor({ state: 'visible', timeout: 60_000 });
    expect(page.url()).toBe(`${api.url}/cabinet`);
    expect(await page.locator('#still-due').textContent()).toContain('4500.00');
    expect(await page.locator('#current-lines tr[data-service="ELEC"]').count()).toBe(1);
    const cookie = (await chromium.context.cookies(`${api.url}/cabinet`)).find((c) => c.name === 'spc_cabinet');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/cabinet' });
    expect(await linkSessions()).toEqual([A]);
  });

  it('refuses the used link with a page and a code, on GET and on POST, and opens no session', async () => {
    const linkA = await linkOf(FAMILY, 1, A);
    expect((await page.goto(linkA))?.status()).toBe(410);
    expect(await page.locator('main').getAttribute('data-code')).toBe('LINK_USED');
    expect(await page.locator('#link-refused').textContent()).toContain('уже использована');
    const csrf = await csrfFieldOf(await linkOf(FAMILY, 1, B));
    expect(await postLink(tokenOf(linkA), csrf)).toEqual({ status: 410, code: 'LINK_USED' });
    expect(await linkSessions()).toEqual([A]);
  });

  it('refuses a POST without the CSRF field and leaves the link usable', async () => {
    const linkB = await linkOf(FAMILY, 1, B);
    expect(await postLink(tokenOf(linkB))).toEqual({ status: 403, code: 'CSRF_FAILED' });
    expect(await postLink(tokenOf(linkB), 'x'.repeat(43))).toEqual({ status: 403, code: 'CSRF_FAILED' });
    expect(await h.database.db('cabinet_sign_in_links').where({ token_sha256: sha256Hex(tokenOf(linkB)) }).first('used_at')).toEqual({ used_at: null });
    const csrf = await csrfFieldOf(linkB);
    expect(await postLink(tokenOf(linkB), csrf)).toEqual({ status: 303, code: undefined });
    expect(await linkSessions()).toEqual([A, B]);
  });

  it('refuses an expired link', async () => {
    expect((await requestLink(FAMILY)).status).toBe(202);
    const linkA = await linkOf(FAMILY, 2, A);
    await h.database.db('cabinet_sign_in_links').where({ token_sha256: sha256Hex(tokenOf(linkA)) })
      .update({ created_at: h.database.db.raw("now() - interval '20 minutes'"), expires_at: h.database.db.raw("now() - interval '5 minutes'") });
    expect((await page.goto(linkA))?.status()).toBe(410);
    expect(await page.locator('main').getAttribute('data-code')).toBe('LINK_EXPIRED');
    const csrf = await csrfFieldOf(await linkOf(FAMILY, 2, B));
    expect(await postLink(tokenOf(linkA), csrf)).toEqual({ status: 410, code: 'LINK_EXPIRED' });
    expect(await linkSessions()).toEqual([A, B]);
  });

  it('answers an unknown and an unconfirmed address as a known one, and mails them nothing', async () => {
    const unknown = await requestLink('nobody@example.kz');
    const pending = await requestLink('pending@example.kz');
    const known = await requestLink(FAMILY);
    expect(unknown).toEqual(known);
    expect(pending).toEqual(known);
    expect(known.status).toBe(202);
    // The known address's mail was asked for last: once it is in, the others' would be too.
    await linkOf(FAMILY, 3, A);
    expect(signInMailsTo('nobody@example.kz')).toEqual([]);
    expect(signInMailsTo('pending@example.kz')).toEqual([]);
  });

  it('refuses a request without the CSRF token', async () => {
    expect(await requestLink('nobody@example.kz', false)).toMatchObject({ status: 403, body: { code: 'CSRF_FAILED' } });
  });

  it('limits the requests per address and then per client address, known or not', async () => {
    // FAMILY has had SIGN_IN_LINK_REQUESTS_PER_ADDRESS_MAX requests in this window, nobody@ one.
    expect(SIGN_IN_LINK_REQUESTS_PER_ADDRESS_MAX).toBe(3);
    const limited = await requestLink(FAMILY);
    expect(limited).toMatchObject({ status: 429, body: { code: 'SIGN_IN_LINK_LIMITED' } });
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    for (let i = 0; i < 2; i += 1) expect((await requestLink('nobody@example.kz')).status).toBe(202);
    expect(await requestLink('nobody@example.kz')).toMatchObject({ status: 429, body: { code: 'SIGN_IN_LINK_LIMITED' } });
    let last = 202;
    for (let i = 0; last === 202 && i <= SIGN_IN_LINK_REQUESTS_PER_IP_MAX; i += 1) last = (await requestLink(`stranger${i}@example.kz`)).status;
    expect(last).toBe(429);
    expect(await h.database.db('cabinet_sign_in_link_requests').count('* as n').first()).toEqual({ n: String(SIGN_IN_LINK_REQUESTS_PER_IP_MAX) });
    expect(signInMailsTo(FAMILY)).toHaveLength(3);
  });

  it('logs the requests without an address or a token', async () => {
    const tokens = received.flatMap((m) => [...(m.text ?? '').matchAll(/token=([A-Za-z0-9_-]{43})/g)].map((x) => x[1]!));
    expect(tokens.length).toBeGreaterThan(6);
    const log = logLines.join('');
    expect(log).toContain('/cabinet/link');
    expect(log).toContain('/cabinet/api/sign-in-link');
    for (const secret of [...tokens, 'family@example.kz', 'nobody@example.kz', 'pending@example.kz', 'stranger1@example.kz']) expect(log).not.toContain(secret);
  });
});
