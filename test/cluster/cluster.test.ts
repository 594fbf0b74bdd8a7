// The production topology on one machine: the real Temporal server (4 history shards on Postgres,
// mTLS on the frontend, between services and for its system worker), two `spc worker` processes,
// `spc api` as a third and `spc keeper`, all connecting through the one connection factory. A bank's
// day goes through HTTP (payments, a register), one worker is SIGKILLed in the middle of it, the day
// is settled and its list downloaded, and the auditors' tools (`spc audit replay`, `spc audit
// ledger`) pass after. Each process answers /readyz and /metrics and stops cleanly on SIGTERM.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createApiKey } from '../../db/bank-keys';
import { createDb, dropDatabase, ensureDatabase, migrateLatest, withDatabase, type Db } from '../../db/connection';
import { parseSettlementCsv } from '../../domain/settlement-csv';
import { loadConfig } from '../../infra/config';
import { checkPostgres, startTemporaryPostgres, type RunningPostgres } from '../../infra/postgres';
import { DEFAULT_TEST_POSTGRES_URL } from '../support/global-setup';
import { ensureClusterCertificates, startThrowawayCluster, type RunningCluster } from '../../infra/temporal-cluster';
import { connectNativeTemporal, connectTemporal } from '../../infra/temporal-connection';
import { freePort } from '../../infra/temporal-server';
import { ACCOUNTS, createApiAccounts, loadCalendar, recentBusinessDay, registerCsv } from '../integration/api-support';
import { waitFor } from '../support/wait';
import { asOperator } from '../support/operators';
import { logTail, runSpc, startSpc, stopSpc, waitReady, type SpcProcess } from './spc-process';

/** The local Postgres of this machine (trust auth) or TEST_DATABASE_URL; without one, an embedded Postgres. */
const POSTGRES_URL = process.env.TEST_DATABASE_URL || DEFAULT_TEST_POSTGRES_URL;
const POSTGRES_PROBE_TIMEOUT_MS = 2_000;
const PAYMENTS = 24;
/** Payments in flight at once, like a few bank systems calling together. */
const PAYMENT_CONCURRENCY = 4;
/** Worker A is killed once this many payments have been answered. */
const KILL_AFTER_PAYMENTS = 8;
/** A payment answered 503/504 (or not at all) is repeated with the same bankRef, at most this often. */
const PAYMENT_ATTEMPTS_MAX = 8;
const SHUTDOWN_GRACE_MS = 20_000;

const log = (m: string) => process.stderr.write(`[cluster test] ${m}\n`);

const run = randomBytes(4).toString('hex');
const cfg = loadConfig();
const stateDir = path.join(cfg.dataDir, 'test-cluster', run);
const appDbName = `spc_c_${run}`;
let ADMIN_DB_URL = POSTGRES_URL;
let embeddedPostgres: RunningPostgres | undefined;
let cluster: RunningCluster | undefined;
let db: Db | undefined;
let env: NodeJS.ProcessEnv;
let apiUrl: string;
const healthUrls: Record<string, string> = {};
let apiKey: string;
const processes: SpcProcess[] = [];
const startedAt = Date.now();

