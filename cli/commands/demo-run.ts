// `spc demo`'s run: what every step shares (the run's data, the report it fills, where it says what
// it did), how it is loaded from the database, and the waiting the steps do on the worker.
import { Money } from '../../domain/money';
import { addDays, toAlmaty } from '../../domain/calendar';
import { isRealDate } from '../../domain/instant';
import { PAID_AT_PAST_DAYS_MAX } from '../../domain/payment-validation';
import type { Db } from '../../db/connection';
import { loadCalendarOverrides } from '../../db/queries/calendar';
import { accountExists, firstAccountsLatestLines } from '../../db/queries/accounts';
import { closedBusinessDates } from '../../db/queries/bank-days';
import { listBankCutoffs } from '../../db/queries/banks';
import { operatorOf } from '../operator-action';
import { CliError, type Runtime } from '../runtime';
import { chooseDemoDate } from './demo-calendar';
import type { Bank, DemoAccount } from './demo-plan';

/** Accounts the demo looks at to find payable ones (the first by number: the same every run). */
const DEMO_ACCOUNT_POOL = 200;
export const DEMO_SUBMIT_CONCURRENCY = 8;
/** A settlement's steps take a few seconds; far longer means the worker is not running. */
const DEMO_WAIT_MS = 180_000;
const DEMO_POLL_MS = 500;

export interface DemoReport {
  simulatedDate: string;
  payments: Array<{ label: string; bankRef: string; bank: string; channel: string; amount: string; outcome: string; businessDate?: string }>;
  cancellation?: { bankRef: string; outcome: string };
  register?: { id: string; rows: number; accepted: number; rejected: number };
  settlements: Array<{ bank: string; date: string; outcome: string; status?: string; net?: string; lines?: number }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function loadAccounts(db: Db): Promise<DemoAccount[]> {
  const rows = await firstAccountsLatestLines(db, DEMO_ACCOUNT_POOL);
  const byNumber = new Map<string, DemoAccount>();
  for (const r of rows) {
    const account = byNumber.get(r.number) ?? { number: r.number, lines: [] };
    account.lines.push({ service: r.service_code, due: new Money(r.amount_due), meterId: r.meter_id, previous: new Money(r.previous ?? '0') });
    byNumber.set(r.number, account);
  }
  // Payable: at least two services with something due, so every payment shape fits.
  return [...byNumber.values()].filter((a) => a.lines.filter((l) => l.due.gt(0)).length >= 2);
}

export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  }));
  return out;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEMO_WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new CliError(`${what} did not happen within ${DEMO_WAIT_MS / 1000} s: is the worker running (spc up)?`);
    await sleep(DEMO_POLL_MS);
  }
}

export type DemoOptions = { date?: string; operator?: string; settle: boolean; confirm: boolean; json?: boolean };
export type SettlementContext = { client: Awaited<ReturnType<Runtime['temporal']>>['client']; taskQueue: string };

/** What every step of the demo shares: the run's data, the report it fills and where it says what it did. */
export interface DemoRun {
  rt: Runtime;
  db: Db;
  ctx: SettlementContext;
  opts: DemoOptions;
  operator: string;
  now: Date;
  today: string;
  date: string;
  runTag: string;
  banks: Bank[];
  accounts: DemoAccount[];
  report: DemoReport;
  /** '<BANK>|<date>' of every bank-day a payment of the demo landed on. */
  touched: Set<string>;
  say(line: string): void;
}

export async function startDemo(rt: Runtime, opts: DemoOptions): Promise<DemoRun> {
  const operator = await operatorOf(rt, 'spc demo', opts.operator);
  const db = await rt.db();
  const t = await rt.temporal();
  const now = new Date();
  const today = toAlmaty(now).date;
  const banks = await listBankCutoffs(db);
  if (banks.length === 0) throw new CliError('no banks in the database: run `spc up` (it seeds them) or `spc seed`');
  const accounts = await loadAccounts(db);
  if (accounts.length === 0) throw new CliError('no payable demo accounts: run `spc seed --accounts 1000` first');
  const closed = await closedBusinessDates(db);
  const date = opts.date ?? chooseDemoDate(now, banks, await loadCalendarOverrides(db), closed);
  // The SPC refuses payments dated more than PAID_AT_PAST_DAYS_MAX days before receipt.
  const earliest = addDays(today, -PAID_AT_PAST_DAYS_MAX);
  if (opts.date && (!isRealDate(opts.date) || opts.date > today || opts.date < earliest)) {
    throw new CliError(`--date must be a date from ${earliest} to today (${today}) as YYYY-MM-DD: the SPC takes no payment dated more than ${PAID_AT_PAST_DAYS_MAX} days back`);
  }
  return {
    rt, db, ctx: { client: t.client, taskQueue: t.taskQueue }, opts, operator, now, today, date, runTag: Date.now().toString(36), banks, accounts,
    report: { simulatedDate: date, payments: [], settlements: [] },
    touched: new Set<string>(),
    say: (line: string) => void (!opts.json && process.stdout.write(`${line}\n`)),
  };
}

/** An account number the SPC does not have: for the unknown-account rejection. */
export async function unknownAccountOf(db: Db): Promise<string> {
  let unknownAccount = '9999999999';
  while (await accountExists(db, unknownAccount)) unknownAccount = String(Number(unknownAccount) - 1);
  return unknownAccount;
}
