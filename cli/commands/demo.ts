// `spc demo`: a simulated business day against the running system (`spc up`), through the same
// client functions the bank API uses. Payments from every bank and channel, three kinds of
// rejection (unknown account, amount mismatch, reading below the previous one), one cancellation,
// one register, then the settlement of every bank-day it touched: started as an operator, the
// register's discrepancy accepted, the bank's confirmation of its transfers simulated. It prints
// each step and, at the end, the audit commands that check the day.
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { submitPayment, cancelPayment, type SubmitOutcome } from '../../client/payments';
import { confirmTransfers, getSettlementState, resolveDiscrepancy, startSettlement, type SettlementState } from '../../client/settlements';
import { submitRegister } from '../../client/registers';
import { parseRegisterCsv } from '../../domain/register-csv';
import { addDays, almatyToUtc, isBusinessDay, toAlmaty, type CalendarOverrides } from '../../domain/calendar';
import { Money, formatAmount } from '../../domain/money';
import { isRealDate } from '../../domain/instant';
import { PAID_AT_PAST_DAYS_MAX } from '../../domain/payment-validation';
import type { Channel, PaymentRequest } from '../../domain/payment-types';
import { recordOperatorAction } from '../../db/operator-audit';
import { operatorOf } from '../operator-action';
import type { Db } from '../../db/connection';
import { loadCalendarOverrides } from '../../db/queries/calendar';
import { accountExists, firstAccountsLatestLines } from '../../db/queries/accounts';
import { closedBusinessDates } from '../../db/queries/bank-days';
import { listBankCutoffs } from '../../db/queries/banks';
import { registerBusinessDates, registerProgress } from '../../db/queries/registers';
import { CliError, type Runtime } from '../runtime';

/** Accounts the demo looks at to find payable ones (the first by number: the same every run). */
const DEMO_ACCOUNT_POOL = 200;
const DEMO_CHANNELS: Channel[] = ['cash_desk', 'online', 'kiosk'];
const DEMO_SUBMIT_CONCURRENCY = 8;
/** A settlement's steps take a few seconds; far longer means the worker is not running. */
const DEMO_WAIT_MS = 180_000;
const DEMO_POLL_MS = 500;
/** Today is simulated only while every bank's cut-off is at least this far away. */
const DEMO_CUTOFF_MARGIN_MS = 30 * 60_000;
/**
 * How far back the demo looks for a business day whose bank-days are all still open; no further
 * than the SPC takes payments dated before their receipt (PAID_AT_PAST_DAYS_MAX).
 */
const DEMO_DATE_SEARCH_DAYS = PAID_AT_PAST_DAYS_MAX;

interface Bank {
  code: string;
  cutoff_local: string;
}

interface DemoLine {
  service: string;
  due: Money;
  meterId: string | null;
  previous: Money;
}

interface DemoAccount {
  number: string;
  lines: DemoLine[];
}

interface PlannedPayment {
  label: string;
  request: PaymentRequest;
  /** What the demo expects: accepted, or the rejection code it provokes. */
  expect: 'accepted' | string;
}

