// Settlement commands: settle, settlement show/file/resolve/confirm, schedule list/pause/unpause/
// trigger, and the settlement benchmark. Operator actions name their operator (--operator or
// SPC_OPERATOR) and are recorded in the operator audit trail.
import fs from 'node:fs';
import type { Command } from 'commander';
import {
  SettlementActionError, confirmTransfers, getSettlementState, resolveDiscrepancy, startSettlement,
  type SettlementState, type TransferConfirmation,
} from '../../client/settlements';
import { recordOperatorAction, requireOperator } from '../../db/operator-audit';
import { settlementWorkflowId } from '../../domain/payment-types';
import { isBankCode, settlementIdOf } from '../../domain/identifiers';
import { isRealDate } from '../../domain/instant';
import { toAlmaty } from '../../domain/calendar';
import { findUnsettledBankDays } from '../../db/queries/unsettled';
import { describeSchedules, settlementScheduleId } from '../../infra/schedules';
import { CliError, printRows, Runtime } from '../runtime';

/** How long `spc settle --wait` waits for the settlement to get past its close. */
const SETTLE_WAIT_MS = 10 * 60_000;
const SETTLE_POLL_MS = 500;

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

/** Runs an operator action and records it with its outcome (also when refused). */
async function audited<T>(rt: Runtime, operator: string, action: string, args: Record<string, unknown>, run: () => Promise<T>, outcomeOf: (r: T) => string = () => 'ok'): Promise<T> {
  const db = await rt.db();
  try {
    const result = await run();
    await recordOperatorAction(db, { operator, action, args, outcome: outcomeOf(result) });
    return result;
  } catch (err) {
    const outcome = err instanceof SettlementActionError ? `refused: ${err.code}` : `error: ${(err as Error).message}`.slice(0, 200);
    await recordOperatorAction(db, { operator, action, args, outcome }).catch(() => undefined);
    if (err instanceof SettlementActionError) throw new CliError(`${err.code}: ${err.message}`);
    throw err;
  }
}

