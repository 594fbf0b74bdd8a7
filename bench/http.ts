// `npm run bench -- --http`: payments through the bank API, POST /v1/payments over real HTTP from C
// concurrent clients (default 20, keep-alive connections), reporting throughput and p50/p99
// latency. By default it brings its own stack (scratch database, Temporal dev server, a worker and
// the API server on a free port); with baseUrl and apiKey it measures a server that is already
// running (e.g. `spc up`, whose demo accounts are numbered from 1000000001).
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApiKey } from '../api/keys';
import { startApiServer } from '../api/server';
import { seedDemo, seedReferenceData } from '../db/seed';
import { createWorker } from '../worker/worker';
import { installWorkerRuntime } from '../worker/run';
import { benchEnvironment, drive, log } from './env';

export const HTTP_BENCH_CLIENTS_DEFAULT = 20;
export const HTTP_BENCH_PAYMENTS_DEFAULT = 2_000;
export const HTTP_BENCH_ACCOUNTS_DEFAULT = 5_000;
export const HTTP_BENCH_WARMUP_DEFAULT = 200;
/** The demo seed numbers accounts from here (db/seed/demo.ts FIRST_ACCOUNT_NUMBER). */
const FIRST_DEMO_ACCOUNT = 1_000_000_001;
const CHANNELS = ['cash_desk', 'online', 'kiosk'] as const;

export interface HttpBenchOptions {
  payments?: number;
  /** Concurrent HTTP clients, each with one request in flight. */
  concurrency?: number;
  /** Demo accounts to seed (own stack) or to pay into (running server). */
  accounts?: number;
  warmup?: number;
  /** A running server to measure instead of bringing one up; needs apiKey. */
  baseUrl?: string;
  apiKey?: string;
}

export interface HttpBenchResult {
  http_payments_per_s: number;
  p50_ms: number;
  p99_ms: number;
  clients: number;
  payments: number;
  errors: number;
  [key: string]: number;
}

interface Target {
  baseUrl: string;
  apiKey: string;
  accounts: string[];
  /** Counts the payments the bench posted, when it owns the database. */
  countPosted?: (tag: string) => Promise<number>;
  close(): Promise<void>;
}

async function ownStack(accounts: number): Promise<Target> {
  installWorkerRuntime('ERROR');
  const env = await benchEnvironment();
  const native = await NativeConnection.connect({ address: env.temporalAddress });
  const connection = await Connection.connect({ address: env.temporalAddress });
  const client = new Client({ connection });
  const taskQueue = `bench-http-${Date.now().toString(36)}`;
  const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, db: env.db, client });
  const running = worker.run();
  const close = async () => {
    worker.shutdown();
    await running.catch(() => undefined);
    await native.close();
    await connection.close();
    await env.close();
  };
  try {
    await seedReferenceData(env.db);
    await seedDemo(env.db, { accounts, seed: 7 });
    const numbers = (await env.db('personal_accounts').orderBy('number').limit(accounts).pluck('number')) as string[];
    const { key } = await createApiKey(env.db, 'HSBK', 'http bench');
    const server = await startApiServer({ db: env.db, client, taskQueue, host: '127.0.0.1', port: 0, logger: false });
    log(`API server ${server.url}, ${numbers.length} accounts`);
    return {
      baseUrl: server.url,
      apiKey: key,
      accounts: numbers,
      countPosted: async (tag) => Number((await env.db('payments').where('bank_ref', 'like', `${tag}-m-%`).count({ n: '*' }).first())?.n ?? 0),
      close: async () => {
        await server.close();
        await close();
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export async function runHttpBench(opts: HttpBenchOptions = {}): Promise<HttpBenchResult> {
  const payments = opts.payments ?? HTTP_BENCH_PAYMENTS_DEFAULT;
  const clients = opts.concurrency ?? HTTP_BENCH_CLIENTS_DEFAULT;
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
    : await ownStack(accounts);

  const tag = `hb${Date.now().toString(36)}`;
  const errors = new Map<string, number>();
  const pay = (phase: string) => async (i: number) => {
    const res = await fetch(`${target.baseUrl}/v1/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        bankRef: `${tag}-${phase}-${i}`,
        account: target.accounts[i % target.accounts.length],
        channel: CHANNELS[i % CHANNELS.length],
        amount: `${100 + (i % 900)}.${String(i % 100).padStart(2, '0')}`,
      }),
    });
    const text = await res.text();
    if (res.status !== 201) {
      const code = `${res.status} ${(/"code":"([A-Z_]+)"/.exec(text) ?? [])[1] ?? ''}`.trim();
      errors.set(code, (errors.get(code) ?? 0) + 1);
    }
  };

  try {
    if (warmup > 0) {
      log(`warm-up: ${warmup} payments`);
      await drive('warm-up', warmup, clients, pay('w'));
      errors.clear();
    }
    log(`HTTP: ${payments} payments via POST /v1/payments from ${clients} concurrent clients`);
    const r = await drive('http payments', payments, clients, pay('m'));
    const failed = [...errors.values()].reduce((a, b) => a + b, 0);
    log(`HTTP: ${r.perSecond.toFixed(1)}/s, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms${failed ? `, errors ${JSON.stringify(Object.fromEntries(errors))}` : ''}`);
    if (target.countPosted) {
      const posted = await target.countPosted(tag);
      if (posted !== payments - failed) throw new Error(`expected ${payments - failed} posted payments, found ${posted}`);
    }
    const round = (v: number) => Number(v.toFixed(1));
    return { http_payments_per_s: round(r.perSecond), p50_ms: round(r.p50Ms), p99_ms: round(r.p99Ms), clients, payments, errors: failed };
  } finally {
    await target.close();
  }
}

function positiveOr(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${value}`);
  return n;
}

/**
 * The `spc bench --http` entry: string options from the command line. The main bench command's
 * --concurrency default is the engine's (64); here the default is 20 clients unless it was given.
 */
export async function runHttpBenchCli(opts: Record<string, string | undefined>): Promise<HttpBenchResult> {
  const concurrencyGiven = process.argv.some((a) => a === '--concurrency' || a.startsWith('--concurrency='));
  return runHttpBench({
    payments: positiveOr(opts.payments, HTTP_BENCH_PAYMENTS_DEFAULT, '--payments'),
    concurrency: concurrencyGiven ? positiveOr(opts.concurrency, HTTP_BENCH_CLIENTS_DEFAULT, '--concurrency') : HTTP_BENCH_CLIENTS_DEFAULT,
    accounts: positiveOr(opts.accounts, HTTP_BENCH_ACCOUNTS_DEFAULT, '--accounts'),
    warmup: positiveOr(opts.warmup, HTTP_BENCH_WARMUP_DEFAULT, '--warmup'),
    baseUrl: opts.url ?? process.env.SPC_BENCH_URL,
    apiKey: opts.key ?? process.env.SPC_BENCH_KEY,
  });
}
