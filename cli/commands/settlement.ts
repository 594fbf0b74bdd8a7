// Settlement commands: settle, settlement show/file/resolve/confirm/unsettled. Operator actions name
// their operator (--operator or SPC_OPERATOR) and are recorded in the operator audit trail. The
// schedules are in schedule.ts, the settlement benchmark in bench.ts.
import fs from 'node:fs';
import type { Command } from 'commander';
import { confirmTransfers, getSettlementState, resolveDiscrepancy, startSettlement, type SettlementState, type TransferConfirmation } from '../../client/settlements';
import { settlementWorkflowId } from '../../domain/payment-types';
import { isBankCode, settlementIdOf } from '../../domain/identifiers';
import { isRealDate } from '../../domain/instant';
import { toAlmaty } from '../../domain/calendar';
import { findUnsettledBankDays } from '../../db/queries/unsettled';
import { findSettlementRecord, settlementFile, settlementFileSummaries, settlementWebhookDelivery, type SettlementFileFormat } from '../../db/queries/settlements';
import { audited, operatorOf } from '../operator-action';
import { CliError, Runtime } from '../runtime';
import { printSettlementSummary } from '../settlement-summary';

/** How long `spc settle --wait` waits for the settlement to get past its close. */
const SETTLE_WAIT_MS = 10 * 60_000;
const SETTLE_POLL_MS = 500;
/** States in which `spc settle --wait` stops waiting: the list is out, or an operator is needed. */
const SETTLE_WAIT_UNTIL = ['discrepancy', 'delivered', 'overdue', 'settled'];

const collect = (value: string, previous: string[] = []) => [...previous, value];

function bankDay(bank: string, date: string): { bank: string; date: string } {
  if (!isBankCode(bank)) throw new CliError(`bank must be a 4-letter code such as HSBK, got ${JSON.stringify(bank)}`);
  if (!isRealDate(date)) throw new CliError(`date must be a real date as YYYY-MM-DD, got ${JSON.stringify(date)}`);
  return { bank, date };
}

async function ctxOf(rt: Runtime) {
  const t = await rt.temporal();
  return { client: t.client, taskQueue: t.taskQueue };
}

type SettlementContext = Awaited<ReturnType<typeof ctxOf>>;

