// The push of the providers' daily registers to their webhooks (issue 19), on a real worker, Temporal
// and Postgres: a provider sets its webhook through its API (a private address is refused with 422
// and nothing stored), rotates its secret, and receives its register signed with both secrets while
// the old one is in its grace period; a receiver that fails twice gets it on the third attempt; the
// pushed files are byte-identical to what the pull answers; the delivery is recorded.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startApiServer, type RunningApiServer } from '../../api/server';
import { createProviderKey } from '../../db/provider-keys';
import { confirmTransfers, getSettlementState, startSettlement } from '../../client/settlements';
import { addDays, isWeekend } from '../../domain/calendar';
import { verifyWebhookSignature } from '../../domain/webhook-signature';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld } from '../support/payment-world';
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { waitFor } from '../support/wait';
import type { ProviderRegisterPayload } from '../../activities/provider-register-webhook';
import { TRANSFER_CHECK_SCHEDULE_ID, ensureTransferCheckSchedule } from '../../infra/transfer-check-schedule';
import type { TransferCheckResult } from '../../workflows/transfer-check';
import { loadOpsOverview } from '../../api/routes/ops';
import { runSpc } from './audit-helpers';
import { asOperator } from '../support/operators';
import { recordHistory } from '../support/histories';

jest.setTimeout(300_000);

const run = randomBytes(3).toString('hex');
let seq = 0;
let h: Harness;
let server: RunningApiServer;
const keys = { AES: '', SU: '' };

interface Received { headers: Record<string, string | string[] | undefined>; body: string; answered: number }
let receiver: Server;
let receiverUrl = '';
const received: Received[] = [];
/** How many of the next requests the receiver answers 503. */
let failNext = 0;
/** The day the push test settled, for the transfer check. */
let settledDate = '';

/** This file's year (2019): settlement ids are shared by every test file on the one dev server. */
function pastWeekday(): string {
  for (;;) {
    const d = addDays('2019-02-01', randomBytes(2).readUInt16BE(0) % 300);
    if (!isWeekend(d)) return d;
  }
}