interface DemoReport {
  simulatedDate: string;
  payments: Array<{ label: string; bankRef: string; bank: string; channel: string; amount: string; outcome: string; businessDate?: string }>;
  cancellation?: { bankRef: string; outcome: string };
  register?: { id: string; rows: number; accepted: number; rejected: number };
  settlements: Array<{ bank: string; date: string; outcome: string; status?: string; net?: string; lines?: number }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The day to simulate: today while every bank's cut-off is comfortably ahead, else the latest
 * earlier business day none of whose bank-days is closed yet (a closed day would push the
 * payments to the next open one, which may lie in the future and could not be settled now).
 */
export function chooseDemoDate(now: Date, banks: Bank[], cal: CalendarOverrides, closedDates: ReadonlySet<string>): string {
  const today = toAlmaty(now).date;
  const firstCutoff = Math.min(...banks.map((b) => almatyToUtc(today, b.cutoff_local).getTime()));
  let date = today;
  for (let i = 0; i < DEMO_DATE_SEARCH_DAYS; i++, date = addDays(date, -1)) {
    if (!isBusinessDay(date, cal) || closedDates.has(date)) continue;
    if (date < today || now.getTime() < firstCutoff - DEMO_CUTOFF_MARGIN_MS) return date;
  }
  throw new CliError(`no business day in the last ${DEMO_DATE_SEARCH_DAYS} days has open bank-days left to simulate: give one with --date`);
}

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

function totalDue(a: DemoAccount): Money {
  return a.lines.reduce((t, l) => t.plus(l.due), new Money(0));
}

/** A paidAt on the simulated date: 09:00 plus a step per payment, never past the bank's cut-off or now. */
function paidAtFor(date: string, bank: Bank, index: number, now: Date): string {
  const start = almatyToUtc(date, '09:00').getTime() + index * 60_000;
  const latest = Math.min(almatyToUtc(date, bank.cutoff_local).getTime() - 60_000, now.getTime() - 60_000);
  return new Date(Math.min(start, latest)).toISOString();
}

function planPayments(runTag: string, date: string, banks: Bank[], accounts: DemoAccount[], unknownAccount: string, now: Date): PlannedPayment[] {
  const plan: PlannedPayment[] = [];
  let n = 0;
  const ref = () => `demo-${runTag}-${String(++n).padStart(3, '0')}`;
  const account = (i: number) => accounts[i % accounts.length] as DemoAccount;
  banks.forEach((bank, b) => {
    DEMO_CHANNELS.forEach((channel, c) => {
      const i = b * DEMO_CHANNELS.length + c;
      const a = account(i);
      const base = { bankCode: bank.code, bankRef: ref(), channel, account: a.number, paidAt: paidAtFor(date, bank, i, now) };
      const shape = i % 3;
      if (shape === 0) {
        plan.push({ label: 'the whole invoice', request: { ...base, amount: formatAmount(totalDue(a)) }, expect: 'accepted' });
      } else if (shape === 1) {
        const half = totalDue(a).div(2).toDecimalPlaces(2, Money.ROUND_DOWN);
        plan.push({ label: 'half, split in proportion', request: { ...base, amount: formatAmount(half.gt(0) ? half : new Money('100')) }, expect: 'accepted' });
      } else {
        const lines = a.lines.filter((l) => l.due.gt(0)).slice(0, 2).map((l) => ({ service: l.service, amount: formatAmount(l.due) }));
        const amount = formatAmount(lines.reduce((t, l) => t.plus(l.amount), new Money(0)));
        const metered = a.lines.find((l) => l.meterId !== null);
        const readings = metered ? [{ service: metered.service, value: metered.previous.plus(12).toFixed(3) }] : undefined;
        plan.push({ label: `per service${readings ? ' with a meter reading' : ''}`, request: { ...base, amount, lines, readings }, expect: 'accepted' });
      }
    });
  });
  const bank = banks[0] as Bank;
  const a = account(0);
  const paidAt = paidAtFor(date, bank, 100, now);
  plan.push({ label: 'unknown account', request: { bankCode: bank.code, bankRef: ref(), channel: 'cash_desk', account: unknownAccount, amount: '1000.00', paidAt }, expect: 'ACCOUNT_NOT_FOUND' });
  const [l1, l2] = a.lines.filter((l) => l.due.gt(0));
  if (l1 && l2) {
    plan.push({
      label: 'lines that do not add up',
      request: { bankCode: bank.code, bankRef: ref(), channel: 'online', account: a.number, amount: '1000.00', lines: [{ service: l1.service, amount: '400.00' }, { service: l2.service, amount: '500.00' }], paidAt },
      expect: 'AMOUNT_MISMATCH',
    });
  }
  const withMeter = accounts.flatMap((x) => x.lines.filter((l) => l.meterId !== null && l.previous.gte(1)).map((l) => ({ x, l })))[0];
  if (withMeter) {
    plan.push({
      label: 'meter reading below the previous one',
      request: {
        bankCode: bank.code, bankRef: ref(), channel: 'kiosk', account: withMeter.x.number, amount: '500.00',
        readings: [{ service: withMeter.l.service, value: withMeter.l.previous.minus(1).toFixed(3) }], paidAt,
      },
      expect: 'READING_BELOW_PREVIOUS',
    });
  }
  return plan;
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
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

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEMO_WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new CliError(`${what} did not happen within ${DEMO_WAIT_MS / 1000} s: is the worker running (spc up)?`);
    await sleep(DEMO_POLL_MS);
  }
}

type DemoOptions = { date?: string; operator?: string; settle: boolean; confirm: boolean; json?: boolean };
type SettlementContext = { client: Awaited<ReturnType<Runtime['temporal']>>['client']; taskQueue: string };

