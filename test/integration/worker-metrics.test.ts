// What a `spc worker` process serves at /metrics after real work: the rows a register posted, a
// rejected payment by code and channel, and the Temporal SDK metrics the dashboard queries; and the
// JSON log lines its activities write, with the workflow id and the business keys an operator searches by.
import { createHash, randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { submitPayment } from '../../client/payments';
import { getRegister, submitRegister } from '../../client/registers';
import { parseRegisterCsv } from '../../domain/register-csv';
import { TEMPORAL_SDK_DASHBOARD_METRICS } from '../../infra/metrics';
import { freePort } from '../../infra/temporal-server';
import { createTestDatabase, testTemporalAddress, uniqueTaskQueue, type TestDatabase } from '../support/env';
import { createAccount, createWorld } from '../support/fixtures';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { loadCalendar, recentBusinessDay, registerCsv, waitFor } from './api-support';

const ROWS = 40;
const BAD_EVERY = 10;
const accounts = ['7300000001', '7300000002'];
let database: TestDatabase;
let worker: WorkerProcess;
let connection: Connection;
let client: Client;
let taskQueue: string;
let metricsUrl: string;
/** The worker's stderr, JSON lines (infra/log.ts); at debug level the SDK logs every activity it runs. */
let logText = '';

beforeAll(async () => {
  database = await createTestDatabase();
  await createWorld(database.db);
  for (const number of accounts) await createAccount(database.db, { number, lines: [{ service: 'WASTE', charged: '1596.00' }] });
  taskQueue = uniqueTaskQueue('metrics');
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = await startWorkerProcess({ databaseUrl: database.url, appDatabaseUrl: database.appUrl, taskQueue, env: { SPC_HEALTH_PORT: String(port), SPC_LOG_LEVEL: 'debug' } });
  worker.child.stderr?.on('data', (chunk: Buffer) => { logText += chunk.toString(); });
  connection = await Connection.connect({ address: testTemporalAddress() });
  client = new Client({ connection, namespace: 'default' });
});

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await database?.drop();
});

async function scrape(): Promise<string> {
  const res = await fetch(metricsUrl);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

describe('the worker\'s /metrics', () => {
  it('counts a register\'s rows by outcome and code, a rejected payment by code and channel, and carries the SDK\'s metrics; its activities log JSON lines with the workflow id and the bank reference', async () => {
    const day = recentBusinessDay(await loadCalendar(database.db), 'registerWorkflow');
    const run = randomBytes(4).toString('hex');
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      ref: `m-${run}-${i + 1}`, account: i % BAD_EVERY === BAD_EVERY - 1 ? '7399999999' : (accounts[i % accounts.length] as string), amount: '150.00',
    }));
    const text = registerCsv(day, rows);
    const parsed = parseRegisterCsv(text);
    if (!parsed.ok) throw new Error(`test file malformed: ${JSON.stringify(parsed.errors)}`);
    const ctx = { db: database.db, client, taskQueue };
    const { register } = await submitRegister(ctx, 'HSBK', createHash('sha256').update(text).digest('hex'), parsed.header, parsed.rows);
    await waitFor('register done', async () => ((await getRegister(database.db, 'HSBK', register.id, { limit: 1 }))?.status === 'done' ? true : undefined), 300_000, 500);

    const rejected = await submitPayment(ctx, { bankCode: 'HSBK', bankRef: `m-${run}-single`, channel: 'kiosk', account: '7399999998', amount: '10.00' });
    expect(rejected).toEqual(expect.objectContaining({ ok: false, code: 'ACCOUNT_NOT_FOUND' }));

    const bad = ROWS / BAD_EVERY;
    const body = await scrape();
    expect(body).toContain(`spc_register_rows_total{code="",outcome="accepted"} ${ROWS - bad}\n`);
    expect(body).toContain(`spc_register_rows_total{code="ACCOUNT_NOT_FOUND",outcome="rejected"} ${bad}\n`);
    expect(body).toMatch(/\nspc_register_batch_duration_seconds_count 1\n/);
    expect(body).toContain('spc_payment_postings_total{channel="kiosk",code="ACCOUNT_NOT_FOUND",outcome="rejected"} 1\n');
    for (const name of TEMPORAL_SDK_DASHBOARD_METRICS) expect({ name, present: new RegExp(`^${name}(_bucket)?\\{`, 'm').test(body) }).toEqual({ name, present: true });

    // The rejected payment's activity lines: its workflow id and bank reference, not the account it named.
    const ref = `m-${run}-single`;
    const lines = await waitFor('the payment activity\'s log lines', async () => {
      const found = logText.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.workflowId === `payment:HSBK:${ref}`);
      return found.length > 0 ? found : undefined;
    }, 30_000, 250);
    expect(lines).toContainEqual(expect.objectContaining({ workflowId: `payment:HSBK:${ref}`, bankCode: 'HSBK', bankRef: ref, activityType: expect.any(String) }));
    expect(logText).not.toContain('7399999998');
  });
});
