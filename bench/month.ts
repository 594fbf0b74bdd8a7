// `npm run bench:month -- --accounts N` (issue 18 scale): the SPC's month through the real stack.
// N demo accounts; a month of payments (one bank register through the bank API); every account × 8
// services as charge lines from their providers (bench/month-upload.ts); then the period close
// (`period:<YYYY-MM>`, as `spc period close` starts it) until the next period's invoices are issued,
// and `spc audit period` over the result. Meanwhile a cashier looks up another account's invoice
// every PROBE_INTERVAL_MS, as a cash desk does: its p99 before the month's work and during it.
// Peak RSS is the worker's and the API's own high-water mark (VmHWM), read before they stop.
// JSON last line: {"accounts", "charge_lines", "upload_s", "close_s", "issue_s", "peak_rss_mb",
// "probe_before_p99_ms", "probe_during_p99_ms", …}.
import fs from 'node:fs';
import os from 'node:os';
import { createApiKey } from '../db/bank-keys';
import { auditPeriod } from '../audit/period';
import { decidePeriodClose } from '../client/period-approval';
import { periodCloseResult, startPeriodClose } from '../client/periods';
import { toAlmaty } from '../domain/calendar';
import { periodDate } from '../domain/period';
import { log, round, sleep, waitUntil, type BenchEngine } from './env';
import { latencySummary, OPEN_LOOP_REQUEST_TIMEOUT_MS, startOpenLoop, type Sample } from './open-loop';
import { uploadMonthCharges } from './month-upload';
import { registerFile } from './register';
import { startBenchStack } from './stack';

export interface MonthBenchOptions {
  engine?: BenchEngine;
  accounts: number;
  /** Payments in the month's register. */
  payments: number;
  /** Seconds of probing before the month's work, at least. */
  beforeS: number;
}

const PROBE_INTERVAL_MS = 500;
/** Step of the close polled this often, to split the close from the issue. */
const STEP_POLL_MS = 200;
/** The register, the uploads and the close each get this long before the bench gives up. */
const PHASE_WAIT_MAX_MS = 60 * 60_000;

/** A process's peak resident set (VmHWM), MiB; 0 when /proc does not say. */
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? round(Number(m[1]) / 1024, 0) : 0;
  } catch {
    return 0;
  }
}

