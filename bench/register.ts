// `npm run bench:register -- --rows N`: one bank's day register of N rows (about 1 % with an
// unknown account) uploaded through the bank API, until every row is answered. Measures from the
// upload's first byte to the register's `done`, with progress read from the API as a bank would.
import { createHash } from 'node:crypto';
import { createApiKey } from '../db/bank-keys';
import { toAlmaty } from '../domain/calendar';
import { log, round, type BenchEngine } from './env';
import { startBenchStack } from './stack';

export interface RegisterBenchOptions {
  /** The dev server (default) or the real Temporal server on Postgres with mTLS. */
  engine?: BenchEngine;
  rows: number;
  accounts: number;
  /** One row in this many names an account that does not exist. */
  badEvery: number;
}

const PROGRESS_POLL_MS = 250;

/** A register file as a bank's back office writes it. */
export function registerFile(businessDate: string, tag: string, rows: number, accounts: string[], badEvery: number): string {
  let tiyn = 0n;
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const amount = `${100 + (i % 900)}.${String(i % 100).padStart(2, '0')}`;
    tiyn += BigInt(amount.replace('.', ''));
    const account = i % badEvery === badEvery - 1 ? '9999999999' : (accounts[i % accounts.length] as string);
    lines.push(`${tag}-${i + 1};${account};${amount};;;;P${Math.floor(i / 500) + 1}`);
  }
  const total = `${tiyn / 100n}.${String(tiyn % 100n).padStart(2, '0')}`;
  return [`#register;business_date=${businessDate};count=${rows};total=${total}`, 'bank_ref;account;amount;lines;readings;paid_at;pile_no', ...lines, ''].join('\n');
}

export async function runRegisterBench(opts: RegisterBenchOptions): Promise<Record<string, number>> {
  const stack = await startBenchStack({ engine: opts.engine, accounts: opts.accounts, workers: 1, api: true });
  try {
    const api = stack.api;
    if (!api) throw new Error('invariant: the register bench needs its API process');
    const { key } = await createApiKey(stack.env.db, 'HSBK', 'register bench');
    const tag = `rb${Date.now().toString(36)}`;
    const csv = registerFile(toAlmaty(new Date()).date, tag, opts.rows, stack.accounts, opts.badEvery);
    log(`register of ${opts.rows} rows, ${(csv.length / 1e6).toFixed(1)} MB; sha256 ${createHash('sha256').update(csv).digest('hex').slice(0, 16)}`);
    const headers = { authorization: `Bearer ${key}` };
    const cpu = await stack.cpu();
    const started = performance.now();
    const res = await fetch(`${api.baseUrl}/v1/registers`, { method: 'POST', headers: { ...headers, 'content-type': 'text/csv' }, body: csv });
    const uploaded = (await res.json()) as { id?: string; message?: string };
    const uploadS = (performance.now() - started) / 1000;
    if (!res.ok || !uploaded.id) throw new Error(`upload refused: ${res.status} ${JSON.stringify(uploaded)}`);
    log(`uploaded in ${uploadS.toFixed(2)} s as ${uploaded.id}`);
    let view: { status: string; rowsDone: number; rowsAccepted: number; rowsRejected: number; rowCount: number };
    let lastLog = 0;
    for (;;) {
      const r = await fetch(`${api.baseUrl}/v1/registers/${encodeURIComponent(uploaded.id)}?limit=1`, { headers });
      view = (await r.json()) as typeof view;
      if (view.status === 'done') break;
      if (performance.now() - lastLog > 2_000) {
        log(`progress: ${view.rowsDone}/${view.rowCount} rows answered`);
        lastLog = performance.now();
      }
      await new Promise((resolve) => setTimeout(resolve, PROGRESS_POLL_MS));
    }
    const seconds = (performance.now() - started) / 1000;
    const split = await cpu();
    const posted = await stack.env.db('payments').where({ register_id: uploaded.id }).count({ n: '*' }).first();
    if (Number(posted?.n) !== view.rowsAccepted) throw new Error(`register says ${view.rowsAccepted} accepted, Postgres has ${posted?.n} payments`);
    return {
      rows: view.rowCount,
      seconds: round(seconds, 2),
      rows_per_s: round(view.rowCount / seconds, 0),
      accepted: view.rowsAccepted,
      rejected: view.rowsRejected,
      upload_s: round(uploadS, 2),
      ...split,
    };
  } finally {
    await stack.close();
  }
}
