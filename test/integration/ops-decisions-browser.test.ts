// Approve and reject on /ops in headless Chromium, two people signed in one after the other: the
// proposer's own approval of a correction is refused (SELF_APPROVAL on the page, in operator_audit),
// a second supervisor approves it and it is applied; a period's close is rejected with a reason,
// proposed again and approved. The forms go through client/decisions.ts, as the CLI does: a reject
// without a reason is 400 REASON_REQUIRED, an auditor 403 OPERATOR_ROLE_FORBIDDEN, a decided
// proposal 409, each recorded; the decider is the session's, whatever the form says.
import Fastify, { type FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { opsRoutes } from '../../api/routes/ops';
import { installErrorHandlers } from '../../api/errors';
import { getCorrectionState, proposeCorrection, type CorrectionClientContext } from '../../client/corrections';
import { periodCloseResult, startPeriodClose } from '../../client/periods';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld } from '../support/payment-world';
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { operatorToken } from '../support/operators';
import { launchChromium } from '../support/chromium';

jest.setTimeout(300_000);

/** A day and a month of this file's own (workflow ids are shared on the dev server). */
const DAY = '2018-10-10';
const PERIOD = '2036-04';
const PAGE_WAIT_MS = 60_000;

let h: Harness;
let ctx: CorrectionClientContext;
let server: { app: FastifyInstance; url: string };
let browser: { context: BrowserContext; close(): Promise<void> };
const tokens: Record<string, string> = {};

async function signIn(operator: string, path: string): Promise<Page> {
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  await page.goto(`${server.url}${path}`);
  await page.fill('input[name="operator"]', operator);
  await page.fill('input[name="token"]', tokens[operator] as string);
  await Promise.all([page.waitForNavigation(), page.click('#sign-in button[type="submit"]')]);
  if (path !== '/ops') await page.goto(`${server.url}${path}`);
  return page;
}

type Answer = { status: number; body: { code?: string; message?: string; status?: string } };

/** A POST from the signed-in page itself (its cookie, its CSRF token unless told otherwise). */
async function postFromPage(page: Page, path: string, fields: Record<string, string>, withCsrf = true): Promise<Answer> {
  // A string, evaluated in the page: the test's TypeScript has no DOM types.
  return page.evaluate<Answer>(`(async () => {
    const csrf = document.querySelector('meta[name="spc-csrf"]').content;
    const body = new URLSearchParams(Object.assign(${JSON.stringify(fields)}, ${withCsrf} ? { csrf } : {}));
    const res = await fetch(${JSON.stringify(path)}, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    return { status: res.status, body: await res.json() };
  })()`);
}

/** A JSON POST from the page with the CSRF token as X-CSRF-Token, as a script on the page would send it. */
async function postJsonFromPage(page: Page, path: string, json: unknown): Promise<Answer> {
  return page.evaluate<Answer>(`(async () => {
    const csrf = document.querySelector('meta[name="spc-csrf"]').content;
    const res = await fetch(${JSON.stringify(path)}, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: ${JSON.stringify(JSON.stringify(json))} });
    return { status: res.status, body: await res.json() };
  })()`);
}

async function audit(where: { key: 'correctionId' | 'period'; value: string }): Promise<string[]> {
  const rows = await h.database.db('operator_audit').whereRaw(`args->>'${where.key}' = ?`, [where.value]).orderBy('id').select('operator', 'action', 'outcome');
  return rows.map((r: { operator: string; action: string; outcome: string }) => `${r.operator} ${r.action} ${r.outcome}`);
}

