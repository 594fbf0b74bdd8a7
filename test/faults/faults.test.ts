// Faults under load: payments arrive through the bank API (its own process) at a steady rate while
// the worker process is SIGKILLed twice, the Temporal dev server is SIGKILLed and restarted on its
// file, and Postgres is cut off for 30 s (a proxy drops every connection of the SPC's processes).
// Then, as a bank would, every request that got no definite answer is sent again, unchanged.
// Asserted: no answer is a 500; every payment answered 201 is in Postgres exactly once and every
// payment in Postgres was answered 201; no request stays undecided; the ledger audit passes.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApiKey } from '../../db/bank-keys';
import { auditLedger } from '../../audit/ledger';
import { createDb, dropDatabase, ensureDatabase, migrateLatest, withDatabase, type Db } from '../../db/connection';
import { seedDemo, seedReferenceData } from '../../db/seed';
import { loadConfig } from '../../infra/config';
import { findTemporalCli } from '../../infra/temporal-binary';
import { freePort, startDevServer, type RunningDevServer } from '../../infra/temporal-server';
import { startApiProcess, startWorkerProcess, type Endpoints, type SpcProcess } from '../../bench/processes';
import { latencySummary, postPayment, startOpenLoop, type Sample } from '../../bench/open-loop';
import { startPgProxy, type PgProxy } from './pg-proxy';

const ADMIN_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const RATE_PER_S = 8;
const LOAD_MS = 100_000;
/** When each fault strikes, from the start of the load. */
const FAULTS_AT_MS = { workerKill1: 10_000, workerKill2: 28_000, temporalKill: 45_000, postgresCut: 62_000 };
const TEMPORAL_DOWN_MS = 3_000;
const POSTGRES_DOWN_MS = 30_000;
/** Statuses that decide a payment: accepted, or refused for a reason the bank must act on. */
const DECISIVE = new Set([201, 409, 422]);
const RESEND_ROUNDS_MAX = 20;
const RESEND_PAUSE_MS = 3_000;
const ACCOUNTS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (m: string) => process.stderr.write(`[faults] ${m}\n`);

let db: Db;
let dbName: string;
let proxy: PgProxy;
let temporal: RunningDevServer | undefined;
let worker: SpcProcess | undefined;
let api: SpcProcess | undefined;
let tmp: string;

