// The period page of /ops in headless Chromium (issue 18): behind the per-person sign-in, a close
// proposed by one supervisor shows as waiting for a second; approved, the page shows the period
// closed with its totals, each provider's upload (one missing by the deadline) and the exceptions.
// The JSON under /ops/api/periods answers scripts with a Bearer token, bad input with a code.
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { opsRoutes } from '../../api/routes/ops';
import type { OpsPeriod } from '../../api/ops-periods';
import { decidePeriodClose } from '../../client/period-approval';
import { periodCloseResult, startPeriodClose } from '../../client/periods';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld } from '../support/payment-world';
import { operatorToken } from '../support/operators';
import { launchChromium } from '../support/chromium';

jest.setTimeout(300_000);

const TOKEN = 'ops-periods-token-8d2e';
const UI = 'http://temporal-ui.test';
/** A month of this test's own: the close's workflow id (period:<P>) is shared by every test file on the dev server. */
const PERIOD = '2031-03';
const CREDIT_ACCOUNT = '1000000009';
const PAGE_WAIT_MS = 60_000;

let h: Harness;
let server: { app: FastifyInstance; url: string };
let browser: { context: BrowserContext; close(): Promise<void> };

async function signIn(operator: string, token: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/ops/periods`);
  await page.fill('input[name="operator"]', operator);
  await page.fill('input[name="token"]', token);
  await Promise.all([page.waitForNavigation(), page.click('#sign-in button[type="submit"]')]);
  return page;
}

beforeAll(async () => {
  h = await startHarness('ops-periods');
  const db = h.database.db;
  await createPaymentWorld(db);
  await db('billing_periods').insert({ period: `${PERIOD}-01` });
  // An account whose cold water opens (and so closes) in credit.
  await db('personal_accounts').insert({ number: CREDIT_ACCOUNT, holder_name: 'Кредитов К. К.', address: 'г. Алматы, пр. Абая, 10, кв. 7' });
  const [invoice] = await db('invoices').insert({ account_number: CREDIT_ACCOUNT, period: `${PERIOD}-01`, due_date: '2031-04-25' }).returning('id');
  await db('invoice_lines').insert({ invoice_id: invoice.id, service_code: 'CWATER', opening_balance: '-50.00', charged: '0.00', amount_due: '0.00' });
  // AES uploads (one row of three refused, a recalculation of February); ALMATY_SU never does.
  const sha = randomBytes(32).toString('hex');
  const uploadId = `charges:AES:${PERIOD}:${sha.slice(0, 16)}`;
  await db('charge_uploads').insert({
    upload_id: uploadId, provider_id: 'AES', period: `${PERIOD}-01`, version: 1, content_sha256: sha, state: 'done', row_count: 3, rows_done: 3,
    rows_accepted: 2, rows_refused: 1, workflow_id: `upload-${uploadId}`,
  });
  await db('charge_lines').insert([
    { upload_id: uploadId, line_no: 1, account_number: WORLD.account, service_code: 'ELEC', kind: 'charge', for_period: `${PERIOD}-01`, amount: '3000.00' },
    { upload_id: uploadId, line_no: 2, account_number: WORLD.account, service_code: 'ELEC', kind: 'recalculation', for_period: '2031-02-01', amount: '-120.50', reason: 'meter replaced' },
  ]);

  const app = Fastify({ logger: false });
  await app.register(opsRoutes, { db, client: h.client, taskQueue: h.taskQueue, operatorToken: TOKEN, temporalUiUrl: UI });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  server = { app, url: `http://127.0.0.1:${address.port}` };
  browser = await launchChromium('ops-periods');
});

afterAll(async () => {
  await browser?.close();
  await server?.app.close();
  await h?.close();
});

