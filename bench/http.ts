// `npm run bench -- --http`: payments through the bank API (POST /v1/payments) on the SPC's own
// processes (API and worker each in their own process, the load generator here).
//   --rate R --duration S   open loop: R payments a second for S seconds, whatever the answers do,
//                           as cashiers arrive; the figure a cashier sees (p50/p99) at that rate.
//   (no --rate)             closed loop: --concurrency clients, each with one request in flight.
// SPC_BENCH_URL + SPC_BENCH_KEY (or --url/--key) measure a running server instead.
import { createApiKey } from '../db/bank-keys';
import { drive, log, type BenchEngine } from './env';
import { latencySummary, postPayment, startOpenLoop } from './open-loop';
import { startBenchStack } from './stack';
import { benchTargetFromEnv } from '../infra/config';

export const HTTP_BENCH_CLIENTS_DEFAULT = 20;
export const HTTP_BENCH_PAYMENTS_DEFAULT = 2_000;
export const HTTP_BENCH_ACCOUNTS_DEFAULT = 5_000;
export const HTTP_BENCH_WARMUP_DEFAULT = 200;
export const HTTP_BENCH_DURATION_S_DEFAULT = 60;
/** The demo seed numbers accounts from here (db/seed/demo.ts FIRST_ACCOUNT_NUMBER). */
const FIRST_DEMO_ACCOUNT = 1_000_000_001;
const CHANNELS = ['cash_desk', 'online', 'kiosk'] as const;

export interface HttpBenchOptions {
  /** The dev server (default) or the real Temporal server on Postgres with mTLS. */
  engine?: BenchEngine;
  payments?: number;
  /** Concurrent HTTP clients of the closed loop, each with one request in flight. */
  concurrency?: number;
  /** Open loop: payments a second; with it, `payments` and `concurrency` are not used. */
  ratePerS?: number;
  durationS?: number;
  accounts?: number;
  warmup?: number;
  workers?: number;
  /** A running server to measure instead of bringing one up; needs apiKey. */
  baseUrl?: string;
  apiKey?: string;
}

interface Target {
  baseUrl: string;
  apiKey: string;
  accounts: string[];
  /** Counts the payments the bench posted, when it owns the database. */
  countPosted?: (tag: string) => Promise<number>;
  cpu?: () => Promise<() => Promise<Record<string, number>>>;
  close(): Promise<void>;
}

async function ownStack(accounts: number, workers: number, engine?: BenchEngine): Promise<Target> {
  const stack = await startBenchStack({ engine, accounts, workers, api: true });
  try {
    if (!stack.api) throw new Error('invariant: no API process');
    const { key } = await createApiKey(stack.env.db, 'HSBK', 'http bench');
    log(`API process ${stack.api.baseUrl}, ${stack.accounts.length} accounts`);
    return {
      baseUrl: stack.api.baseUrl,
      apiKey: key,
      accounts: stack.accounts,
      countPosted: async (tag) => Number((await stack.env.db('payments').where('bank_ref', 'like', `${tag}-%`).count({ n: '*' }).first())?.n ?? 0),
      cpu: () => stack.cpu(),
      close: () => stack.close(),
    };
  } catch (err) {
    await stack.close();
    throw err;
  }
}

const round = (v: number) => Number(v.toFixed(1));