/** What every step of the demo shares: the run's data, the report it fills and where it says what it did. */
interface DemoRun {
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

async function startDemo(rt: Runtime, opts: DemoOptions): Promise<DemoRun> {
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
async function unknownAccountOf(db: Db): Promise<string> {
  let unknownAccount = '9999999999';
  while (await accountExists(db, unknownAccount)) unknownAccount = String(Number(unknownAccount) - 1);
  return unknownAccount;
}

/** 1. Payments: every bank and channel, and the three classic rejections. */
async function demoPayments(run: DemoRun): Promise<void> {
  const plan = planPayments(run.runTag, run.date, run.banks, run.accounts, await unknownAccountOf(run.db), run.now);
  const outcomes = await mapLimited(plan, DEMO_SUBMIT_CONCURRENCY, (p) => submitPayment(run.ctx, p.request));
  run.say('Payments:');
  plan.forEach((p, i) => {
    const o = outcomes[i] as SubmitOutcome;
    const outcome = o.ok ? `accepted for ${o.payment.businessDate}` : `rejected ${o.code}`;
    if (o.ok) run.touched.add(`${p.request.bankCode}|${o.payment.businessDate}`);
    const surprise = (o.ok ? 'accepted' : o.code) !== p.expect ? `   (expected ${p.expect})` : '';
    run.report.payments.push({ label: p.label, bankRef: p.request.bankRef, bank: p.request.bankCode, channel: p.request.channel, amount: p.request.amount, outcome: o.ok ? 'accepted' : o.code, businessDate: o.ok ? o.payment.businessDate : undefined });
    run.say(`  ${p.request.bankCode} ${p.request.channel.padEnd(9)} ${p.request.bankRef}  ${p.request.amount.padStart(10)}  ${p.label.padEnd(36)} ${outcome}${surprise}`);
  });
}

/**
 * 2. A cancellation. Only a payment whose bank-day has not reached its cut-off can be cancelled, so
 * this one is paid now: it lands on the bank's current open business day.
 */
async function demoCancellation(run: DemoRun): Promise<void> {
  const cancelBank = (run.banks[1] ?? run.banks[0]) as Bank;
  const cancelAccount = run.accounts[run.accounts.length - 1] as DemoAccount;
  const cancelRef = `demo-${run.runTag}-cancel`;
  const paid = await submitPayment(run.ctx, { bankCode: cancelBank.code, bankRef: cancelRef, channel: 'online', account: cancelAccount.number, amount: '1500.00' });
  if (!paid.ok) {
    run.report.cancellation = { bankRef: cancelRef, outcome: `payment rejected ${paid.code}` };
    run.say(`\nCancellation: the payment to cancel was rejected (${paid.code}: ${paid.message})`);
    return;
  }
  run.touched.add(`${cancelBank.code}|${paid.payment.businessDate}`);
  const cancelled = await cancelPayment(run.ctx, cancelBank.code, cancelRef, 'payer asked to cancel (demo)');
  const outcome = cancelled.ok ? `cancelled, ${cancelled.cancellation.reversedAmount} reversed` : `not cancelled: ${cancelled.code}`;
  run.report.cancellation = { bankRef: cancelRef, outcome };
  run.say(`\nCancellation: ${cancelBank.code} ${cancelRef} 1500.00 paid now for ${paid.payment.businessDate}, then ${outcome}`);
}

/** 3. A register: the paper flow of one bank, three rows. */
async function demoRegister(run: DemoRun): Promise<void> {
  const { db, accounts, date } = run;
  const regBank = run.banks[run.banks.length - 1] as Bank;
  const regRows = [0, 1, 2].map((k) => {
    const a = accounts[(k + 3) % accounts.length] as DemoAccount;
    return { ref: `demo-${run.runTag}-reg-${k + 1}`, account: a.number, amount: formatAmount(totalDue(a)), paidAt: paidAtFor(date, regBank, 200 + k, run.now) };
  });
  const regTotal = formatAmount(regRows.reduce((s, r) => s.plus(r.amount), new Money(0)));
  const csv = [
    `#register;business_date=${date};count=${regRows.length};total=${regTotal}`,
    'bank_ref;account;amount;paid_at;pile_no',
    ...regRows.map((r) => `${r.ref};${r.account};${r.amount};${r.paidAt};PILE-1`),
    '',
  ].join('\n');
  const parsed = parseRegisterCsv(csv);
  if (!parsed.ok) throw new Error(`invariant: the demo register does not parse: ${JSON.stringify(parsed.errors)}`);
  const sha = createHash('sha256').update(csv).digest('hex');
  const { register } = await submitRegister({ db, ...run.ctx }, regBank.code, sha, parsed.header, parsed.rows);
  const done = await waitFor(`register ${register.id}`, async () => {
    const row = await registerProgress(db, register.id);
    return row?.status === 'done' ? row : undefined;
  });
  run.report.register = { id: register.id, rows: regRows.length, accepted: done.rows_accepted, rejected: done.rows_rejected };
  for (const day of await registerBusinessDates(db, register.id)) run.touched.add(`${regBank.code}|${day}`);
  run.say(`\nRegister ${register.id} of ${regBank.code} for ${date}: ${regRows.length} rows, total ${regTotal}: ${done.rows_accepted} accepted, ${done.rows_rejected} rejected`);
}

const settleDone = (s: SettlementState | null) => (s && ['discrepancy', 'delivered', 'overdue', 'settled'].includes(s.status) ? s : undefined);

/** The operator accepts the day's discrepancy; returns the state once the settlement moved on. */
async function acceptDiscrepancy(run: DemoRun, bank: string, day: string): Promise<SettlementState> {
  await resolveDiscrepancy(run.ctx, bank, day, { accept: true }, run.operator);
  await recordOperatorAction(run.db, { operator: run.operator, action: 'settlement.resolve', args: { bank, date: day, decision: { accept: true }, via: 'spc demo' } });
  return waitFor(`settlement of ${bank} ${day} after the decision`, async () => {
    const s = await getSettlementState(run.ctx, bank, day);
    return s && s.status !== 'discrepancy' ? settleDone(s) : undefined;
  });
}

/** Settles one bank-day as an operator would: start, accept a discrepancy, and (simulated) the bank's confirmation. */
async function settleDemoDay(run: DemoRun, bank: string, day: string): Promise<void> {
  const { ctx, operator } = run;
  const started = await startSettlement(ctx, bank, day, { operator });
  await recordOperatorAction(run.db, { operator, action: 'settlement.start', args: { bank, date: day, via: 'spc demo' }, outcome: started.alreadyStarted ? 'already started' : 'ok' });
  let state = await waitFor(`settlement of ${bank} ${day}`, async () => settleDone(await getSettlementState(ctx, bank, day)));
  const notes: string[] = [];
  if (state.status === 'discrepancy') {
    notes.push(`discrepancy (${state.discrepancies.map((d) => `${d.kind} declared ${d.declared ?? '-'} posted ${d.posted ?? '-'}`).join('; ')}) accepted by ${operator}`);
    state = await acceptDiscrepancy(run, bank, day);
  }
  if (run.opts.confirm && (state.status === 'delivered' || state.status === 'overdue')) {
    const confirmed = await confirmTransfers(ctx, bank, day, { transferRef: `DEMO-${bank}-${day.replace(/-/g, '')}-${run.runTag}` });
    if (!confirmed.ok) throw new CliError(`confirming ${bank} ${day} failed: ${confirmed.code}: ${confirmed.message}`);
    notes.push('transfers confirmed by the bank (simulated)');
    state = confirmed.state;
  }
  run.report.settlements.push({ bank, date: day, outcome: started.alreadyStarted ? 'already started' : 'started', status: state.status, net: state.totals.net, lines: state.lines.length });
  run.say(`  ${bank} ${day}: ${state.status}, ${state.counts.accepted} payments, net ${state.totals.net} KZT in ${state.lines.length} line(s)${state.files.length ? `, files ${state.files.map((f) => f.format).join('+')}` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`);
  const link = run.rt.workflowUrl(started.workflowId, started.runId);
  if (link) run.say(`    ${link}`);
}

/** 4. Settle each bank-day touched that has begun (a later one waits for its schedule). */
async function demoSettlements(run: DemoRun): Promise<void> {
  const days = [...run.touched].map((k) => k.split('|') as [string, string]).sort(([a, d1], [b, d2]) => d1.localeCompare(d2) || a.localeCompare(b));
  run.say('\nSettlements:');
  for (const [bank, day] of days) {
    if (!run.opts.settle) {
      run.report.settlements.push({ bank, date: day, outcome: 'left open (--no-settle)' });
      run.say(`  ${bank} ${day}: left open (--no-settle)`);
    } else if (day > run.today) {
      run.report.settlements.push({ bank, date: day, outcome: 'not begun: its schedule settles it after the cut-off' });
      run.say(`  ${bank} ${day}: has not begun (the cancelled payment landed there); its schedule settles it after the cut-off`);
    } else {
      await settleDemoDay(run, bank, day);
    }
  }
}

export function registerDemoCommand(program: Command, rt: Runtime): void {
  program
    .command('demo')
    .description('simulate a business day against the running system: payments from every bank and channel, rejections, a cancellation, a register, then settlement')
    .option('--date <yyyy-mm-dd>', 'business date to simulate (default: today while before the cut-offs, else the latest open business day)')
    .option('--operator <name>', "who settles the day (must be you: your token's operator; spc up makes one, ops); recorded in operator_audit")
    .option('--no-settle', 'leave the bank-days open (their schedules settle them)')
    .option('--no-confirm', 'settle up to the delivered payment lists, without the banks\' confirmations')
    .option('--json', 'print the report as JSON')
    .action(async (opts: DemoOptions) => {
      const run = await startDemo(rt, opts);
      run.say(`Simulating business date ${run.date} (run ${run.runTag}) with ${run.banks.length} banks and ${run.accounts.length} payable accounts.\n`);
      await demoPayments(run);
      await demoCancellation(run);
      await demoRegister(run);
      await demoSettlements(run);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(run.report, null, 2)}\n`);
        return;
      }
      run.say(`\nCheck the day:\n  npx spc audit ledger --date ${run.date}\n  npx spc audit replay --date ${run.date}\n  npx spc workflows list --date ${run.date}`);
    });
}