async function lookUpInvoice(baseUrl: string, key: string, account: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${baseUrl}/v1/accounts/${account}/invoice`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(OPEN_LOOP_REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  return { status: res.status, code: res.status === 200 ? undefined : (/"code":"([A-Z_]+)"/.exec(text) ?? [])[1] };
}

export async function runMonthBench(opts: MonthBenchOptions): Promise<Record<string, number>> {
  const stack = await startBenchStack({ engine: opts.engine, accounts: opts.accounts, workers: 1, api: true });
  const { env, client, endpoints, accounts } = stack;
  try {
    const api = stack.api;
    if (!api) throw new Error('invariant: the month bench needs its API process');
    const today = toAlmaty(new Date()).date;
    const period = today.slice(0, 7);
    // The month's payments land on a business day whatever the calendar says.
    await env.db('calendar_days').insert({ day: today, kind: 'workday', name: 'bench' }).onConflict('day').merge();
    await env.db('banks').update({ cutoff_local: '23:59' });

    const { key: bankKey } = await createApiKey(env.db, 'HSBK', 'month bench register');
    const tag = `mb${Date.now().toString(36)}`;
    const registerStarted = performance.now();
    const res = await fetch(`${api.baseUrl}/v1/registers`, {
      method: 'POST', headers: { authorization: `Bearer ${bankKey}`, 'content-type': 'text/csv' }, body: registerFile(today, tag, opts.payments, accounts, Number.MAX_SAFE_INTEGER),
    });
    const body = (await res.json()) as { id?: string };
    if (!res.ok || !body.id) throw new Error(`register refused: ${res.status} ${JSON.stringify(body)}`);
    await waitUntil('the month\'s register', async () => ((await env.db('registers').where({ id: body.id }).first('status'))?.status === 'done' ? true : undefined), Date.now() + PHASE_WAIT_MAX_MS);
    const paid = Number((await env.db('payments').where({ status: 'accepted' }).count({ n: '*' }).first())?.n);
    log(`${paid} payments of the month accepted in ${((performance.now() - registerStarted) / 1000).toFixed(1)} s`);

    // The cashier's account is one of the month's, looked up by another bank than the register's.
    const { key: probeKey } = await createApiKey(env.db, 'CASP', 'month bench cashier probe');
    const probeAccount = accounts[accounts.length - 1] as string;
    const probe = startOpenLoop(PROBE_INTERVAL_MS, () => lookUpInvoice(api.baseUrl, probeKey, probeAccount));
    await sleep(opts.beforeS * 1000);
    const loadBefore = os.loadavg()[0] ?? 0;

    const workStarted = performance.now();
    const cpu = await stack.cpu();
    const upload = await uploadMonthCharges(stack, period);
    log(`${upload.chargeLines} charge lines answered in ${upload.uploadS.toFixed(1)} s; closing ${period}`);

    const closeStarted = performance.now();
    await startPeriodClose({ client, taskQueue: endpoints.taskQueue }, period, 'bench');
    // Four eyes: the close begins once a second person approves it (docs/month.md §4).
    await decidePeriodClose({ client, taskQueue: endpoints.taskQueue }, period, { operator: 'bench-approver', role: 'supervisor', approve: true });
    const issuingAt = await waitUntil('the close to reach the issue', async () => {
      const row = await env.db('period_closes').where({ period: periodDate(period) }).first('step');
      return row && (row.step === 'issuing' || row.step === 'done') ? performance.now() : undefined;
    }, Date.now() + PHASE_WAIT_MAX_MS, STEP_POLL_MS);
    const closed = await periodCloseResult({ client, taskQueue: endpoints.taskQueue }, period);
    const doneAt = performance.now();
    const split = await cpu();
    const samples = await probe.stop();
    const workEnded = doneAt;
    log(`close: ${closed.invoicesIssued} invoices of ${closed.nextPeriod}, ${closed.paymentsCounted} payments counted`);

    const audit = await auditPeriod(env.db, period);
    if (!audit.ok) throw new Error(`spc audit period ${period} failed: ${JSON.stringify(audit.breaches.slice(0, 5))}`);
    const inWindow = (from: number, to: number) => samples.filter((s: Sample) => s.sentMs >= from && s.sentMs < to);
    const before = latencySummary(inWindow(0, workStarted));
    const during = latencySummary(inWindow(workStarted, workEnded));
    // Which phase the slow answers came from: the upload (the API parses and stores) or the close and issue (Postgres and the worker).
    const phases = { upload: latencySummary(inWindow(workStarted, closeStarted)), close: latencySummary(inWindow(closeStarted, issuingAt)), issue: latencySummary(inWindow(issuingAt, workEnded)) };
    log(`probe before: ${JSON.stringify(before)}; during: ${JSON.stringify(during)}; by phase: ${JSON.stringify(phases)}`);
    const workerRss = Math.max(...stack.workers.map((w) => peakRssMb(w.pid)));
    const apiRss = peakRssMb(api.process.pid);
    return {
      accounts: accounts.length,
      charge_lines: upload.chargeLines,
      upload_s: round(upload.uploadS, 2),
      close_s: round((issuingAt - closeStarted) / 1000, 2),
      issue_s: round((doneAt - issuingAt) / 1000, 2),
      peak_rss_mb: Math.max(workerRss, apiRss),
      probe_before_p99_ms: round(before.p99Ms, 1),
      probe_during_p99_ms: round(during.p99Ms, 1),
      charge_lines_per_s: round(upload.chargeLines / upload.uploadS, 0),
      invoices: closed.invoicesIssued,
      payments: paid,
      worker_peak_rss_mb: workerRss,
      api_peak_rss_mb: apiRss,
      probe_upload_p99_ms: round(phases.upload.p99Ms, 1),
      probe_close_p99_ms: round(phases.close.p99Ms, 1),
      probe_issue_p99_ms: round(phases.issue.p99Ms, 1),
      probe_errors: before.errors + during.errors,
      load_1m_before: round(loadBefore, 2),
      load_1m_after: round(os.loadavg()[0] ?? 0, 2),
      ...split,
    };
  } finally {
    await stack.close();
  }
}