describe('the period page of /ops', () => {
  it('is behind the sign-in; its JSON answers a script with a Bearer token, bad input with a code', async () => {
    const bare = await fetch(`${server.url}/ops/periods`);
    expect(bare.status).toBe(200);
    expect(await bare.text()).toContain('id="sign-in"');
    expect((await fetch(`${server.url}/ops/api/periods`)).status).toBe(401);
    expect((await fetch(`${server.url}/ops/api/periods/${PERIOD}`)).status).toBe(401);
    const bearer = { headers: { authorization: `Bearer ${TOKEN}` } };
    const listed = await fetch(`${server.url}/ops/api/periods`, bearer);
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { periods: Array<{ period: string; state: string }> }).periods).toEqual([expect.objectContaining({ period: PERIOD, state: 'open' })]);
    const bad = await fetch(`${server.url}/ops/api/periods/2031-3`, bearer);
    expect({ status: bad.status, body: await bad.json() }).toEqual({ status: 400, body: { code: 'INVALID_PERIOD', message: expect.stringContaining('YYYY-MM') } });
    const unknown = await fetch(`${server.url}/ops/api/periods/2040-01`, bearer);
    expect({ status: unknown.status, code: ((await unknown.json()) as { code: string }).code }).toEqual({ status: 404, code: 'NOT_FOUND' });
  });

  it('shows a proposed close waiting for a second person, then the closed period: totals, uploads against the deadline, exceptions', async () => {
    await startPeriodClose(h.ctx, PERIOD, 'aigerim');
    const page = await signIn('dana', await operatorToken(h.database.db, 'dana', 'auditor'));
    expect(page.url()).toBe(`${server.url}/ops`); // the sign-in lands on /ops, which links the period page
    await page.goto(`${server.url}/ops/periods?period=${PERIOD}`);
    await page.locator('#approval', { hasText: 'waiting for a second' }).waitFor({ timeout: PAGE_WAIT_MS });
    expect(await page.textContent('#approval')).toBe(`Proposed by aigerim: waiting for a second supervisor or admin (spc period approve --period ${PERIOD}).`);
    expect(await page.textContent('#period-state')).toBe('open');
    expect(await page.locator(`#periods tr[data-period="${PERIOD}"] td`).first().textContent()).toBe(PERIOD);

    await decidePeriodClose(h.ctx, PERIOD, { operator: 'bolat', role: 'admin', approve: true, note: 'checked on /ops' });
    expect(await periodCloseResult(h.ctx, PERIOD)).toMatchObject({ missingProviders: ['ALMATY_SU'], invoicesIssued: 2 });
    // The page refreshes by itself.
    await page.locator('#period-state', { hasText: 'closed' }).waitFor({ timeout: PAGE_WAIT_MS });
    expect(await page.textContent('#approval')).toMatch(/^Proposed by aigerim, approved by bolat at .*: checked on \/ops\.$/);
    expect(await page.textContent('#upload-deadline')).toBe('2031-04-01');
    expect(await page.locator('#totals tbody td').allTextContents()).toEqual(['-50.00', '3000.00', '-120.50', '0.00', '0.00', '2829.50']);
    const aes = await page.locator('#providers tr[data-provider="AES"] td').allTextContents();
    expect([aes[0], aes[1], aes[3], aes[4], aes[5], aes[6], aes[7]]).toEqual(['AES', 'v1', '2', '1', '3000.00', '-120.50', '2879.50']);
    expect(await page.locator('#providers tr[data-provider="ALMATY_SU"] td').nth(1).textContent()).toBe('missing');
    const kinds = await page.locator('#exceptions tbody tr').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-kind')}:${r.children[1]?.textContent}`));
    expect(kinds.sort()).toEqual(['credit_balances:ALMATY_SU', 'missing_upload:ALMATY_SU', 'recalculations:AES', 'refused_rows:AES']);
    expect(await page.locator(`#periods tr[data-period="${PERIOD}"] a`, { hasText: 'close' }).getAttribute('href')).toBe(`${UI}/namespaces/default/workflows/period%3A${PERIOD}`);
    await page.close();

    const json = (await (await fetch(`${server.url}/ops/api/periods/${PERIOD}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as OpsPeriod;
    expect(json).toMatchObject({
      period: PERIOD, state: 'closed', step: 'done', startedBy: 'aigerim', uploadDeadline: '2031-04-01', approval: { status: 'approved', proposedBy: 'aigerim', decision: { operator: 'bolat' } },
      totals: { opening: '-50.00', charged: '3000.00', recalculated: '-120.50', paid: '0.00', corrected: '0.00', closing: '2829.50' },
    });
  });
});