/** Polls until the settlement is past its close (or needs a decision); a CliError after SETTLE_WAIT_MS. */
async function waitPastClose(ctx: SettlementContext, bank: string, date: string, workflowId: string): Promise<SettlementState> {
  const deadline = Date.now() + SETTLE_WAIT_MS;
  for (;;) {
    const state = await getSettlementState(ctx, bank, date);
    if (state && SETTLE_WAIT_UNTIL.includes(state.status)) return state;
    if (Date.now() > deadline) throw new CliError(`settlement ${workflowId} is still ${state?.status ?? 'starting'}; look again with spc settlement show ${bank} ${date}`);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
}

function registerSettle(program: Command, rt: Runtime): void {
  program
    .command('settle')
    .description('close a bank-day and settle it now (what the bank\'s schedule does at its cut-off); starting it twice is harmless')
    .requiredOption('--bank <code>', 'bank code, e.g. HSBK')
    .requiredOption('--date <YYYY-MM-DD>', 'business date to settle')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .option('--wait', 'wait until the list is out (or a decision is needed) and show the settlement')
    .option('--json', 'print JSON')
    .action(async (opts: { bank: string; date: string; operator?: string; wait?: boolean; json?: boolean }) => {
      const { bank, date } = bankDay(opts.bank, opts.date);
      const operator = await operatorOf(rt, 'settle', opts.operator);
      const ctx = await ctxOf(rt);
      const started = await audited(rt, operator, 'settle', { bank, date }, () => startSettlement(ctx, bank, date, { operator }), (r) => (r.alreadyStarted ? 'already_started' : 'started'));
      const state = opts.wait ? await waitPastClose(ctx, bank, date, started.workflowId) : null;
      const link = rt.workflowUrl(started.workflowId, started.runId);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...started, state, temporalUi: link }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${started.alreadyStarted ? 'already started' : 'started'} ${started.workflowId} (run ${started.runId})\n`);
      if (state) printSettlementSummary(state, link);
      else process.stdout.write(`  follow it with: spc settlement show ${bank} ${date}${link ? `\n  ${link}` : ''}\n`);
    });
}

function registerShow(settlement: Command, rt: Runtime): void {
  settlement
    .command('show <bank> <date>')
    .description('state, timeline, totals, discrepancies, lines, files and webhook of a settlement, with its Temporal UI link')
    .option('--json', 'print JSON')
    .action(async (bankArg: string, dateArg: string, opts: { json?: boolean }) => {
      const { bank, date } = bankDay(bankArg, dateArg);
      const ctx = await ctxOf(rt);
      const db = await rt.db();
      const state = await getSettlementState(ctx, bank, date);
      const id = settlementIdOf(bank, date);
      const row = await findSettlementRecord(db, id);
      if (!state && !row) throw new CliError(`no settlement of ${bank} for ${date}: start it with spc settle --bank ${bank} --date ${date}`);
      const files = await settlementFileSummaries(db, id);
      const webhook = await settlementWebhookDelivery(db, id);
      const link = rt.workflowUrl(settlementWorkflowId(bank, date));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ state, record: row ?? null, files, webhook: webhook ?? null, temporalUi: link ?? null }, null, 2)}\n`);
        return;
      }
      if (state) printSettlementSummary(state, link);
      else if (row) process.stdout.write(`${id}  ${row.status}  (no workflow found; from the database)\n  net ${row.net_total} KZT\n`);
      if (row?.alert) process.stdout.write(`  ALERT    ${row.alert}\n`);
      if (webhook) {
        process.stdout.write(`  webhook  ${webhook.url}: ${webhook.attempts} attempt(s), ${webhook.delivered_at ? `delivered ${new Date(webhook.delivered_at).toISOString()}` : `last ${webhook.last_status ?? ''} ${webhook.last_error ?? ''}`}\n`);
      }
      if (files.length) process.stdout.write(`  get a file: spc settlement file ${bank} ${date} --format pain001 --out list.xml\n`);
    });
}

function registerFile(settlement: Command, rt: Runtime): void {
  settlement
    .command('file <bank> <date>')
    .description('write a settlement\'s stored payment list (pain.001 XML or CSV), byte for byte')
    .option('--format <format>', 'pain001 or csv', 'pain001')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (bankArg: string, dateArg: string, opts: { format: string; out?: string }) => {
      const { bank, date } = bankDay(bankArg, dateArg);
      if (!['pain001', 'csv'].includes(opts.format)) throw new CliError('--format must be pain001 or csv');
      const db = await rt.db();
      const file = await settlementFile(db, settlementIdOf(bank, date), opts.format as SettlementFileFormat);
      if (!file) throw new CliError(`settlement ${bank}:${date} has no ${opts.format} file (yet): see spc settlement show ${bank} ${date}`);
      if (opts.out) {
        fs.writeFileSync(opts.out, file.content);
        process.stderr.write(`wrote ${opts.out} (${(file.content as Buffer).length} bytes, sha256 ${file.sha256})\n`);
      } else {
        process.stdout.write(file.content);
      }
    });
}

function registerResolve(settlement: Command, rt: Runtime): void {
  settlement
    .command('resolve <bank> <date>')
    .description('decide a discrepancy: accept the day as posted, or exclude named payments (reversed in the ledger)')
    .option('--accept', 'accept the day as posted')
    .option('--exclude <refs...>', 'bank references of payments to leave out of the day')
    .option('--operator <name>', 'who decides (or SPC_OPERATOR)')
    .action(async (bankArg: string, dateArg: string, opts: { accept?: boolean; exclude?: string[]; operator?: string }) => {
      const { bank, date } = bankDay(bankArg, dateArg);
      if (Boolean(opts.accept) === Boolean(opts.exclude?.length)) throw new CliError('give exactly one of --accept or --exclude <refs...>');
      const operator = await operatorOf(rt, 'settlement resolve', opts.operator);
      const decision = opts.accept ? ({ accept: true } as const) : { excludeRefs: opts.exclude as string[] };
      const ctx = await ctxOf(rt);
      const state = await audited(rt, operator, 'settlement resolve', { bank, date, decision }, () => resolveDiscrepancy(ctx, bank, date, decision, operator));
      process.stdout.write(`decided: ${state.resolution?.decision}${state.resolution?.excludedRefs.length ? ` (excluded ${state.resolution.excludedRefs.join(', ')})` : ''}; the settlement continues\n`);
    });
}