beforeAll(async () => {
  h = await startHarness('ops-decide');
  ctx = { ...h.ctx, db: h.database.db };
  const db = h.database.db;
  await createPaymentWorld(db);
  await db('billing_periods').insert({ period: `${PERIOD}-01` });
  for (const [id, role] of [['aigerim', 'supervisor'], ['daniyar', 'supervisor'], ['dana', 'auditor']] as const) tokens[id] = await operatorToken(db, id, role);

  const app = Fastify({ logger: false });
  installErrorHandlers(app);
  await app.register(opsRoutes, { db, client: h.client, taskQueue: h.taskQueue, operatorToken: 'ops-decisions-token', temporalUiUrl: 'http://temporal-ui.test' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  server = { app, url: `http://127.0.0.1:${address.port}` };
  browser = await launchChromium('ops-decisions');
});

afterAll(async () => {
  await browser?.close();
  await server?.app.close();
  await h?.close();
});

describe('approve and reject on /ops', () => {
  it('refuses the proposer\'s own approval of a correction, and a second supervisor\'s approval applies it', async () => {
    const paid = await submitPaymentAsOfPaidAt(h.ctx, { bankCode: WORLD.bank, bankRef: 'ops-decide-1', channel: 'cash_desk', account: WORLD.account, amount: '450.00', paidAt: `${DAY}T12:00:00+05:00` });
    if (!paid.ok) throw new Error(`payment rejected: ${paid.code}`);
    const proposed = await proposeCorrection(ctx, { bankCode: WORLD.bank, bankRef: 'ops-decide-1', kind: 'refund', reason: 'paid twice', operator: 'aigerim' });
    const id = proposed.correctionId;
    const row = `#corrections tr[data-correction="${id}"]`;

    const own = await signIn('aigerim', '/ops');
    await own.locator(`${row} form[data-decision="approve"] button`).click({ timeout: PAGE_WAIT_MS });
    await own.locator('#decision-result.error').waitFor({ timeout: PAGE_WAIT_MS });
    expect(await own.textContent('#decision-result')).toMatch(new RegExp(`^Refused \\(${proposed.ref}\\): SELF_APPROVAL: aigerim may not approve`));
    // A name in the form changes nothing: the decider is the session's.
    expect(await postFromPage(own, `/ops/api/corrections/${encodeURIComponent(id)}/approve`, { operator: 'daniyar' })).toMatchObject({ status: 403, body: { code: 'SELF_APPROVAL' } });
    await own.close();

    const reader = await signIn('dana', '/ops');
    expect(await reader.locator(`${row} form`).count()).toBe(0); // an auditor gets no buttons, and the server refuses them anyway
    expect(await postFromPage(reader, `/ops/api/corrections/${encodeURIComponent(id)}/reject`, { reason: 'looks wrong' })).toMatchObject({ status: 403, body: { code: 'OPERATOR_ROLE_FORBIDDEN' } });
    await reader.close();

    const second = await signIn('daniyar', '/ops');
    expect(await postFromPage(second, `/ops/api/corrections/${encodeURIComponent(id)}/approve`, {}, false)).toMatchObject({ status: 403, body: { code: 'CSRF_FAILED' } });
    await second.locator(`${row} form[data-decision="approve"] button`).click({ timeout: PAGE_WAIT_MS });
    await second.locator('#decision-result.ok').waitFor({ timeout: PAGE_WAIT_MS });
    expect(await second.textContent('#decision-result')).toBe(`Approved ${proposed.ref}: now applied.`);
    await second.locator(`${row} td.state-applied`).waitFor({ timeout: PAGE_WAIT_MS });
    expect(await second.locator(`${row} form`).count()).toBe(0);
    expect(await getCorrectionState(h, id)).toMatchObject({ status: 'applied', decision: { operator: 'daniyar', approve: true } });
    expect((await h.database.db('payments').where({ bank_ref: 'ops-decide-1' }).first('status')).status).not.toBe('accepted');
    expect(await postFromPage(second, `/ops/api/corrections/${encodeURIComponent(id)}/reject`, { reason: 'too late' })).toMatchObject({ status: 409, body: { code: 'NOT_AWAITING_DECISION' } });
    await second.close();

    expect(await audit({ key: 'correctionId', value: id })).toEqual([
      'aigerim correction.propose ok',
      'aigerim correction.approve refused: SELF_APPROVAL',
      'aigerim correction.approve refused: SELF_APPROVAL',
      'dana correction.reject refused: OPERATOR_ROLE_FORBIDDEN',
      'daniyar correction.approve ok',
      'daniyar correction.reject refused: NOT_AWAITING_DECISION',
    ]);
  });

  it('rejects a period\'s close with a reason (none: 400 REASON_REQUIRED), and approves it when proposed again', async () => {
    await startPeriodClose(h.ctx, PERIOD, 'aigerim');
    const page = await signIn('daniyar', `/ops/periods?period=${PERIOD}`);
    const forms = page.locator('#period-decision form');
    await forms.first().waitFor({ timeout: PAGE_WAIT_MS });
    expect(await postFromPage(page, `/ops/api/periods/${PERIOD}/reject`, { reason: '   ' })).toMatchObject({ status: 400, body: { code: 'REASON_REQUIRED' } });
    expect(await postFromPage(page, `/ops/api/periods/${PERIOD}/reject`, { reason: 'я'.repeat(501) })).toMatchObject({ status: 400, body: { code: 'REASON_REQUIRED', message: expect.stringContaining('at most 500') } });
    expect(await postJsonFromPage(page, `/ops/api/periods/${PERIOD}/reject`, { reason: { text: 'not text' } })).toMatchObject({ status: 400, body: { code: 'REASON_REQUIRED' } });

    await page.fill('#period-decision input[name="reason"]', 'AES uploaded the wrong month');
    await page.click('#period-decision form[data-decision="reject"] button');
    await page.locator('#decision-result.ok').waitFor({ timeout: PAGE_WAIT_MS });
    expect(await page.textContent('#decision-result')).toBe(`Rejected the close of ${PERIOD}: now rejected.`);
    await expect(periodCloseResult(h.ctx, PERIOD)).rejects.toMatchObject({ code: 'PERIOD_CLOSE_REJECTED' });
    await page.locator('#approval', { hasText: 'rejected by daniyar' }).waitFor({ timeout: PAGE_WAIT_MS });
    expect(await page.locator('#period-decision').isHidden()).toBe(true);

    await startPeriodClose(h.ctx, PERIOD, 'aigerim');
    await page.locator('#period-decision form[data-decision="approve"] button').click({ timeout: PAGE_WAIT_MS });
    await page.locator('#decision-result', { hasText: 'Approved' }).waitFor({ timeout: PAGE_WAIT_MS });
    expect(await page.textContent('#decision-result')).toBe(`Approved the close of ${PERIOD}: now approved.`);
    expect(await periodCloseResult(h.ctx, PERIOD)).toMatchObject({ period: PERIOD });
    await page.locator('#period-state', { hasText: 'closed' }).waitFor({ timeout: PAGE_WAIT_MS });
    await page.close();

    expect(await audit({ key: 'period', value: PERIOD })).toEqual([
      'aigerim period.propose ok',
      'daniyar period.reject refused: REASON_REQUIRED',
      'daniyar period.reject refused: REASON_REQUIRED',
      'daniyar period.reject refused: REASON_REQUIRED',
      'daniyar period.reject ok',
      'aigerim period.propose ok',
      'daniyar period.approve ok',
    ]);
  });
});