afterAll(async () => {
  await api?.stop().catch(() => undefined);
  await worker?.stop().catch(() => undefined);
  await temporal?.stop().catch(() => undefined);
  await proxy?.close().catch(() => undefined);
  await db?.destroy();
  if (dbName) await dropDatabase(ADMIN_URL, dbName).catch(() => undefined);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

it('loses no payment and answers no 500 while the worker, Temporal and Postgres fail under load', async () => {
  dbName = `spc_f_${randomBytes(5).toString('hex')}`;
  await ensureDatabase(ADMIN_URL, dbName);
  const url = withDatabase(ADMIN_URL, dbName);
  db = createDb(url);
  await migrateLatest(db);
  await seedReferenceData(db);
  await seedDemo(db, { accounts: ACCOUNTS, seed: 11 });
  const accounts = (await db('personal_accounts').orderBy('number').limit(ACCOUNTS).pluck('number')) as string[];
  const { key } = await createApiKey(db, 'HSBK', 'fault test');

  const pgUrl = new URL(ADMIN_URL);
  proxy = await startPgProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);

  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-faults-'));
  const binary = await findTemporalCli(loadConfig(), log);
  const temporalPort = await freePort();
  const startTemporal = () => startDevServer({ binary, dbFile: path.join(tmp, 'temporal.db'), port: temporalPort, uiPort: null, namespace: 'default', log });
  temporal = await startTemporal();
  const endpoints: Endpoints = { databaseUrl: proxied.toString(), temporalAddress: temporal.address, taskQueue: `faults-${randomBytes(3).toString('hex')}` };
  worker = await startWorkerProcess(endpoints);
  const apiPort = await freePort();
  api = await startApiProcess(endpoints, apiPort);
  const baseUrl = `http://127.0.0.1:${apiPort}`;

  const tag = `f${Date.now().toString(36)}`;
  const bodyOf = (i: number) => ({ bankRef: `${tag}-${i}`, account: accounts[i % accounts.length], channel: 'online', amount: `${100 + (i % 50)}.00` });
  const loop = startOpenLoop(1000 / RATE_PER_S, (i) => postPayment(baseUrl, key, bodyOf(i)));
  const started = Date.now();
  const at = (ms: number) => sleep(Math.max(0, started + ms - Date.now()));
  const restartWorker = async () => {
    await worker?.kill();
    log(`worker SIGKILLed at ${Date.now() - started} ms`);
    worker = await startWorkerProcess(endpoints);
  };

  await at(FAULTS_AT_MS.workerKill1);
  await restartWorker();
  await at(FAULTS_AT_MS.workerKill2);
  await restartWorker();
  await at(FAULTS_AT_MS.temporalKill);
  if (temporal.pid) process.kill(temporal.pid, 'SIGKILL');
  log(`Temporal dev server SIGKILLed at ${Date.now() - started} ms`);
  await sleep(TEMPORAL_DOWN_MS);
  temporal = await startTemporal();
  log(`Temporal dev server back at ${Date.now() - started} ms`);
  await at(FAULTS_AT_MS.postgresCut);
  proxy.cut();
  log(`Postgres cut off at ${Date.now() - started} ms`);
  await sleep(POSTGRES_DOWN_MS);
  proxy.restore();
  log(`Postgres back at ${Date.now() - started} ms`);
  await at(LOAD_MS);
  const first = await loop.stop();
  const summary = latencySummary(first);
  log(`${first.length} payments sent: ${JSON.stringify(summary.byStatus)}, p50 ${summary.p50Ms} ms, p99 ${summary.p99Ms} ms`);

  // The bank repeats every request that got no definite answer, unchanged, until it gets one.
  const answers = new Map<number, number>(first.map((s, i) => [i, s.status]));
  const all: Sample[] = [...first];
  for (let round = 0; round < RESEND_ROUNDS_MAX; round++) {
    const open = [...answers.entries()].filter(([, status]) => !DECISIVE.has(status)).map(([i]) => i);
    if (open.length === 0) break;
    log(`resend round ${round + 1}: ${open.length} undecided`);
    await sleep(RESEND_PAUSE_MS);
    for (const i of open) {
      const t0 = performance.now();
      const answer = await postPayment(baseUrl, key, bodyOf(i)).catch((err: Error) => ({ status: 0, code: err.name }));
      all.push({ sentMs: t0, latencyMs: performance.now() - t0, ...answer });
      answers.set(i, answer.status);
    }
  }

  const statuses = all.map((s) => s.status);
  expect(statuses.filter((s) => s >= 500 && s !== 503 && s !== 504)).toEqual([]);
  expect([...answers.values()].filter((s) => !DECISIVE.has(s))).toEqual([]);
  const accepted = [...answers.entries()].filter(([, s]) => s === 201).map(([i]) => `${tag}-${i}`);
  expect(accepted.length).toBe(first.length);
  const rows = await db('payments').where('bank_ref', 'like', `${tag}-%`).select('bank_ref');
  expect(rows.length).toBe(accepted.length);
  expect(new Set(rows.map((r) => r.bank_ref))).toEqual(new Set(accepted));
  const ledger = await db.raw('SELECT count(*)::int AS n FROM ledger_transactions t JOIN payments p ON p.id = t.payment_id WHERE p.bank_ref LIKE ?', [`${tag}-%`]);
  expect(ledger.rows[0].n).toBe(accepted.length);
  const audit = await auditLedger(db);
  expect(audit.breaches).toEqual([]);
  const overall = latencySummary(all);
  log(`figures: ${JSON.stringify({ sent: first.length, first_answers: summary.byStatus, all_answers: overall.byStatus, p50_ms: summary.p50Ms, p99_ms: summary.p99Ms })}`);
});