async function http(method: string, url: string, json?: unknown): Promise<{ status: number; body: any; text: string }> {  // eslint-disable-line @typescript-eslint/no-explicit-any
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
  let body: string | undefined;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (method === 'POST') {
    headers['content-type'] = 'text/csv';
  }
  const res = await fetch(`${apiUrl}${url}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, text, body: (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  try {
    await checkPostgres(POSTGRES_URL, POSTGRES_PROBE_TIMEOUT_MS);
  } catch (err) {
    log(`no Postgres at ${POSTGRES_URL} (${(err as Error).message}); starting an embedded one`);
    const pg = await startTemporaryPostgres(await freePort(), log);
    embeddedPostgres = pg;
    ADMIN_DB_URL = pg.adminUrl;
  }
  fs.mkdirSync(stateDir, { recursive: true });
  cluster = await startThrowawayCluster({ postgresUrl: ADMIN_DB_URL, dataDir: stateDir, log });
  log(`cluster up after ${Math.round((Date.now() - startedAt) / 1000)} s`);

  await ensureDatabase(ADMIN_DB_URL, appDbName);
  const databaseUrl = withDatabase(ADMIN_DB_URL, appDbName);
  db = createDb(databaseUrl);
  await migrateLatest(db);
  await createApiAccounts({ database: { db } } as Parameters<typeof createApiAccounts>[0]);
  apiKey = (await createApiKey(db, 'HSBK', 'cluster test')).key;
  const operatorEnv = await asOperator(db, 'cluster-test');

  const [apiPort, healthA, healthB, healthKeeper] = [await freePort(), await freePort(), await freePort(), await freePort()];
  apiUrl = `http://127.0.0.1:${apiPort}`;
  env = {
    ...process.env,
    ...cluster.env,
    DATABASE_URL: databaseUrl,
    // The cluster test's processes connect as the owner of its scratch database: a development run.
    SPC_DEV: '1',
    SPC_TASK_QUEUE: `spc-cluster-${run}`,
    // Its own data directory: no runtime file of a `spc up` elsewhere in this tree is read.
    SPC_DATA_DIR: stateDir,
    SPC_SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
    SPC_OPERATOR: 'cluster-test',
    ...operatorEnv,
  };
  const workerA = startSpc('worker-a', ['worker', '--health-port', String(healthA)], env, stateDir);
  const workerB = startSpc('worker-b', ['worker', '--health-port', String(healthB)], env, stateDir);
  const api = startSpc('api', ['api'], { ...env, PORT: String(apiPort) }, stateDir);
  Object.assign(healthUrls, { workerB: `http://127.0.0.1:${healthB}`, keeper: `http://127.0.0.1:${healthKeeper}` });
  const keeper = startSpc('keeper', ['keeper', '--health-port', String(healthKeeper)], env, stateDir);
  processes.push(workerA, workerB, api, keeper);
  await Promise.all([
    waitReady(workerA, `http://127.0.0.1:${healthA}`),
    waitReady(workerB, `http://127.0.0.1:${healthB}`),
    waitReady(api, apiUrl),
    // Ready only once every bank's schedule is in step with its cut-off.
    waitReady(keeper, `http://127.0.0.1:${healthKeeper}`),
  ]);
  log(`two workers, the API and the schedule keeper ready after ${Math.round((Date.now() - startedAt) / 1000)} s`);
});

afterAll(async () => {
  const ends = await Promise.all(processes.map((p) => stopSpc(p, SHUTDOWN_GRACE_MS + 10_000)));
  log(`processes ended: ${processes.map((p, i) => `${p.name}=${ends[i]}`).join(', ')}`);
  // Stops the server and drops its databases.
  await cluster?.stop();
  await db?.destroy();
  await dropDatabase(ADMIN_DB_URL, appDbName).catch((err: Error) => log(`dropping ${appDbName}: ${err.message}`));
  await embeddedPostgres?.stop();
  fs.rmSync(stateDir, { recursive: true, force: true });
  log(`done after ${Math.round((Date.now() - startedAt) / 1000)} s`);
});

it('connects client and worker through one factory with mTLS, and refuses calls without a client certificate or with another CA\'s', async () => {
  const c = cluster as RunningCluster;
  const target = { ...loadConfig(env).temporal };
  expect(target.address).toBe(c.address);

  const client = await connectTemporal({ ...target, address: c.address });
  const info = await client.connection.workflowService.getSystemInfo({});
  expect(info.serverVersion).toMatch(/^1\.29\./);
  await client.connection.close();
  const native = await connectNativeTemporal({ ...target, address: c.address });
  await native.close();

  const caOnly = { serverRootCACertPath: c.certs.caFile, serverNameOverride: 'localhost' };
  await expect(connectTemporal({ ...target, address: c.address, tls: caOnly })).rejects.toThrow(/cannot reach Temporal/);
  const other = await ensureClusterCertificates(path.join(stateDir, 'other-ca'), 'Another');
  await expect(connectTemporal({ ...target, address: c.address, tls: { ...caOnly, clientCertPath: other.certFile, clientKeyPath: other.keyFile } })).rejects.toThrow(/cannot reach Temporal/);
});

