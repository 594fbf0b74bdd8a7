// `npm run bench:print -- --invoices N`: a period's print run through the real stack (Temporal
// workflow, batch activities in an in-process worker, invoices read from Postgres, PDFs written to
// a scratch directory), on N demo invoices seeded into a scratch database. Last line is JSON:
// {"invoices","seconds","invoices_per_s","files","bytes","peak_rss_mb"}. The seeding is not timed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startPrintRun } from '../client/print-runs';
import { seedDemo, seedReferenceData } from '../db/seed';
import { currentPeriod } from '../db/seed/demo';
import { loadConfig } from '../infra/config';
import { installWorkerRuntime } from '../worker/run';
import { createWorker } from '../worker/worker';
import { benchEnvironment, log } from './env';

const MB = 1024 * 1024;
const RSS_SAMPLE_MS = 200;
const INVOICES_PER_FILE = 500;

export interface PrintBenchResult {
  invoices: number;
  seconds: number;
  invoices_per_s: number;
  files: number;
  bytes: number;
  peak_rss_mb: number;
}

export async function runPrintBench(opts: { invoices: number }): Promise<PrintBenchResult> {
  installWorkerRuntime('ERROR');
  const env = await benchEnvironment();
  const printDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-bench-print-'));
  const native = await NativeConnection.connect({ address: env.temporalAddress });
  const connection = await Connection.connect({ address: env.temporalAddress });
  const client = new Client({ connection });
  const taskQueue = `bench-print-${Date.now().toString(36)}`;
  const cfg = loadConfig();
  let running: Promise<void> | undefined;
  const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, db: env.db, client, config: { ...cfg, households: { ...cfg.households, printDir } } });
  try {
    const period = currentPeriod().slice(0, 7);
    log(`seeding ${opts.invoices} demo accounts with an invoice of ${period}`);
    await seedReferenceData(env.db);
    await seedDemo(env.db, { accounts: opts.invoices, period });
    running = worker.run();
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, RSS_SAMPLE_MS);
    const started = performance.now();
    let summary;
    try {
      summary = await (await startPrintRun({ client, taskQueue }, { period, invoicesPerFile: INVOICES_PER_FILE })).result();
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    const dir = path.join(printDir, period);
    const bytes = fs.readdirSync(dir).filter((f) => f.endsWith('.pdf')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    log(`printed ${summary.invoices} invoices in ${summary.files} files, ${summary.totalDue} KZT, in ${seconds.toFixed(1)} s`);
    return {
      invoices: summary.invoices, seconds: Math.round(seconds * 1000) / 1000, invoices_per_s: Math.round((summary.invoices / seconds) * 10) / 10,
      files: summary.files, bytes, peak_rss_mb: Math.round(peakRss / MB),
    };
  } finally {
    worker.shutdown();
    await running?.catch(() => undefined);
    await native.close();
    await connection.close();
    await env.close();
    fs.rmSync(printDir, { recursive: true, force: true });
  }
}