/** --transfer-ref REF (every line) or --line N=REF (repeated) as a confirmation. */
function confirmationOf(opts: { transferRef?: string; line?: string[] }): TransferConfirmation {
  if (!opts.line?.length) return { transferRef: opts.transferRef };
  if (opts.transferRef) throw new CliError('give either --transfer-ref (all lines) or --line N=REF, not both');
  return {
    lines: opts.line.map((l) => {
      const m = /^(\d+)=(.+)$/.exec(l);
      if (!m) throw new CliError(`--line must look like 1=TRANSFER-REF, got ${JSON.stringify(l)}`);
      return { lineNo: Number(m[1]), transferRef: m[2] as string };
    }),
  };
}

function registerConfirm(settlement: Command, rt: Runtime): void {
  settlement
    .command('confirm <bank> <date>')
    .description('record the bank\'s confirmation of its transfers: every line, or the lines given with --line')
    .option('--transfer-ref <ref>', 'the bank\'s transfer reference (for every line)')
    .option('--line <N=REF>', 'confirm line N with transfer reference REF (repeat)', collect)
    .option('--operator <name>', 'who records it (or SPC_OPERATOR)')
    .action(async (bankArg: string, dateArg: string, opts: { transferRef?: string; line?: string[]; operator?: string }) => {
      const { bank, date } = bankDay(bankArg, dateArg);
      const operator = await operatorOf(rt, 'settlement confirm', opts.operator);
      const confirmation = confirmationOf(opts);
      const ctx = await ctxOf(rt);
      const outcome = await audited(rt, operator, 'settlement confirm', { bank, date, confirmation }, () => confirmTransfers(ctx, bank, date, confirmation), (r) => (r.ok ? 'ok' : `refused: ${r.code}`));
      if (!outcome.ok) throw new CliError(`${outcome.code}: ${outcome.message}`);
      const s = outcome.state;
      process.stdout.write(`${s.workflowId}: ${s.counts.confirmedLines}/${s.counts.lines} line(s) confirmed, status ${s.status}\n`);
    });
}

function registerUnsettled(settlement: Command, rt: Runtime): void {
  settlement
    .command('unsettled')
    .description('past bank-days holding accepted payments that no settlement lists (money posted but never listed); exit 1 when there are any')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const days = await findUnsettledBankDays(await rt.db(), toAlmaty(new Date()).date);
      if (opts.json) process.stdout.write(`${JSON.stringify(days, null, 2)}\n`);
      else if (days.length === 0) process.stdout.write('every past bank-day with accepted payments has its settlement\n');
      else {
        for (const d of days) {
          process.stdout.write(`${d.businessDate}  ${d.bankCode}  ${d.acceptedCount} payment(s)  ${d.acceptedTotal} KZT  -> spc settle --bank ${d.bankCode} --date ${d.businessDate}\n`);
        }
        process.stdout.write('the daily schedule settles days of the last 31 days by itself (spc schedule trigger <bank> runs it now)\n');
      }
      if (days.length > 0) process.exitCode = 1;
    });
}

export function registerSettlementCommands(program: Command, rt: Runtime): void {
  registerSettle(program, rt);
  const settlement = program.command('settlement').description('inspect and operate the daily settlement of a bank-day');
  registerShow(settlement, rt);
  registerFile(settlement, rt);
  registerResolve(settlement, rt);
  registerConfirm(settlement, rt);
  registerUnsettled(settlement, rt);
}