function printSummary(s: SettlementState, link?: string): void {
  const out: string[] = [];
  out.push(`${s.workflowId}  ${s.status}  (started by ${s.startedBy})`);
  if (s.dates.aggregatedAt) {
    out.push(`  payments ${s.counts.payments} posted, ${s.counts.reversals} reversed, ${s.counts.accepted} in the list`);
    out.push(`  totals   posted ${s.totals.payments}  reversed ${s.totals.reversals}${s.totals.adjustments ? `  adjustments ${s.totals.adjustments}` : ''}  net ${s.totals.net}  confirmed ${s.totals.confirmed} KZT`);
  } else {
    out.push('  payments and totals are counted at aggregation (after the close and the reconciliation)');
  }
  const d = s.dates;
  const dates = [
    ['closed', d.closedAt], ['aggregated', d.aggregatedAt], ['delivered', d.deliveredAt], ['overdue', d.overdueAt], ['settled', d.settledAt],
    ['execution date', d.executionDate], ['confirm by', d.confirmDueDate],
  ].filter(([, v]) => v);
  if (dates.length) out.push(`  dates    ${dates.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (s.register) out.push(`  register ${s.register.registerIds.join(', ')}: declared ${s.register.declaredCount} payments, ${s.register.declaredTotal} KZT`);
  for (const x of s.discrepancies) {
    const what = x.kind === 'register_row_rejected' ? `${x.registerId} row ${x.bankRef}: ${x.code} ${x.message ?? ''}` : x.declared !== undefined ? `declared ${x.declared}, posted ${x.posted} (difference ${x.difference})` : (x.message ?? '');
    out.push(`  discrepancy ${x.kind}: ${what}`);
  }
  if (s.status === 'discrepancy' && !s.resolution) out.push(`  waiting for a decision (${s.reminders} reminder(s)): spc settlement resolve ${s.bankCode} ${s.businessDate} --accept | --exclude <refs...>`);
  if (s.resolution) out.push(`  decision ${s.resolution.decision} by ${s.resolution.operator} at ${s.resolution.at}${s.resolution.excludedRefs.length ? `: ${s.resolution.excludedRefs.join(', ')}` : ''}`);
  if (s.lines.length) {
    out.push('  lines');
    for (const l of s.lines) {
      out.push(`    ${String(l.lineNo).padStart(3)}  ${l.endToEndId.padEnd(20)} ${l.providerId.padEnd(18)} ${l.amount.padStart(16)}  ${String(l.paymentCount).padStart(8)} payments  ${l.confirmedAt ? `confirmed ${l.confirmedAt}${l.transferRef ? ` (${l.transferRef})` : ''}` : 'unconfirmed'}${l.adjustment ? `  adjusted ${l.adjustment.amount} by ${l.adjustment.refs.join(', ')}` : ''}`);
    }
  }
  for (const f of s.files) out.push(`  file     ${f.format.padEnd(8)} ${String(f.bytes).padStart(9)} bytes  sha256 ${f.sha256}`);
  if (s.webhook.status !== 'unknown') out.push(`  webhook  ${s.webhook.status}${s.webhook.url ? ` ${s.webhook.url}` : ''}${s.webhook.attempts ? ` after ${s.webhook.attempts} attempt(s)` : ''}`);
  out.push('  timeline');
  for (const t of s.timeline) out.push(`    ${t.at}  ${t.event}${t.detail ? `: ${t.detail}` : ''}`);
  if (link) out.push(`  ${link}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

export function registerSettlementCommands(program: Command, rt: Runtime): void {
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
      const operator = requireOperator('settle', opts.operator);
      const ctx = await ctxOf(rt);
      const started = await audited(rt, operator, 'settle', { bank, date }, () => startSettlement(ctx, bank, date, { operator }), (r) => (r.alreadyStarted ? 'already_started' : 'started'));
      let state: SettlementState | null = null;
      if (opts.wait) {
        const deadline = Date.now() + SETTLE_WAIT_MS;
        for (;;) {
          state = await getSettlementState(ctx, bank, date);
          if (state && ['discrepancy', 'delivered', 'overdue', 'settled'].includes(state.status)) break;
          if (Date.now() > deadline) throw new CliError(`settlement ${started.workflowId} is still ${state?.status ?? 'starting'}; look again with spc settlement show ${bank} ${date}`);
          await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
        }
      }
      const link = rt.workflowUrl(started.workflowId, started.runId);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ ...started, state, temporalUi: link }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${started.alreadyStarted ? 'already started' : 'started'} ${started.workflowId} (run ${started.runId})\n`);
      if (state) printSummary(state, link);
      else process.stdout.write(`  follow it with: spc settlement show ${bank} ${date}${link ? `\n  ${link}` : ''}\n`);
    });

  const settlement = program.command('settlement').description('inspect and operate the daily settlement of a bank-day');

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
      const row = await db('settlements').where({ id }).first();
      if (!state && !row) throw new CliError(`no settlement of ${bank} for ${date}: start it with spc settle --bank ${bank} --date ${date}`);
      const files = await db('settlement_files').where({ settlement_id: id }).orderBy('format').select('format', 'sha256', db.raw('octet_length(content)::int AS bytes'), 'created_at');
      const webhook = await db('webhook_deliveries').where({ settlement_id: id }).first();
      const link = rt.workflowUrl(settlementWorkflowId(bank, date));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ state, record: row ?? null, files, webhook: webhook ?? null, temporalUi: link ?? null }, null, 2)}\n`);
        return;
      }
      if (state) printSummary(state, link);
      else process.stdout.write(`${id}  ${row.status}  (no workflow found; from the database)\n  net ${row.net_total} KZT\n`);
      if (row?.alert) process.stdout.write(`  ALERT    ${row.alert}\n`);
      if (webhook) {
        process.stdout.write(`  webhook  ${webhook.url}: ${webhook.attempts} attempt(s), ${webhook.delivered_at ? `delivered ${new Date(webhook.delivered_at).toISOString()}` : `last ${webhook.last_status ?? ''} ${webhook.last_error ?? ''}`}\n`);
      }
      if (files.length) process.stdout.write(`  get a file: spc settlement file ${bank} ${date} --format pain001 --out list.xml\n`);
    });

  settlement
    .command('file <bank> <date>')
    .description('write a settlement\'s stored payment list (pain.001 XML or CSV), byte for byte')
    .option('--format <format>', 'pain001 or csv', 'pain001')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (bankArg: string, dateArg: string, opts: { format: string; out?: string }) => {
      const { bank, date } = bankDay(bankArg, dateArg);
      if (!['pain001', 'csv'].includes(opts.format)) throw new CliError('--format must be pain001 or csv');
      const db = await rt.db();
      const file = await db('settlement_files').where({ settlement_id: settlementIdOf(bank, date), format: opts.format }).first('content', 'sha256');
      if (!file) throw new CliError(`settlement ${bank}:${date} has no ${opts.format} file (yet): see spc settlement show ${bank} ${date}`);
      if (opts.out) {
        fs.writeFileSync(opts.out, file.content);
        process.stderr.write(`wrote ${opts.out} (${(file.content as Buffer).length} bytes, sha256 ${file.sha256})\n`);
      } else {
        process.stdout.write(file.content);
      }
    });

  settlement
    .command('resolve <bank> <date>')
    .description('decide a discrepancy: accept the day as posted, or exclude named payments (reversed in the ledger)')
    .option('--accept', 'accept the day as posted')
    .option('--exclude <refs...>', 'bank references of payments to leave out of the day')
    .option('--operator <name>', 'who decides (or SPC_OPERATOR)')
    .action(async (bankArg: string, dateArg: string, opts: { accept?: boolean; exclude?: string[]; operator?: string }) => {
      const { bank, date } = bankDay(bankArg, dateArg);
      if (Boolean(opts.accept) === Boolean(opts.exclude?.length)) throw new CliError('give exactly one of --accept or --exclude <refs...>');
      const operator = requireOperator('settlement resolve', opts.operator);
      const decision = opts.accept ? ({ accept: true } as const) : { excludeRefs: opts.exclude as string[] };
      const ctx = await ctxOf(rt);
      const state = await audited(rt, operator, 'settlement resolve', { bank, date, decision }, () => resolveDiscrepancy(ctx, bank, date, decision, operator));
      process.stdout.write(`decided: ${state.resolution?.decision}${state.resolution?.excludedRefs.length ? ` (excluded ${state.resolution.excludedRefs.join(', ')})` : ''}; the settlement continues\n`);
    });

  settlement
    .command('confirm <bank> <date>')
    .description('record the bank\'s confirmation of its transfers: every line, or the lines given with --line')
    .option('--transfer-ref <ref>', 'the bank\'s transfer reference (for every line)')
    .option('--line <N=REF>', 'confirm line N with transfer reference REF (repeat)', collect)
    .option('--operator <name>', 'who records it (or SPC_OPERATOR)')
    .action(async (bankArg: string, dateArg: string, opts: { transferRef?: string; line?: string[]; operator?: string }) => {
      const { bank, date } = bankDay(bankArg, dateArg);
      const operator = requireOperator('settlement confirm', opts.operator);
      const confirmation: TransferConfirmation = opts.line?.length
        ? {
            lines: opts.line.map((l) => {
              const m = /^(\d+)=(.+)$/.exec(l);
              if (!m) throw new CliError(`--line must look like 1=TRANSFER-REF, got ${JSON.stringify(l)}`);
              return { lineNo: Number(m[1]), transferRef: m[2] as string };
            }),
          }
        : { transferRef: opts.transferRef };
      if (opts.line?.length && opts.transferRef) throw new CliError('give either --transfer-ref (all lines) or --line N=REF, not both');
      const ctx = await ctxOf(rt);
      const outcome = await audited(rt, operator, 'settlement confirm', { bank, date, confirmation }, () => confirmTransfers(ctx, bank, date, confirmation), (r) => (r.ok ? 'ok' : `refused: ${r.code}`));
      if (!outcome.ok) throw new CliError(`${outcome.code}: ${outcome.message}`);
      const s = outcome.state;
      process.stdout.write(`${s.workflowId}: ${s.counts.confirmedLines}/${s.counts.lines} line(s) confirmed, status ${s.status}\n`);
    });

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

  const schedule = program.command('schedule').description('the per-bank settlement schedules (daily at each bank\'s cut-off, Asia/Almaty)');

  schedule
    .command('list')
    .description('every bank\'s schedule: cut-off, paused, next runs, last runs')
    .option('--bank <code>', 'only this bank')
    .option('--json', 'print JSON')
    .action(async (opts: { bank?: string; json?: boolean }) => {
      const { client } = await rt.temporal();
      const views = await describeSchedules(client, await rt.db(), { bankCode: opts.bank });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
        return;
      }
      printRows(
        views.map((v) => ({
          bank: v.bankCode,
          schedule: v.scheduleId,
          cutoff: v.cutoffLocal,
          fires: v.exists ? v.firesAtLocal : '(missing: run spc keeper or spc up)',
          paused: v.exists ? (v.paused ? `yes: ${v.note ?? ''}` : 'no') : '',
          next: v.nextActionTimes[0] ?? '',
          last: v.recentActions[v.recentActions.length - 1]?.takenAt ?? '',
        })),
        false,
      );
    });

  for (const verb of ['pause', 'unpause', 'trigger'] as const) {
    schedule
      .command(verb)
      .description(
        verb === 'trigger'
          ? 'fire the schedule now: its trigger settles today\'s bank-day at (or after) the bank\'s cut-off'
          : `${verb} the settlement schedule of one bank (--bank) or of every bank`,
      )
      .option('--bank <code>', 'only this bank (default: every bank)')
      .option('--note <text>', 'why (shown in schedule list and the Temporal UI)')
      .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
      .action(async (opts: { bank?: string; note?: string; operator?: string }) => {
        const operator = requireOperator(`schedule ${verb}`, opts.operator);
        const { client } = await rt.temporal();
        const views = await describeSchedules(client, await rt.db(), { bankCode: opts.bank });
        if (views.length === 0) throw new CliError(opts.bank ? `no bank ${opts.bank}` : 'no banks');
        for (const v of views) {
          if (!v.exists) throw new CliError(`schedule ${v.scheduleId} does not exist: spc up creates the schedules`);
          const handle = client.schedule.getHandle(settlementScheduleId(v.bankCode));
          const note = `${opts.note ?? verb} (by ${operator})`;
          await audited(rt, operator, `schedule ${verb}`, { bank: v.bankCode, note: opts.note ?? null }, async () => {
            if (verb === 'pause') await handle.pause(note);
            else if (verb === 'unpause') await handle.unpause(note);
            else await handle.trigger();
          });
          process.stdout.write(`${verb}${verb.endsWith('e') ? 'd' : 'ed'} ${v.scheduleId}\n`);
        }
      });
  }

  program
    .command('bench-settlement')
    .description('benchmark: settle one bank-day of N generated payments through the real workflow, in a scratch database; last line is JSON')
    .option('--payments <n>', 'payments in the day', '100000')
    .action(async (opts: { payments: string }) => {
      const payments = Number(opts.payments);
      if (!Number.isInteger(payments) || payments < 1) throw new CliError(`--payments must be a positive whole number, got ${opts.payments}`);
      // require, not import(): bin/spc.js runs TypeScript through tsx's CommonJS hook, which a dynamic import() bypasses.
      const { runSettlementBench } = require('../../bench/settlement') as typeof import('../../bench/settlement');
      const result = await runSettlementBench({ payments });
      // Valid JSON, spaced as the issue writes it: {"payments":…, "settle_s":…, "sql_s":…, "ratio":…, "peak_rss_mb":…}
      process.stdout.write(`{${Object.entries(result).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}\n`);
    });
}
