// The Web UI's codec endpoint in headless Chromium (issue 16, item 9): a page of the UI's origin
// (another port of the same host, as the dev server's UI is) decodes through /codec/ui only when it
// includes credentials and the browser holds a live /ops session; the endpoint alone (the UI's
// default, which sends no credentials), another origin of the same site, and a signed-out session
// open nothing. The decode's audit line names the signed-in operator. And the real Temporal Web UI
// of the CLI 1.5.1 dev server (`--ui-codec-endpoint <api>/codec/ui`, as `spc up` starts it) shows a
// workflow's encrypted input in clear only after the operator signed in on /ops and opted in to
// "Include cross-origin credentials" in the UI's Codec Server setting (the browser's localStorage).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Client, Connection } from '@temporalio/client';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildApiServer } from '../../api/server';
import type { CodecAuditEntry } from '../../api/routes/codec';
import { generatePayloadKey } from '../../infra/payload-codec';
import { payloadCodecOf } from '../../infra/temporal-connection';
import { loadConfig } from '../../infra/config';
import { findTemporalCli } from '../../infra/temporal-binary';
import { freePort, startDevServer, type RunningDevServer } from '../../infra/temporal-server';
import { createTestDatabase, type TestDatabase } from '../support/env';
import { waitFor } from '../support/wait';
import { operatorToken } from '../support/operators';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const MARKER = 'codec-browser-secret-7731';
const codec = payloadCodecOf({ payloadKeys: { keys: { 'b-1': generatePayloadKey() }, currentKeyId: 'b-1' } });

let database: TestDatabase;
let api: FastifyInstance;
let apiUrl: string;
const origins: Record<'ui' | 'other', { app: FastifyInstance; url: string }> = {} as never;
let context: BrowserContext;
let userDataDir: string;
let token: string;
const audit: CodecAuditEntry[] = [];
let body: string;

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

/** A blank page standing for the Temporal UI (or another local site): it only needs an origin. */
async function blankSite(): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false });
  app.get('/', async (_request, reply) => reply.type('text/html').send('<!doctype html><title>ui</title>'));
  return { app, url: await listen(app) };
}

/** Signs `operator` in on the API's /ops in `page` (the browser keeps the cookie). */
async function signIn(page: Page, operator: string, secret: string): Promise<void> {
  await page.goto(`${apiUrl}/ops`);
  await page.fill('input[name="operator"]', operator);
  await page.fill('input[name="token"]', secret);
  await Promise.all([page.waitForNavigation(), page.click('#sign-in button[type="submit"]')]);
  expect(await page.locator('#sign-in').count()).toBe(0);
}