async function call(method: string, url: string, key: string, json?: unknown): Promise<{ status: number; text: string; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${url}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await res.text();
  return { status: res.status, text, body: (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  h = await startHarness('provhook');
  const db = h.database.db;
  await createPaymentWorld(db);
  keys.AES = (await createProviderKey(db, 'AES')).key;
  keys.SU = (await createProviderKey(db, 'ALMATY_SU')).key;
  server = await startApiServer({ db: h.database.appDb, client: h.client, taskQueue: h.taskQueue, host: '127.0.0.1', port: 0, logger: false });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = failNext > 0 ? 503 : 200;
      if (failNext > 0) failNext--;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      res.writeHead(answered).end(answered === 200 ? 'ok' : 'down for maintenance');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/spc/registers`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await server?.close();
  await h?.close();
});

describe('provider register webhook', () => {
  it('refuses a webhook to a private address with 422 and stores nothing', async () => {
    for (const url of ['https://10.0.0.5/hook', 'https://169.254.169.254/latest/meta-data/', 'https://[fd00::1]/hook']) {
      const res = await call('PUT', '/v1/provider/webhook', keys.SU, { url });
      expect([res.status, res.body.code]).toEqual([422, 'WEBHOOK_URL_PRIVATE_ADDRESS']);
    }
    const insecure = await call('PUT', '/v1/provider/webhook', keys.SU, { url: 'http://hooks.provider.example/spc' });
    expect([insecure.status, insecure.body.code]).toEqual([422, 'WEBHOOK_URL_INSECURE']);
    expect((await call('GET', '/v1/provider/webhook', keys.SU)).body).toEqual({ providerId: 'ALMATY_SU', url: null, updatedAt: null, signingSecrets: 0 });
    expect(await h.database.db('provider_webhook_secrets').where({ provider_id: 'ALMATY_SU' }).count<{ n: string }[]>({ n: '*' })).toEqual([{ n: '0' }]);
  });

  it('pushes the day\'s register signed (through a rotation), retries a failing receiver, and the bytes are the pull\'s', async () => {
    const set = await call('PUT', '/v1/provider/webhook', keys.AES, { url: receiverUrl });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ providerId: 'AES', url: receiverUrl, signingSecrets: 1, secret: expect.stringMatching(/^spcwh_/) });
    const oldSecret = set.body.secret as string;
    // Setting the URL again keeps the secret and does not show it.
    expect((await call('PUT', '/v1/provider/webhook', keys.AES, { url: receiverUrl })).body.secret).toBeUndefined();
    const rotated = await call('POST', '/v1/provider/webhook/rotate-secret', keys.AES);
    expect(rotated.body).toMatchObject({ signingSecrets: 2, secret: expect.stringMatching(/^spcwh_/) });
    const newSecret = rotated.body.secret as string;

    const date = pastWeekday();
    const paid = await submitPaymentAsOfPaidAt(h.ctx, {
      bankCode: WORLD.bank, bankRef: `hook-${run}-${++seq}`, channel: 'cash_desk', account: WORLD.account, amount: '450.00', paidAt: `${date}T12:00:00+05:00`,
    });
    if (!paid.ok) throw new Error(`payment rejected: ${paid.code}`);
    failNext = 2;
    const settlement = await startSettlement(h.ctx, WORLD.bank, date, {
      operator: 'tester', options: { confirmDeadlineMs: 600_000, webhookRetry: { initialIntervalMs: 200, maximumIntervalMs: 500, backoffCoefficient: 2 } },
    });
    const registerId = `AES:${date}:v1`;
    const delivery = await waitFor('the register delivery', async () => {
      const row = await h.database.db('provider_register_deliveries').where({ register_id: registerId }).first();
      return row?.delivered_at ? row : undefined;
    });
    expect(delivery).toMatchObject({ provider_id: 'AES', url: receiverUrl, attempts: 3, last_status: 200, last_error: null });

    const mine = received.filter((r) => r.headers['x-spc-register-id'] === registerId);
    expect(mine.map((r) => r.answered)).toEqual([503, 503, 200]);
    for (const r of mine) {
      // Every attempt: the same idempotency key, signed with both secrets during the grace period.
      expect(r.headers['idempotency-key']).toBe(registerId);
      const signed = { timestamp: r.headers['x-spc-timestamp'] as string, signature: r.headers['x-spc-signature'] as string, body: r.body };
      expect(signed.signature.split(',')).toHaveLength(2);
      expect(verifyWebhookSignature({ secret: newSecret, ...signed })).toBe(true);
      expect(verifyWebhookSignature({ secret: oldSecret, ...signed })).toBe(true);
      expect(verifyWebhookSignature({ secret: 'spcwh_not-the-secret', ...signed })).toBe(false);
    }
    const payload = JSON.parse((mine[2] as Received).body) as ProviderRegisterPayload;
    expect(payload).toMatchObject({ event: 'provider.register', registerId, providerId: 'AES', businessDate: date, version: 1 });
    const pulled = (await call('GET', `/v1/provider/registers?date=${date}`, keys.AES)).body.registers[0];
    expect(payload.total).toBe(pulled.total);
    expect(payload.files.map((f) => f.format).sort()).toEqual(['camt054', 'csv']);
    for (const f of payload.files) {
      const name = f.format === 'csv' ? 'register.csv' : 'camt054.xml';
      const res = await fetch(`${server.url}/v1/provider/registers/${encodeURIComponent(registerId)}/${name}`, { headers: { authorization: `Bearer ${keys.AES}` } });
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(Buffer.from(f.contentBase64, 'base64').equals(bytes)).toBe(true);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
    }
    // The provider without a webhook pulls: no push, no delivery row.
    expect(await h.database.db('provider_register_deliveries').where({ register_id: `ALMATY_SU:${date}:v1` }).first()).toBeUndefined();
    const push = await h.client.workflow.getHandle(`provider-register-push:${registerId}`).result();
    expect(push).toMatchObject({ status: 'delivered', attempts: 3 });
    await recordHistory(h.client, 'provider-register-push', 'files-delivered-third-attempt', `provider-register-push:${registerId}`);

    const confirmed = await confirmTransfers(h.ctx, WORLD.bank, date, { transferRef: `TR-${run}` });
    expect(confirmed.ok).toBe(true);
    await waitFor('settled', async () => (await getSettlementState(h.ctx, WORLD.bank, date))?.status === 'settled');
    await h.client.workflow.getHandle(settlement.workflowId).result();
    await recordHistory(h.client, 'settlement', 'registers-built-pushed-settled', settlement.workflowId);
    settledDate = date;
  });

  it('runs the TRANSFER_NOT_RECEIVED check on its daily schedule, and shows the open cases on /ops and in spc', async () => {
    const db = h.database.db;
    // The bank confirmed the day's lines two weeks ago (time passing, written as the owner): the
    // providers have had their working days to report, and reported one transfer short.
    await db('settlement_lines').where({ settlement_id: `${WORLD.bank}:${settledDate}` }).update({ confirmed_at: new Date(Date.now() - 14 * 86_400_000) });
    const line = await db('settlement_lines').where({ settlement_id: `${WORLD.bank}:${settledDate}`, provider_id: 'AES' }).first('amount');
    const short = await call('POST', '/v1/provider/transfers', keys.AES, { transfers: [{ bankCode: WORLD.bank, businessDate: settledDate, amount: '100.00', statementRef: `ST-${run}` }] });
    expect(short.status).toBe(200);

    const idPrefix = `t-${run}-`;
    expect(await ensureTransferCheckSchedule(h.client, { taskQueue: h.taskQueue, idPrefix })).toBe('created');
    expect(await ensureTransferCheckSchedule(h.client, { taskQueue: h.taskQueue, idPrefix })).toBe('unchanged');
    const handle = h.client.schedule.getHandle(`${idPrefix}${TRANSFER_CHECK_SCHEDULE_ID}`);
    try {
      const desc = await handle.describe();
      expect(desc.spec.timezone).toBe('Asia/Almaty');
      expect(desc.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 9, end: 9, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] });
      expect(desc.action).toMatchObject({ type: 'startWorkflow', workflowType: 'transferCheckWorkflow', taskQueue: h.taskQueue });
      await handle.trigger();
      const action = await waitFor('the schedule to start its check', async () => (await handle.describe()).info.recentActions[0]);
      const started = action.action.workflow;
      const result: TransferCheckResult = await h.client.workflow.getHandle(started.workflowId, started.firstExecutionRunId).result();
      await recordHistory(h.client, 'transfer-check', 'cases-raised', started.workflowId);
      const mine = result.raised.filter((c) => c.businessDate === settledDate).map((c) => [c.providerId, c.expected, c.received]).sort();
      expect(mine).toEqual([['AES', expect.any(String), '100.00'], ['ALMATY_SU', expect.any(String), '0.00']].sort());
    } finally {
      await handle.delete();
    }

    const noLinks = { root: null, workflow: () => null, list: () => null };
    const ops = await loadOpsOverview(db, new Date(), noLinks);
    const aesCase = ops.backOffice.transferCases.find((c) => c.providerId === 'AES' && c.businessDate === settledDate);
    expect(aesCase).toMatchObject({ bankCode: WORLD.bank, status: 'open', received: '100.00', expected: expect.any(String), complaintId: `${WORLD.bank}:AES/${settledDate}:TRANSFER_NOT_RECEIVED` });
    expect(aesCase?.expected).toBe(String(line.amount));

    const env = { DATABASE_URL: h.database.url, SPC_OPERATOR: 'aigerim', ...(await asOperator(db, 'aigerim')) };
    const listed = await runSpc(['provider', 'transfers', 'cases', '--provider', 'AES', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ complaintId: aesCase?.complaintId, received: '100.00' })]);
    const refused = await runSpc(['provider', 'webhook', 'set', '--provider', 'AES', '--url', 'https://192.168.1.10/hook'], env);
    expect(refused).toMatchObject({ code: 1, stdout: '', stderr: expect.stringContaining('webhook URL refused (WEBHOOK_URL_PRIVATE_ADDRESS)') });
  });
});
