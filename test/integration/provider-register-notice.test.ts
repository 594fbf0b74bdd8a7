// A register too large for the push body (PROVIDER_PUSH_BODY_BYTES_MAX, set here to its smallest,
// 1 KiB) on a real worker, Temporal and Postgres: the provider's webhook gets a signed
// provider.register_notice (REGISTER_TOO_LARGE) with no contents, each file's size and SHA-256 and its
// pull URL; the files pulled with the provider's key match the notice and are byte-identical on a
// second download; another provider's key cannot pull them.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApiServer, type RunningApiServer } from '../../api/server';
import { createProviderKey } from '../../db/provider-keys';
import { setProviderWebhook } from '../../db/provider-webhooks';
import { startSettlement } from '../../client/settlements';
import { addDays, isWeekend } from '../../domain/calendar';
import { verifyWebhookSignature } from '../../domain/webhook-signature';
import type { ProviderRegisterNoticePayload } from '../../activities/provider-register-webhook';
import { startHarness, type Harness } from '../support/harness';
import { recordHistory } from '../support/histories';
import { WORLD, createPaymentWorld } from '../support/payment-world';
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { waitFor } from '../support/wait';

jest.setTimeout(300_000);

const BODY_BYTES_MAX = 1024;
const run = randomBytes(3).toString('hex');
let h: Harness;
let server: RunningApiServer;
let receiver: Server;
let receiverUrl = '';
const keys = { AES: '', SU: '' };
const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];

/** This file's year (2018): settlement ids are shared by every test file on the one dev server. */
function pastWeekday(): string {
  for (;;) {
    const d = addDays('2018-02-01', randomBytes(2).readUInt16BE(0) % 300);
    if (!isWeekend(d)) return d;
  }
}

async function pull(url: string, key: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/spc/registers`;
  // The API's port is known once it listens, and the worker's notice names it: take a free port first.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  h = await startHarness('provnotice', { providerPush: { bodyBytesMax: BODY_BYTES_MAX, publicUrl: `http://127.0.0.1:${port}` } });
  await createPaymentWorld(h.database.db);
  keys.AES = (await createProviderKey(h.database.db, 'AES')).key;
  keys.SU = (await createProviderKey(h.database.db, 'ALMATY_SU')).key;
  server = await startApiServer({ db: h.database.appDb, client: h.client, taskQueue: h.taskQueue, host: '127.0.0.1', port, logger: false });
});

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await server?.close();
  await h?.close();
});

it('pushes a signed notice for a register above the bound, and the pulled files match it byte for byte', async () => {
  const set = await setProviderWebhook(h.database.db, 'AES', receiverUrl);
  const secret = set.secret as string;
  const date = pastWeekday();
  const paid = await submitPaymentAsOfPaidAt(h.ctx, {
    bankCode: WORLD.bank, bankRef: `notice-${run}`, channel: 'cash_desk', account: WORLD.account, amount: '450.00', paidAt: `${date}T12:00:00+05:00`,
  });
  if (!paid.ok) throw new Error(`payment rejected: ${paid.code}`);
  await startSettlement(h.ctx, WORLD.bank, date, { operator: 'tester', options: { confirmDeadlineMs: 600_000 } });
  const registerId = `AES:${date}:v1`;
  const push = await h.client.workflow.getHandle(`provider-register-push:${registerId}`);
  expect(await waitFor('the push to finish', async () => push.result().catch(() => undefined))).toMatchObject({ status: 'delivered', attempts: 1 });

  const mine = received.filter((r) => r.headers['x-spc-register-id'] === registerId);
  expect(mine).toHaveLength(1);
  const [notice] = mine as [(typeof mine)[number]];
  expect(notice.headers['idempotency-key']).toBe(registerId);
  const signed = { timestamp: notice.headers['x-spc-timestamp'] as string, signature: notice.headers['x-spc-signature'] as string, body: notice.body };
  expect(verifyWebhookSignature({ secret, ...signed })).toBe(true);
  expect(verifyWebhookSignature({ secret: 'spcwh_not-the-secret', ...signed })).toBe(false);
  expect(Buffer.byteLength(notice.body)).toBeLessThanOrEqual(BODY_BYTES_MAX);
  const payload = JSON.parse(notice.body) as ProviderRegisterNoticePayload;
  expect(payload).toMatchObject({
    event: 'provider.register_notice', reason: 'REGISTER_TOO_LARGE', registerId, providerId: 'AES', businessDate: date, version: 1, lineCount: 1, bodyBytesMax: BODY_BYTES_MAX,
  });
  expect(payload.bodyBytes).toBeGreaterThan(BODY_BYTES_MAX);
  expect(notice.body).not.toContain('contentBase64');
  expect(payload.files.map((f) => [f.format, f.name, f.contentType])).toEqual([
    ['camt054', 'camt054.xml', 'application/xml; charset=utf-8'],
    ['csv', 'register.csv', 'text/csv; charset=utf-8'],
  ]);

  for (const f of payload.files) {
    expect(f.url).toBe(`${server.url}${f.path}`);
    const first = await pull(f.url, keys.AES);
    expect(first.status).toBe(200);
    expect(first.bytes.byteLength).toBe(f.bytes);
    expect(createHash('sha256').update(first.bytes).digest('hex')).toBe(f.sha256);
    expect(first.headers.get('x-content-sha256')).toBe(f.sha256);
    const again = await pull(f.url, keys.AES);
    expect(again.bytes.equals(first.bytes)).toBe(true);
    // Another provider's key: the register does not exist for it.
    expect((await pull(f.url, keys.SU)).status).toBe(404);
  }
  // The day's listing (the pull API) describes the same register and files.
  const listed = await fetch(`${server.url}/v1/provider/registers?date=${date}`, { headers: { authorization: `Bearer ${keys.AES}` } });
  const [register] = ((await listed.json()) as { registers: Array<{ total: string; files: Array<{ format: string; sha256: string; bytes: number; url: string }> }> }).registers;
  expect(register?.total).toBe(payload.total);
  expect(register?.files).toEqual(payload.files.map((f) => ({ format: f.format, sha256: f.sha256, bytes: f.bytes, url: f.path })));
  expect(await h.database.db('provider_register_deliveries').where({ register_id: registerId }).first()).toMatchObject({ attempts: 1, last_status: 200, last_error: null });

  await recordHistory(h.client, 'provider-register-push', 'notice-too-large-delivered', push.workflowId);
});