/** What the UI's codeServerRequest does (temporalio/ui src/lib/services/data-encoder.ts), from `page`. */
function decodeFrom(page: Page, credentials: 'include' | 'same-origin'): Promise<{ status: number; body: string } | { error: string }> {
  return page.evaluate(async ({ endpoint, payloads, credentials: creds }) => {
    try {
      const res = await fetch(`${endpoint}/decode`, { method: 'POST', credentials: creds, headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' }, body: payloads });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      return { error: String(err) };
    }
  }, { endpoint: `${apiUrl}/codec/ui`, payloads: body, credentials });
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  database = await createTestDatabase();
  token = await operatorToken(database.db, 'erlan');
  origins.ui = await blankSite();
  origins.other = await blankSite();
  // No workflow runs here: the API's Temporal client is never used by these routes.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), namespace: 'default' });
  api = buildApiServer({ db: database.db, client, taskQueue: 'codec-browser', payloadCodec: codec, temporalUiUrl: origins.ui.url, logger: false, codecAudit: (e) => void audit.push(e) });
  apiUrl = await listen(api);
  const [encrypted] = await (codec as NonNullable<typeof codec>).encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(MARKER)) }]);
  body = JSON.stringify({ payloads: [{ metadata: Object.fromEntries(Object.entries(encrypted?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(encrypted?.data ?? []).toString('base64') }] });
  expect(body).not.toContain(Buffer.from(JSON.stringify(MARKER)).toString('base64'));
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-codec-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await context?.close();
  await api?.close();
  for (const site of Object.values(origins)) await site.app.close();
  await database?.drop();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

const decodedMarker = (r: { status: number; body: string } | { error: string }) =>
  'body' in r && r.status === 200 ? Buffer.from((JSON.parse(r.body) as { payloads: Array<{ data: string }> }).payloads[0]?.data ?? '', 'base64').toString() : undefined;

describe('the Web UI\'s codec endpoint in a browser', () => {
  it('opens nothing before sign-in, decodes for the signed-in operator when the UI includes credentials, and nothing once signed out', async () => {
    const ui = await context.newPage();
    await ui.goto(origins.ui.url);
    // Not signed in: the UI's request reaches the API and is refused, readable to the UI (CORS for its origin).
    expect(await decodeFrom(ui, 'include')).toEqual({ status: 401, body: expect.stringContaining('NOT_SIGNED_IN') });

    const ops = await context.newPage();
    await signIn(ops, 'erlan', token);

    // The UI as the dev server configures it (endpoint only, no credentials): still nothing.
    expect(await decodeFrom(ui, 'same-origin')).toEqual({ status: 401, body: expect.stringContaining('NOT_SIGNED_IN') });
    // Another site's page on this host, with credentials: the browser sends the cookie (same site), the Origin check refuses it,
    // and without a CORS grant the page cannot even read the refusal.
    const other = await context.newPage();
    await other.goto(origins.other.url);
    expect(await decodeFrom(other, 'include')).toEqual({ error: expect.stringContaining('Failed to fetch') });
    expect(audit).toEqual([]);

    // "Include cross-origin credentials": the session cookie goes along and the payload comes back in clear.
    const decoded = await decodeFrom(ui, 'include');
    expect(decodedMarker(decoded)).toBe(JSON.stringify(MARKER));
    expect(audit).toEqual([expect.objectContaining({ event: 'codec.decode', operator: 'erlan', via: 'ui', payloads: 1, namespace: 'default' })]);

    // Sign out on /ops: the UI's next decode is refused at once.
    await Promise.all([ops.waitForNavigation(), ops.click('#sign-out button')]);
    expect(await decodeFrom(ui, 'include')).toEqual({ status: 401, body: expect.stringContaining('NOT_SIGNED_IN') });
    expect(audit).toHaveLength(1);
  });
});

describe('the real Temporal Web UI of the dev server', () => {
  const UI_MARKER = 'codec-ui-input-5519';
  let devServer: RunningDevServer;
  let uiApi: FastifyInstance;
  let uiApiUrl: string;
  let workflowPath: string;
  let connection: Connection;

  beforeAll(async () => {
    const uiPort = await freePort();
    const uiUrl = `http://127.0.0.1:${uiPort}`;
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }), namespace: 'default' });
    uiApi = buildApiServer({ db: database.db, client, taskQueue: 'codec-browser', payloadCodec: codec, temporalUiUrl: uiUrl, logger: false, codecAudit: (e) => void audit.push(e) });
    uiApiUrl = await listen(uiApi);
    const binary = await findTemporalCli(loadConfig(), () => undefined);
    devServer = await startDevServer({ binary, port: 0, uiPort, namespace: 'default', log: () => undefined, logFile: path.join(userDataDir, 'temporal-ui.log'), uiCodecEndpoint: `${uiApiUrl}/codec/ui` });
    // A workflow no worker polls for: its started event holds the encrypted input, which is all the UI needs.
    connection = await Connection.connect({ address: devServer.address });
    const withKeys = new Client({ connection, namespace: 'default', dataConverter: { payloadCodecs: [codec as NonNullable<typeof codec>] } });
    const handle = await withKeys.workflow.start('codecUiProbe', { taskQueue: 'nobody-polls', workflowId: `codec-ui-${Date.now()}`, args: [{ note: UI_MARKER }] });
    workflowPath = `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${handle.firstExecutionRunId}/history`;
  }, 180_000);

  afterAll(async () => {
    await connection?.close();
    await devServer?.stop();
    await uiApi?.close();
  });

  /** Opens the workflow in the UI and waits for its first decode answer. */
  async function openWorkflow(page: Page): Promise<number> {
    const answer = page.waitForResponse((r) => r.url() === `${uiApiUrl}/codec/ui/decode` && r.request().method() === 'POST', { timeout: 90_000 });
    await page.goto(workflowPath);
    return (await answer).status();
  }
  const showsMarker = async (page: Page) => (await page.locator('body').innerText()).includes(UI_MARKER);

  it('shows the input encoded as the dev server configures it, and in clear once signed in and opted in to credentials', async () => {
    // The browser of the first test, signed out there: no session cookie; the UI's origin is new to it.
    const page = await context.newPage();
    try {
      audit.splice(0);
      // The dev server's settings: the endpoint only, no credentials (temporalio/cli 1.5.1 devserver).
      const settings = await (await fetch(`${new URL(workflowPath).origin}/api/v1/settings`)).json() as { Codec: Record<string, unknown> };
      expect(settings.Codec).toEqual(expect.objectContaining({ Endpoint: `${uiApiUrl}/codec/ui`, IncludeCredentials: false, PassAccessToken: false }));
      expect(await openWorkflow(page)).toBe(401);
      expect(await showsMarker(page)).toBe(false);

      // Signed in, but the UI still sends no credentials: still nothing.
      await signIn(await context.newPage(), 'erlan', token);
      expect(await openWorkflow(page)).toBe(401);
      expect(await showsMarker(page)).toBe(false);
      expect(audit).toEqual([]);

      // The operator's opt-in, as the Codec Server dialog stores it: browser setting, endpoint, include credentials.
      await page.evaluate(`localStorage.setItem('endpoint', ${JSON.stringify(JSON.stringify(`${uiApiUrl}/codec/ui`))});
        localStorage.setItem('includeCredentials', 'true'); localStorage.setItem('overrideRemoteCodecConfiguration', 'true');`);
      expect(await openWorkflow(page)).toBe(200);
      await waitFor('the decoded input in the UI', () => showsMarker(page), 60_000, 500);
      expect(audit.length).toBeGreaterThan(0);
      expect(new Set(audit.map((a) => `${a.operator}/${a.via}`))).toEqual(new Set(['erlan/ui']));
    } finally {
      await page.close();
    }
  }, 300_000);
});