it('runs a bank\'s day on two worker processes, one of them SIGKILLed midway, and loses nothing', async () => {
  const [workerA, workerB, api, keeper] = processes as [SpcProcess, SpcProcess, SpcProcess, SpcProcess];
  const day = recentBusinessDay(await loadCalendar(db as Db), parseInt(run.slice(0, 2), 16));
  const at = (i: number) => `${day}T${String(9 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00+05:00`;
  const payments = Array.from({ length: PAYMENTS }, (_, i) => ({
    bankRef: `cl-${run}-${i}`,
    account: ACCOUNTS.simple[i % ACCOUNTS.simple.length] as string,
    channel: 'online',
    amount: `${100 + i}.00`,
    paidAt: at(i),
  }));

  // Payments through HTTP, a few at a time; a 503/504 or a dropped answer is repeated with the same
  // bankRef (the API's documented contract), which must give the first answer, never a second payment.
  let answered = 0;
  let killed = false;
  let repeats = 0;
  const pay = async (p: (typeof payments)[number]) => {
    for (let attempt = 1; ; attempt++) {
      const res = await http('POST', '/v1/payments', p).catch((err: Error) => ({ status: 0, body: { message: err.message }, text: '' }));
      if (res.status === 201 || res.status === 200) {
        expect(res.body).toEqual(expect.objectContaining({ bankRef: p.bankRef, status: 'accepted', businessDate: day }));
        break;
      }
      if (![0, 503, 504].includes(res.status) || attempt >= PAYMENT_ATTEMPTS_MAX) throw new Error(`payment ${p.bankRef}: ${res.status} ${JSON.stringify(res.body)}`);
      repeats++;
    }
    answered++;
    if (answered >= KILL_AFTER_PAYMENTS && !killed) {
      killed = true;
      workerA.child.kill('SIGKILL');
      log(`SIGKILLed worker A (pid ${workerA.child.pid}) after ${answered} payments`);
    }
  };
  const queue = [...payments];
  await Promise.all(Array.from({ length: PAYMENT_CONCURRENCY }, async () => {
    for (let p = queue.shift(); p; p = queue.shift()) await pay(p);
  }));
  expect(await workerA.exited).toBe('SIGKILL');
  log(`${PAYMENTS} payments accepted (${repeats} repeated after 503/504) after ${Math.round((Date.now() - startedAt) / 1000)} s`);

  // The register of the day lists every payment of it: those made online (linked, not posted twice)
  // and three from a branch's pile that only the register brings.
  const registerRows = [
    ...payments.map((p) => ({ ref: p.bankRef, account: p.account, amount: p.amount, paidAt: p.paidAt })),
    ...[0, 1, 2].map((i) => ({ ref: `cl-${run}-reg-${i}`, account: ACCOUNTS.simple[i] as string, amount: '50.00', paidAt: at(PAYMENTS + i), pile: 'P1' })),
  ];
  const csvBody = registerCsv(day, registerRows);
  const upload = await fetch(`${apiUrl}/v1/registers`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'text/csv' }, body: csvBody });
  const uploaded = (await upload.json()) as { id: string };
  expect(upload.status).toBe(202);
  const register = await waitFor('register done', async () => {
    const r = await http('GET', `/v1/registers/${uploaded.id}`);
    return r.body?.status === 'done' ? r.body : undefined;
  });
  expect([register.rowsAccepted, register.rowsRejected]).toEqual([PAYMENTS + 3, 0]);

  // Nothing lost: every payment is in Postgres once, accepted, and the API answers for each.
  const rows: Array<{ bank_ref: string; status: string }> = await (db as Db)('payments').where({ bank_code: 'HSBK', business_date: day }).whereLike('bank_ref', `cl-${run}-%`).select('bank_ref', 'status');
  expect(rows.map((r) => r.bank_ref).sort()).toEqual([...payments.map((p) => p.bankRef), ...registerRows.slice(PAYMENTS).map((r) => r.ref)].sort());
  expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['accepted']));

  // The SPC settles the day on the surviving worker (a CLI process, as an operator or the schedule would).
  const settle = await runSpc(['settle', '--bank', 'HSBK', '--date', day, '--operator', 'cluster-test'], env);
  expect([settle.code, settle.stderr.slice(-2_000)]).toEqual([0, expect.any(String)]);
  const id = `HSBK:${day}`;
  const expectedTotal = payments.reduce((t, p) => t + Number(p.amount) * 100, 0) + 3 * 5_000;
  const delivered = await waitFor('settlement delivered', async () => {
    const r = await http('GET', `/v1/settlements/${encodeURIComponent(id)}`);
    return r.status === 200 && r.body.status === 'delivered' ? r.body : undefined;
  });
  expect(delivered).toEqual(expect.objectContaining({ paymentCount: PAYMENTS + 3, netTotal: (expectedTotal / 100).toFixed(2), discrepancies: [] }));
  const list = await http('GET', `/v1/settlements/${encodeURIComponent(id)}/list.csv`);
  expect(list.status).toBe(200);
  const parsed = parseSettlementCsv(list.text);
  expect(parsed.lines.length).toBe(delivered.lines.length);

  // The auditors' tools pass on what the cluster recorded: every history replays, the ledger balances.
  const replay = await runSpc(['audit', 'replay', '--bank', 'HSBK', '--from', day, '--to', day, '--json'], env);
  expect([replay.code, replay.stderr.slice(-2_000)]).toEqual([0, expect.any(String)]);
  const summary = JSON.parse(replay.stdout) as { total: number; ok: number; nondeterministic: number; failed: number };
  expect(summary).toEqual(expect.objectContaining({ ok: summary.total, nondeterministic: 0, failed: 0 }));
  // Every payment's workflow, the register's (which posts its own rows, the three pile rows too) and
  // the settlement's (visibility may list a late one on the next call).
  expect(summary.total).toBeGreaterThanOrEqual(PAYMENTS + 1 + 1);
  const ledger = await runSpc(['audit', 'ledger', '--bank', 'HSBK', '--date', day], env);
  expect([ledger.code, ledger.stderr.slice(-2_000)]).toEqual([0, expect.any(String)]);

  // The keeper made one schedule per bank (a CLI process reads them back).
  const schedules = await runSpc(['schedule', 'list', '--json'], env);
  expect(schedules.code).toBe(0);
  expect((JSON.parse(schedules.stdout) as Array<{ bankCode: string; exists: boolean }>).find((s) => s.bankCode === 'HSBK')).toEqual(expect.objectContaining({ exists: true }));

  // Each process answers /metrics: the API counts the payments, the worker adds the Temporal SDK's own
  // metrics, the keeper counts its schedule syncs.
  const metricsOf = async (base: string) => (await fetch(`${base}/metrics`)).text();
  const apiMetrics = await metricsOf(apiUrl);
  const accepted = /^spc_payments_total\{channel="online",code="",outcome="accepted"\} (\d+)$/m.exec(apiMetrics);
  expect(Number(accepted?.[1])).toBeGreaterThanOrEqual(PAYMENTS);
  expect(apiMetrics).toMatch(/^spc_http_requests_total\{method="POST",route="\/v1\/payments",status="201"\} \d+$/m);
  expect(await metricsOf(healthUrls.workerB as string)).toMatch(/^temporal_\w+(\{.*\})? \d/m);
  expect(await metricsOf(healthUrls.keeper as string)).toMatch(/^spc_schedule_syncs_total\{outcome="ok"\} \d+$/m);

  // The surviving worker, the API and the keeper are still up, and stop gracefully on SIGTERM within the bound.
  const survivors = [workerB, api, keeper];
  for (const p of survivors) expect(p.child.exitCode).toBeNull();
  const stopped = await Promise.all(survivors.map((p) => stopSpc(p, SHUTDOWN_GRACE_MS + 10_000)));
  expect([stopped, logTail(workerB, 500)]).toEqual([[0, 0, 0], expect.any(String)]);
});
