// The operator page in headless Chromium: a person signs in with their operator id and personal
// token (a server-side session in an HttpOnly cookie, CSRF on every POST, logout ends it), the bank-days show their state, totals, confirmations and overdue settlements,
// rejections are counted by code, every row links to the Temporal Web UI, and the page refreshes
// itself when new data arrives.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { revokeOperatorToken } from '../../db/operators';
import { operatorToken } from '../support/operators';
import { opsRoutes, OPS_SESSION_COOKIE, type OpsOverview } from '../../api/routes/ops';
import { submitPayment } from '../../client/payments';
import { getSettlementState, startSettlement } from '../../client/settlements';
import { addDays, isWeekend, toAlmaty } from '../../domain/calendar';
import { makeKzIban } from '../../domain/identifiers';
import type { PaymentRequest } from '../../domain/payment-types';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld, validBin } from '../support/payment-world';
import { settleDay, uniqueTag, waitFor } from './audit-helpers';

jest.setTimeout(600_000);

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'ops-test-token-4f1c9a';
const UI = 'http://temporal-ui.test';
/** A bank of this test's own: settlement ids (settlement:OPSB:<date>) are shared by every test file on the dev server. */
const BANK = 'OPSB';
/** Long enough for several of the page's 5 s refreshes on a loaded machine. */
const PAGE_WAIT_MS = 60_000;

let h: Harness;
let app: FastifyInstance;
let url: string;
let context: BrowserContext;
let userDataDir: string;
const tag = uniqueTag();
let seq = 0;
/** The signed-in operator of the browser tests, and their personal token. */
const OPERATOR = 'dana';
let operatorSecret: string;
const today = toAlmaty(new Date()).date;
const previousWeekday = (d: string) => {
  let x = addDays(d, -1);
  while (isWeekend(x)) x = addDays(x, -1);
  return x;
};
const overdueDay = previousWeekday(today);
const settledDay = previousWeekday(overdueDay);

async function pay(overrides: Partial<PaymentRequest>) {
  return submitPayment(h.ctx, { bankCode: BANK, bankRef: `ops-${tag}-${++seq}`, channel: 'cash_desk', account: WORLD.account, amount: '450.00', ...overrides });
}

/** Signs in through the form, in a fresh browser context of its own (its own cookie jar). */
async function signIn(ctx: BrowserContext, operator: string, token: string): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(`${url}/ops`);
  await page.fill('input[name="operator"]', operator);
  await page.fill('input[name="token"]', token);
  await Promise.all([page.waitForNavigation(), page.click('#sign-in button[type="submit"]')]);
  return page;
}