export async function runHttpBench(opts: HttpBenchOptions = {}): Promise<Record<string, number>> {
  const accounts = opts.accounts ?? HTTP_BENCH_ACCOUNTS_DEFAULT;
  const warmup = opts.warmup ?? HTTP_BENCH_WARMUP_DEFAULT;
  if (opts.baseUrl && !opts.apiKey) throw new Error('benching a running server needs its bank API key (spc bank key create --bank HSBK)');
  const target: Target = opts.baseUrl
    ? {
      baseUrl: opts.baseUrl.replace(/\/$/, ''),
      apiKey: opts.apiKey as string,
      accounts: Array.from({ length: accounts }, (_, i) => String(FIRST_DEMO_ACCOUNT + i)),
      close: async () => undefined,
    }
    : await ownStack(accounts, opts.workers ?? 1, opts.engine);

  const tag = `hb${Date.now().toString(36)}`;
  const body = (phase: string, i: number) => ({
    bankRef: `${tag}-${phase}-${i}`,
    account: target.accounts[i % target.accounts.length],
    channel: CHANNELS[i % CHANNELS.length],
    amount: `${100 + (i % 900)}.${String(i % 100).padStart(2, '0')}`,
  });
  try {
    if (warmup > 0) {
      log(`warm-up: ${warmup} payments`);
      await drive('warm-up', warmup, HTTP_BENCH_CLIENTS_DEFAULT, async (i) => void (await postPayment(target.baseUrl, target.apiKey, body('w', i))));
    }
    const cpu = target.cpu ? await target.cpu() : undefined;
    let result: Record<string, number>;
    let sent: number;
    if (opts.ratePerS) {
      const durationS = opts.durationS ?? HTTP_BENCH_DURATION_S_DEFAULT;
      log(`HTTP open loop: ${opts.ratePerS} payments/s for ${durationS} s`);
      const loop = startOpenLoop(1000 / opts.ratePerS, (i) => postPayment(target.baseUrl, target.apiKey, body('m', i)));
      const progress = setInterval(() => log('open loop running'), 10_000);
      await new Promise((resolve) => setTimeout(resolve, durationS * 1000));
      clearInterval(progress);
      const samples = await loop.stop();
      const s = latencySummary(samples);
      log(`HTTP: ${s.count} payments, p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, answers ${JSON.stringify(s.byStatus)}`);
      sent = s.count;
      result = { rate_per_s: opts.ratePerS, duration_s: durationS, payments: s.count, p50_ms: s.p50Ms, p99_ms: s.p99Ms, errors: s.errors };
      if (target.countPosted && (await target.countPosted(`${tag}-m`)) !== s.count - s.errors) throw new Error('posted payments differ from the 201 answers');
    } else {
      const payments = opts.payments ?? HTTP_BENCH_PAYMENTS_DEFAULT;
      const clients = opts.concurrency ?? HTTP_BENCH_CLIENTS_DEFAULT;
      let errors = 0;
      log(`HTTP closed loop: ${payments} payments from ${clients} concurrent clients`);
      const r = await drive('http payments', payments, clients, async (i) => {
        const answer = await postPayment(target.baseUrl, target.apiKey, body('m', i));
        if (answer.status !== 201) errors++;
      });
      log(`HTTP: ${r.perSecond.toFixed(1)}/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, errors ${errors}`);
      sent = payments;
      result = { http_payments_per_s: round(r.perSecond), p50_ms: round(r.p50Ms), p99_ms: round(r.p99Ms), clients, payments, errors };
      if (target.countPosted && (await target.countPosted(`${tag}-m`)) !== payments - errors) throw new Error('posted payments differ from the 201 answers');
    }
    log(`${sent} requests sent`);
    return { ...result, ...(cpu ? await cpu() : {}) };
  } finally {
    await target.close();
  }
}

function positiveOr(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${value}`);
  return n;
}

/**
 * The `spc bench --http` entry: string options from the command line. The main bench command's
 * --concurrency default is the engine's (64); here the default is 20 clients unless it was given.
 */
export async function runHttpBenchCli(opts: Record<string, string | undefined>): Promise<Record<string, number>> {
  const target = benchTargetFromEnv();
  const concurrencyGiven = process.argv.some((a) => a === '--concurrency' || a.startsWith('--concurrency='));
  return runHttpBench({
    payments: positiveOr(opts.payments, HTTP_BENCH_PAYMENTS_DEFAULT, '--payments'),
    concurrency: concurrencyGiven ? positiveOr(opts.concurrency, HTTP_BENCH_CLIENTS_DEFAULT, '--concurrency') : HTTP_BENCH_CLIENTS_DEFAULT,
    ratePerS: opts.rate === undefined ? undefined : positiveOr(opts.rate, 0, '--rate'),
    durationS: positiveOr(opts.duration, HTTP_BENCH_DURATION_S_DEFAULT, '--duration'),
    accounts: positiveOr(opts.accounts, HTTP_BENCH_ACCOUNTS_DEFAULT, '--accounts'),
    warmup: positiveOr(opts.warmup, HTTP_BENCH_WARMUP_DEFAULT, '--warmup'),
    workers: positiveOr(opts.workers, 1, '--workers'),
    engine: opts.engine === 'server' ? 'server' : 'dev',
    baseUrl: opts.url ?? target.url,
    apiKey: opts.key ?? target.key,
  });
}
