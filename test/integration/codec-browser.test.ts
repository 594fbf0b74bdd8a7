// The Web UI's codec endpoint in headless Chromium (issue 16, item 9): a page of the UI's origin
// (another port of the same host, as the dev server's UI is) decodes through /codec/ui only when it
// includes credentials and the browser holds a live /ops session; the endpoint alone (the UI's
// default, which sends no credentials), another origin of the same site, and a signed-out session
// open nothing. The decode's audit line names the signed-in operator.
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
import { createTestDatabase, type TestDatabase } from '../support/env';
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
    await ops.goto(`${apiUrl}/ops`);
    await ops.fill('input[name="operator"]', 'erlan');
    await ops.fill('input[name="token"]', token);
    await Promise.all([ops.waitForNavigation(), ops.click('#sign-in button[type="submit"]')]);
    expect(await ops.locator('#sign-in').count()).toBe(0);

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