async function startServer(operatorToken: string | undefined): Promise<{ app: FastifyInstance; url: string }> {
  const server = Fastify({ logger: false });
  await server.register(opsRoutes, { db: h.database.db, client: h.client, taskQueue: h.taskQueue, operatorToken, temporalUiUrl: UI });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  return { app: server, url: `http://127.0.0.1:${address.port}` };
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  h = await startHarness('ops-page');
  await createPaymentWorld(h.database.db);
  await h.database.db('banks').insert({
    code: BANK, name: 'Ops Test Bank', bic: 'OPSBKZKA', iban_code: '998', bin: validBin('94014000007'), settlement_iban: makeKzIban('998', '9000000000007'), cutoff_local: '23:59',
  });
  // A settled day, an overdue one (its bank has 1.5 s to confirm), and payments on the open day.
  for (const amount of ['450.00', '900.00']) expect(await pay({ amount, paidAt: `${settledDay}T10:00:00+05:00` })).toMatchObject({ ok: true });
  expect(await pay({ paidAt: `${overdueDay}T10:00:00+05:00` })).toMatchObject({ ok: true });
  expect(await pay({ channel: 'online', amount: '900.00' })).toMatchObject({ ok: true });
  await settleDay(h, BANK, settledDay);
  await startSettlement(h.ctx, BANK, overdueDay, { operator: 'ops-test', options: { confirmDeadlineMs: 1_500 } });
  await waitFor('overdue', async () => (await getSettlementState(h.ctx, BANK, overdueDay))?.status === 'overdue');
  for (const account of ['9999999991', '9999999992']) expect(await pay({ account })).toMatchObject({ ok: false, code: 'ACCOUNT_NOT_FOUND' });
  expect(await pay({ amount: '1000.00', lines: [{ service: 'ELEC', amount: '100.00' }] })).toMatchObject({ ok: false, code: 'AMOUNT_MISMATCH' });

  operatorSecret = await operatorToken(h.database.db, OPERATOR, 'operator');
  ({ app, url } = await startServer(TOKEN));
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-ops-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await context?.close();
  await app?.close();
  // The overdue settlement waits for a confirmation that never comes: end it.
  await h?.client.workflow.getHandle(`settlement:${BANK}:${overdueDay}`).terminate('ops page test done').catch(() => undefined);
  await h?.close();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

describe('access to /ops', () => {
  it('shows the sign-in form without a session, answers scripts 401, and ignores a token in the URL', async () => {
    const page = await context.newPage();
    const bare = await page.goto(`${url}/ops`);
    expect(bare?.status()).toBe(200);
    expect(await page.locator('#sign-in').count()).toBe(1);
    expect(await page.locator('#bank-days').count()).toBe(0);
    // The shared token in the address opens nothing any more: it is a script's Bearer only.
    await page.goto(`${url}/ops?token=${TOKEN}`);
    expect(await page.locator('#sign-in').count()).toBe(1);
    expect((await context.cookies(`${url}/ops`)).find((c) => c.name === OPS_SESSION_COOKIE)).toBeUndefined();
    expect((await fetch(`${url}/ops/api/overview`)).status).toBe(401);
    expect((await fetch(`${url}/ops/api/overview`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    await page.close();
  });

  it('signs a person in through the form: an HttpOnly SameSite=Strict cookie on /ops, no token in any URL, their name on the page', async () => {
    const page = await signIn(context, OPERATOR, operatorSecret);
    expect(page.url()).toBe(`${url}/ops`);
    const cookie = (await context.cookies(`${url}/ops`)).find((c) => c.name === OPS_SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/ops' });
    expect(cookie?.value).not.toContain(operatorSecret);
    expect(await page.title()).toBe('SPC operators');
    expect(await page.textContent('#who')).toBe(`${OPERATOR} · operator`);
    const stored = await h.database.db('ops_sessions').where({ operator_id: OPERATOR }).whereNull('ended_at').select('token_sha256');
    expect(stored.length).toBeGreaterThanOrEqual(1);
    expect(stored.map((r) => r.token_sha256)).not.toContain(cookie?.value);
    await page.close();
  });

  it('refuses a wrong, a revoked and another operator\'s token, records each failure, and sets no session', async () => {
    const ctx = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }).then((b) => b.newContext());
    try {
      const other = await operatorToken(h.database.db, 'erlan', 'operator');
      const revoked = await operatorToken(h.database.db, 'farida', 'operator');
      await revokeOperatorToken(h.database.db, revoked.slice(0, 13));
      const before = Number((await h.database.db('ops_sign_in_failures').count({ n: '*' }).first())?.n);
      for (const [who, token] of [[OPERATOR, `spco_${'x'.repeat(43)}`], ['farida', revoked], [OPERATOR, other]] as const) {
        const page = await signIn(ctx, who, token);
        expect(await page.textContent('#sign-in-error')).toContain('the operator id or the personal token is wrong');
        expect(await page.locator('#bank-days').count()).toBe(0);
        await page.close();
      }
      expect((await ctx.cookies(`${url}/ops`)).find((c) => c.name === OPS_SESSION_COOKIE)).toBeUndefined();
      expect(Number((await h.database.db('ops_sign_in_failures').count({ n: '*' }).first())?.n)).toBe(before + 3);
    } finally {
      await ctx.browser()?.close();
    }
  });

  it('ends the session at logout: the old cookie no longer opens /ops', async () => {
    const ctx = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }).then((b) => b.newContext());
    try {
      const page = await signIn(ctx, OPERATOR, operatorSecret);
      expect(await page.locator('#bank-days').count()).toBe(1);
      const cookie = (await ctx.cookies(`${url}/ops`)).find((c) => c.name === OPS_SESSION_COOKIE);
      expect(cookie).toBeDefined();
      const asCookie = { cookie: `${OPS_SESSION_COOKIE}=${cookie?.value}` };
      expect((await fetch(`${url}/ops/api/overview`, { headers: asCookie })).status).toBe(200);
      await Promise.all([page.waitForNavigation(), page.click('#sign-out button[type="submit"]')]);
      expect(await page.locator('#sign-in').count()).toBe(1);
      // The server ended it: replaying the old cookie opens nothing.
      expect((await fetch(`${url}/ops/api/overview`, { headers: asCookie })).status).toBe(401);
      expect(await (await fetch(`${url}/ops`, { headers: asCookie })).text()).toContain('id="sign-in"');
      const actions = await h.database.db('operator_audit').where({ operator: OPERATOR }).whereIn('action', ['ops.sign-in', 'ops.sign-out']).select('action');
      expect(actions.map((r) => r.action)).toEqual(expect.arrayContaining(['ops.sign-in', 'ops.sign-out']));
    } finally {
      await ctx.browser()?.close();
    }
  });

  it('refuses a POST without the CSRF token (403), and an auditor\'s acting action (403, recorded)', async () => {
    const ctx = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }).then((b) => b.newContext());
    try {
      const auditorToken = await operatorToken(h.database.db, 'gulnar', 'auditor');
      const page = await signIn(ctx, 'gulnar', auditorToken);
      const csrf = await page.getAttribute('meta[name="spc-csrf"]', 'content');
      expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const post = (path: string, headers: Record<string, string>) => page.evaluate(async ([p, hd]) => {
        const res = await fetch(p, { method: 'POST', credentials: 'same-origin', headers: hd });
        return { status: res.status, code: ((await res.json()) as { code?: string }).code };
      }, [path, headers] as const);
      const take = `/ops/api/complaints/${encodeURIComponent(`${BANK}:nothing-${tag}:NOT_POSTED`)}/take`;
      expect(await post(take, {})).toEqual({ status: 403, code: 'CSRF_FAILED' });
      expect(await post('/ops/sign-out', {})).toEqual({ status: 403, code: 'CSRF_FAILED' });
      expect(await post(take, { 'x-csrf-token': csrf as string })).toEqual({ status: 403, code: 'OPERATOR_ROLE_FORBIDDEN' });
      const audit = await h.database.db('operator_audit').where({ operator: 'gulnar', action: 'ops.complaint.take' }).select('outcome');
      expect(audit.map((r) => r.outcome)).toEqual(['refused: OPERATOR_ROLE_FORBIDDEN']);
      // An operator may act: the same action gets past the role and the CSRF check to the complaint itself.
      const opPage = await signIn(await (ctx.browser() as NonNullable<ReturnType<BrowserContext['browser']>>).newContext(), OPERATOR, operatorSecret);
      const opCsrf = await opPage.getAttribute('meta[name="spc-csrf"]', 'content');
      const res = await opPage.evaluate(async ([p, c]) => (await fetch(p, { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': c } })).status, [take, opCsrf as string] as const);
      expect(res).toBe(404);
    } finally {
      await ctx.browser()?.close();
    }
  });

  it('serves the overview as JSON to a script with Authorization: Bearer', async () => {
    const res = await fetch(`${url}/ops/api/overview`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const overview = (await res.json()) as OpsOverview;
    expect(overview).toMatchObject({ today, refreshMs: 5000, temporalUi: `${UI}/namespaces/default/workflows` });
    expect(overview.bankDays.find((d) => d.bankCode === BANK && d.businessDate === settledDay)).toMatchObject({
      state: 'settled', accepted: { count: 2, total: '1350.00' }, settlement: { status: 'settled', netTotal: '1350.00', lines: 2, confirmedLines: 2, overdue: false },
    });
    expect(overview.overdue).toEqual([expect.objectContaining({ settlementId: `${BANK}:${overdueDay}`, netTotal: '450.00', unconfirmedLines: 2 })]);
  });

  it('serves it to a script with an operator\'s personal token as Bearer, until the token is revoked', async () => {
    const personal = await operatorToken(h.database.db, 'aigerim', 'auditor');
    expect((await fetch(`${url}/ops/api/overview`, { headers: { authorization: `Bearer ${personal}` } })).status).toBe(200);
    await revokeOperatorToken(h.database.db, personal.slice(0, 13));
    expect((await fetch(`${url}/ops/api/overview`, { headers: { authorization: `Bearer ${personal}` } })).status).toBe(401);
  });
});

describe('the operator page in the browser', () => {
  it('shows bank-days with state, counts, totals and confirmations, the overdue settlement, rejections by code, and Temporal links', async () => {
    const page = await context.newPage();
    await page.goto(`${url}/ops`);
    const settled = page.locator(`#bank-days tr[data-bank="${BANK}"][data-date="${settledDay}"]`);
    await settled.waitFor({ timeout: PAGE_WAIT_MS });
    expect(await settled.locator('td').allTextContents()).toEqual([settledDay, BANK, 'settled', '2', '1350.00', '0', '0', '1350.00', '2 / 2', '', 'settlement · workflows']);
    const runId = (await h.client.workflow.getHandle(`settlement:${BANK}:${settledDay}`).describe()).runId;
    expect(await settled.locator('a', { hasText: 'settlement' }).getAttribute('href')).toBe(`${UI}/namespaces/default/workflows/settlement%3A${BANK}%3A${settledDay}/${runId}/history`);
    expect(await settled.locator('a', { hasText: 'workflows' }).getAttribute('href')).toBe(
      `${UI}/namespaces/default/workflows?query=${encodeURIComponent(`BankCode = '${BANK}' AND BusinessDate = '${settledDay}'`)}`,
    );

    const overdue = page.locator(`#bank-days tr[data-bank="${BANK}"][data-date="${overdueDay}"] td.state`);
    expect(await overdue.textContent()).toBe('overdue');
    expect(await page.locator('#overdue-section').isVisible()).toBe(true);
    expect(await page.locator('#overdue tbody td').first().textContent()).toBe(`${BANK}:${overdueDay}`);

    // Every bank has a row for today, with or without payments.
    for (const bank of [BANK, WORLD.bank, WORLD.otherBank]) expect(await page.locator(`#bank-days tr[data-bank="${bank}"][data-date="${today}"]`).count()).toBe(1);

    expect(await page.locator('#rejections-by-code tr[data-code="ACCOUNT_NOT_FOUND"] td').allTextContents()).toEqual(['ACCOUNT_NOT_FOUND', '2', '2']);
    expect(await page.locator('#rejections-by-code tr[data-code="AMOUNT_MISMATCH"] td').allTextContents()).toEqual(['AMOUNT_MISMATCH', '1', '1']);
    const latest = page.locator('#rejections-recent tbody tr').first();
    expect(await latest.locator('td').nth(3).textContent()).toBe('AMOUNT_MISMATCH');
    expect(await latest.locator('a').getAttribute('href')).toMatch(new RegExp(`^${UI}/namespaces/default/workflows/payment%3A${BANK}%3Aops-${tag}-\\d+/[0-9a-f-]{36}/history$`));
    await page.close();
  });

  it('refreshes by itself: a new rejection appears without a reload', async () => {
    const page = await context.newPage();
    let overviewRequests = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/ops/api/overview')) overviewRequests++;
    });
    await page.goto(`${url}/ops`);
    await page.locator('#rejections-by-code tr[data-code="ACCOUNT_NOT_FOUND"]').waitFor({ timeout: PAGE_WAIT_MS });
    await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    expect(await page.locator('#rejections-by-code tr[data-code="READING_BELOW_PREVIOUS"]').count()).toBe(0);

    expect(await pay({ amount: '3000.00', lines: [{ service: 'ELEC', amount: '3000.00' }], readings: [{ service: 'ELEC', value: '1.000' }] })).toMatchObject({ ok: false, code: 'READING_BELOW_PREVIOUS' });
    await page.locator('#rejections-by-code tr[data-code="READING_BELOW_PREVIOUS"]').waitFor({ timeout: PAGE_WAIT_MS });
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(overviewRequests).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#error').isHidden()).toBe(true);
    await page.close();
  });
});
