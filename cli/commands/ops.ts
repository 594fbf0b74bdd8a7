// Operators' and auditors' commands: workflows list, calendar list|add-holiday|add-workday,
// audit export|replay|ledger|archive. Calendar edits are operator actions: refused without an
// operator name and recorded in operator_audit, refusals included.
import { registerProviderAuditCommand } from './provider-audit';
import path from 'node:path';
import type { Command } from 'commander';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import {
  archiveBankDay, auditLedger, auditPeriod, buildVisibilityQuery, bundleWorkflows, exportHistories, historiesFromDir, historiesFromTemporal, kindOfType, replayHistories,
  temporalChecks, EXECUTION_STATUSES, STUCK_AFTER_HOURS_DEFAULT, WORKFLOW_KINDS, type ExecutionStatusName, type HistorySource, type LedgerReport, type PeriodAuditReport, type ReplayOutcome,
  type WorkflowFilter, type WorkflowKind,
} from '../../audit';
import { toAlmaty } from '../../domain/calendar';
import { isPeriod } from '../../domain/period';
import { BANK_CODE, BUSINESS_DATE, PAYMENT_STATUS, SETTLEMENT_STATUS } from '../../domain/search-attributes';
import { addCalendarDay, CalendarEditRefused } from '../../db/calendar';
import { calendarDaysOfYear } from '../../db/queries/calendar';
import { operatorOf } from '../operator-action';
import { findUnsettledBankDays } from '../../db/queries/unsettled';
import { REFERENCE_TTL_MS } from '../../activities/reference-cache';
import { installWorkerRuntime } from '../../worker/run';
import { payloadCodecOf } from '../../infra/temporal-connection';
import { CliError, printRows, type Runtime } from '../runtime';

/** Rows `workflows list` prints unless --limit says otherwise; visibility pages through the rest. */
export const WORKFLOWS_LIST_DEFAULT_LIMIT = 50;
export const WORKFLOWS_LIST_LIMIT_MAX = 10_000;

/** bank_day_stuck's age threshold from the command line: up to 30 days (a longer one would hide every stuck day). */
const STUCK_AFTER_HOURS_MAX = 720;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function positiveInt(value: string, option: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`${option} must be a whole number from 1 to ${max}, got ${value}`);
  return n;
}

function kindOption(value: string | undefined): WorkflowKind | undefined {
  if (value === undefined) return undefined;
  if (!(WORKFLOW_KINDS as string[]).includes(value)) throw new CliError(`--type must be one of ${WORKFLOW_KINDS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as WorkflowKind;
}

function executionStatusOption(value: string | undefined): ExecutionStatusName | undefined {
  if (value === undefined) return undefined;
  const match = EXECUTION_STATUSES.find((s) => s.toLowerCase() === value.toLowerCase());
  if (!match) throw new CliError(`--execution-status must be one of ${EXECUTION_STATUSES.join(', ')}, got ${JSON.stringify(value)}`);
  return match;
}

/** Link to the Temporal Web UI's workflow list filtered by the same query, when the UI is known. */
export function uiListUrl(rt: Runtime, query: string): string | undefined {
  const ui = rt.endpoints().uiUrl;
  if (!ui) return undefined;
  return `${ui.replace(/\/$/, '')}/namespaces/${encodeURIComponent(rt.config.temporal.namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

export interface WorkflowRow {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  bank: string | null;
  businessDate: string | null;
  businessStatus: string | null;
  started: string;
  closed: string | null;
  ui?: string;
}

export function workflowRow(w: WorkflowExecutionInfo, ui?: (id: string, run: string) => string | undefined): WorkflowRow {
  const sa = w.typedSearchAttributes;
  return {
    workflowId: w.workflowId,
    runId: w.runId,
    type: w.type,
    status: w.status.name,
    bank: sa.get(BANK_CODE) ?? null,
    businessDate: sa.get(BUSINESS_DATE) ?? null,
    businessStatus: sa.get(PAYMENT_STATUS) ?? sa.get(SETTLEMENT_STATUS) ?? null,
    started: w.startTime.toISOString(),
    closed: w.closeTime?.toISOString() ?? null,
    ui: ui?.(w.workflowId, w.runId),
  };
}

// ---------------------------------------------------------------------------------------------
// Calendar

function registerCalendarCommands(program: Command, rt: Runtime): void {
  const calendar = program
    .command('calendar')
    .description('the business calendar: holidays and transferred working days (weekends are off unless listed as workdays)');

  calendar
    .command('list')
    .description('list the holidays and transferred working days of a year')
    .option('--year <yyyy>', 'calendar year (default: this year in Almaty)')
    .option('--json', 'print JSON')
    .action(async (opts: { year?: string; json?: boolean }) => {
      const year = opts.year ?? toAlmaty(new Date()).date.slice(0, 4);
      if (!/^\d{4}$/.test(year)) throw new CliError(`--year must be four digits, got ${year}`);
      const days = await calendarDaysOfYear(await rt.db(), year);
      const weekday = (d: string) => new Date(`${d}T00:00:00Z`).toLocaleDateString('en-GB', { weekday: 'short', timeZone: 'UTC' });
      printRows(days.map((d) => ({ date: d.day, weekday: weekday(d.day), kind: d.kind, name: d.name })), Boolean(opts.json), ['date', 'weekday', 'kind', 'name']);
    });

  for (const kind of ['holiday', 'workday'] as const) {
    calendar
      .command(`add-${kind} <date>`)
      .description(kind === 'holiday'
        ? 'declare a public holiday (no business day: payments that day belong to the next business day)'
        : 'declare a transferred working day (a weekend day that is a business day)')
      .requiredOption('--name <name>', kind === 'holiday' ? 'what the holiday is, e.g. "Курбан айт"' : 'why, e.g. "перенос с 2026-01-05"')
      .option('--operator <name>', 'who does this (default: $SPC_OPERATOR); recorded in operator_audit')
      .action(async (date: string, opts: { name: string; operator?: string }) => {
        const operator = await operatorOf(rt, `calendar add-${kind}`, opts.operator);
        const { previous } = await addCalendarDay(await rt.db(), { date, kind, name: opts.name, operator }).catch((err: unknown) => {
          throw err instanceof CalendarEditRefused ? new CliError(err.message) : err;
        });
        const was = previous ? ` (was ${previous.kind} "${previous.name}")` : '';
        process.stdout.write(`${date} is now a ${kind}: ${opts.name.trim()}${was}. Recorded as ${operator}'s action; workers see it within ${REFERENCE_TTL_MS / 1000} s.\n`);
      });
  }
}

// ---------------------------------------------------------------------------------------------
// Workflows

function registerWorkflowCommands(program: Command, rt: Runtime): void {
  const workflows = program.command('workflows').description('find the SPC\'s workflows through Temporal visibility (the same filters work in the Temporal Web UI)');
  workflows
    .command('list')
    .description('list payment, settlement and register workflows; prints the visibility query it used')
    .option('--type <type>', `workflow kind: ${WORKFLOW_KINDS.join(' | ')}`)
    .option('--bank <code>', 'bank code (BankCode), e.g. HSBK')
    .option('--date <yyyy-mm-dd>', 'business date (BusinessDate)')
    .option('--from <yyyy-mm-dd>', 'business dates from (inclusive)')
    .option('--to <yyyy-mm-dd>', 'business dates to (inclusive)')
    .option('--status <status>', 'business status: PaymentStatus (accepted, rejected; cancelled and closed only on payments from before complete-on-post) or SettlementStatus')
    .option('--execution-status <status>', `Temporal status: ${EXECUTION_STATUSES.join(', ')}`)
    .option('--limit <n>', 'most rows to print', String(WORKFLOWS_LIST_DEFAULT_LIMIT))
    .option('--json', 'print JSON: {query, workflows}')
    .action(async (opts: { type?: string; bank?: string; date?: string; from?: string; to?: string; status?: string; executionStatus?: string; limit: string; json?: boolean }) => {
      const limit = positiveInt(opts.limit, '--limit', WORKFLOWS_LIST_LIMIT_MAX);
      const query = buildVisibilityQuery({
        type: kindOption(opts.type), bank: opts.bank, date: opts.date, from: opts.from, to: opts.to, status: opts.status,
        executionStatus: executionStatusOption(opts.executionStatus),
      });
      const { client } = await rt.temporal();
      const rows: WorkflowRow[] = [];
      for await (const w of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
        rows.push(workflowRow(w, (id, run) => rt.workflowUrl(id, run)));
        if (rows.length >= limit) break;
      }
      const ui = uiListUrl(rt, query);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ query, ui: ui ?? null, workflows: rows }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`query: ${query}\n${ui ? `ui:    ${ui}\n` : ''}\n`);
      printRows(rows as unknown as Array<Record<string, unknown>>, false, ['workflowId', 'type', 'status', 'bank', 'businessDate', 'businessStatus', 'started', 'closed']);
      if (rows.length >= limit) process.stdout.write(`(first ${limit}; --limit shows more)\n`);
      await warnUnsettled(rt);
    });
}

/** Unsettled bank-days named in the warning; `spc settlement unsettled` lists them all. */
const UNSETTLED_SHOWN = 5;

/** The guard of money posted but never listed, where operators look: after every workflow listing. */
async function warnUnsettled(rt: Runtime): Promise<void> {
  const days = await findUnsettledBankDays(await rt.db(), toAlmaty(new Date()).date);
  if (days.length === 0) return;
  const shown = days.slice(0, UNSETTLED_SHOWN).map((d) => `${d.bankCode} ${d.businessDate} (${d.acceptedCount}, ${d.acceptedTotal} KZT)`).join(', ');
  process.stderr.write(`warning: ${days.length} past bank-day(s) hold accepted payments with no settlement: ${shown}${days.length > UNSETTLED_SHOWN ? ', …' : ''}; see spc settlement unsettled\n`);
}

// ---------------------------------------------------------------------------------------------
// Audit

interface SelectionOpts {
  bank?: string;
  date?: string;
  from?: string;
  to?: string;
  type?: string;
  workflowId?: string[];
}

/** A visibility query for the options, or undefined when only workflow ids were given. */
function selectionQuery(opts: SelectionOpts): string | undefined {
  const filter: WorkflowFilter = { type: kindOption(opts.type), bank: opts.bank, date: opts.date, from: opts.from, to: opts.to };
  const any = Object.values(filter).some((v) => v !== undefined);
  if (!any && opts.workflowId?.length) return undefined;
  if (!any) throw new CliError('select workflows: --bank, --date or --from/--to, --type, or --workflow-id (repeatable)');
  return buildVisibilityQuery(filter);
}

const selectionOptions = (cmd: Command) =>
  cmd
    .option('--bank <code>', 'bank code')
    .option('--date <yyyy-mm-dd>', 'one business date')
    .option('--from <yyyy-mm-dd>', 'business dates from (inclusive)')
    .option('--to <yyyy-mm-dd>', 'business dates to (inclusive)')
    .option('--type <type>', `workflow kind: ${WORKFLOW_KINDS.join(' | ')}`)
    .option('--workflow-id <id>', 'a workflow id (repeatable), e.g. payment:HSBK:ref-1', collect);

/** The core of an SDK replay error: "[TMPRL1100] Nondeterminism error: ..." without the Rust debug wrapping. */
export function replayReason(message: string): string {
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(message)?.[1];
  return (inner ?? message.split('\n')[0] ?? '').replace(/\\"/g, '"');
}

function printReplayLine(o: ReplayOutcome): void {
  const verdict = o.verdict === 'ok' ? 'ok' : o.verdict === 'nondeterministic' ? 'NONDETERMINISTIC' : 'FAILED';
  const file = o.origin === 'temporal' ? '' : `  ${path.basename(o.origin)}`;
  process.stdout.write(`${verdict.padEnd(16)}  ${o.type.padEnd(18)}  ${o.workflowId}  ${o.runId}${file}${o.message ? `\n    ${replayReason(o.message)}` : ''}\n`);
}

function printLedgerReport(report: LedgerReport): void {
  const scope = [report.scope.bank ? `bank ${report.scope.bank}` : 'all banks', report.scope.date ? `business date ${report.scope.date}` : 'all dates'].join(', ');
  process.stdout.write(`ledger audit (${scope})\n`);
  for (const c of report.checks) process.stdout.write(`  ${c.breaches === 0 ? 'ok    ' : 'BREACH'}  ${c.name.padEnd(24)} ${c.breaches === 0 ? '' : `${c.breaches} `}${c.description}\n`);
  for (const b of report.breaches) process.stdout.write(`  ${b.check}: ${b.subject}: ${b.detail}\n`);
  process.stdout.write(report.ok ? 'no breaches\n' : `${report.breaches.length} breach(es)\n`);
}

function printPeriodReport(report: PeriodAuditReport): void {
  process.stdout.write(`period audit ${report.period}\n`);
  printRows(report.totals.map((t) => ({ ...t })), false);
  for (const b of report.breaches) process.stdout.write(`  BREACH ${b.check}: ${b.subject}: ${b.detail}\n`);
  process.stdout.write(report.ok ? 'no breaches\n' : `${report.breaches.length} breach(es)\n`);
}

function registerAuditPeriod(audit: Command, rt: Runtime): void {
  audit
    .command('period')
    .description('prove a closed billing period from the rows: Σ closing = Σ opening + charged + recalculated − paid + corrected per provider, the ledger\'s receivables, openings = previous closings, none missing; exits 1 on any breach')
    .requiredOption('--period <yyyy-mm>', 'the billing month')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { period: string; json?: boolean }) => {
      if (!isPeriod(opts.period)) throw new CliError(`--period ${opts.period}: give the month as YYYY-MM, e.g. 2026-12`);
      const report = await auditPeriod(await rt.db(), opts.period);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else printPeriodReport(report);
      if (!report.ok) process.exitCode = 1;
    });
}

function registerExportCommand(audit: Command, rt: Runtime): void {
  selectionOptions(audit.command('export'))
    .description('write each selected workflow\'s history as JSON (as `temporal workflow show --output json`) with manifest.json (SHA-256 per file)')
    .requiredOption('--out <dir>', 'directory to write into (created if missing)')
    .option('--json', 'print the manifest as JSON')
    .action(async (opts: SelectionOpts & { out: string; json?: boolean }) => {
      const query = selectionQuery(opts);
      const { client } = await rt.temporal();
      if (query && !opts.json) process.stdout.write(`query: ${query}\n`);
      const manifest = await exportHistories(client, {
        outDir: path.resolve(opts.out),
        query,
        runs: opts.workflowId?.map((workflowId) => ({ workflowId })),
        onWorkflow: (e) => !opts.json && process.stdout.write(`  ${e.status.padEnd(10)} ${e.type.padEnd(18)} ${e.workflowId} -> ${e.file}\n`),
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
      else process.stdout.write(`${manifest.count} histories written to ${path.resolve(opts.out)} (manifest.json lists them with their SHA-256)\n`);
    });
}

function registerAuditCommands(program: Command, rt: Runtime): void {
  const audit = program.command('audit').description('auditors\' tools: export and replay workflow histories, check the ledger');
  registerProviderAuditCommand(audit, rt);

  registerExportCommand(audit, rt);

  selectionOptions(audit.command('replay'))
    .description('replay histories against the current workflow code; exits 1 on any nondeterminism or unreadable history')
    .option('--dir <dir>', 'replay the files of an export (or of `temporal workflow show --output json`) instead of fetching from Temporal')
    .option('--workflows <path>', 'replay against these workflow sources instead of the current code, e.g. a branch about to be deployed')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: SelectionOpts & { dir?: string; workflows?: string; json?: boolean }) => {
      installWorkerRuntime('ERROR');
      let sources: Iterable<HistorySource> | AsyncIterable<HistorySource>;
      if (opts.dir) {
        if (opts.bank || opts.date || opts.from || opts.to || opts.type || opts.workflowId) throw new CliError('--dir replays files: do not combine it with --bank, --date, --from/--to, --type or --workflow-id');
        sources = historiesFromDir(path.resolve(opts.dir));
      } else {
        const query = selectionQuery(opts);
        if (query && !opts.json) process.stdout.write(`query: ${query}\n`);
        const { client } = await rt.temporal();
        sources = historiesFromTemporal(client, { query, runs: opts.workflowId?.map((workflowId) => ({ workflowId })) });
      }
      const bundle = opts.workflows ? await bundleWorkflows(opts.workflows) : undefined;
      // Histories (from Temporal or an export) hold payloads encrypted with the installation's keys.
      const codec = payloadCodecOf({ payloadKeys: rt.payloadKeys() });
      const dataConverter = codec ? { payloadCodecs: [codec] } : undefined;
      const summary = await replayHistories(sources, { bundle, dataConverter, onOutcome: opts.json ? undefined : printReplayLine });
      if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else process.stdout.write(`replayed ${summary.total}: ${summary.ok} ok, ${summary.nondeterministic} nondeterministic, ${summary.failed} failed\n`);
      if (summary.total === 0) process.stderr.write('spc: no histories matched: nothing was replayed\n');
      if (summary.nondeterministic > 0 || summary.failed > 0) process.exitCode = 1;
    });

  audit
    .command('ledger')
    .description('check the ledger invariants over Postgres (allocations, balanced transactions, reversals, settlements, payment lists); exits 1 on any breach')
    .option('--date <yyyy-mm-dd>', 'one business date (default: all)')
    .option('--bank <code>', 'one bank (default: all)')
    .option('--temporal', 'also check that payment rows and payment workflows point at each other in Temporal')
    .option('--stuck-after-hours <hours>', `bank_day_stuck: hours a settlement may stay in closing or discrepancy (1-${STUCK_AFTER_HOURS_MAX}, default ${STUCK_AFTER_HOURS_DEFAULT})`)
    .option('--json', 'print the report as JSON')
    .action(async (opts: { date?: string; bank?: string; temporal?: boolean; stuckAfterHours?: string; json?: boolean }) => {
      const stuckAfterHours = opts.stuckAfterHours === undefined ? undefined : positiveInt(opts.stuckAfterHours, '--stuck-after-hours', STUCK_AFTER_HOURS_MAX);
      const db = await rt.db();
      const temporal = opts.temporal ? temporalChecks((await rt.temporal()).client) : undefined;
      const report = await auditLedger(db, { date: opts.date, bank: opts.bank }, { temporalChecks: temporal, stuckAfterHours });
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else printLedgerReport(report);
      if (!report.ok) process.exitCode = 1;
    });

  registerAuditPeriod(audit, rt);

  audit
    .command('archive')
    .description('export every workflow of a closed bank-day (payments, settlement, registers) into <out>/<BANK>/<DATE>/ so it outlives the Temporal retention')
    .requiredOption('--bank <code>', 'bank code')
    .requiredOption('--date <yyyy-mm-dd>', 'business date')
    .requiredOption('--out <dir>', 'archive root')
    .option('--allow-open', 'archive even though the bank-day is not closed yet')
    .action(async (opts: { bank: string; date: string; out: string; allowOpen?: boolean }) => {
      const { client } = await rt.temporal();
      const result = await archiveBankDay(client, await rt.db(), opts.bank, opts.date, path.resolve(opts.out), { allowOpen: opts.allowOpen }).catch((err: Error) => {
        if (err.name === 'ArchiveError') throw new CliError(err.message);
        throw err;
      });
      const byKind = new Map<string, number>();
      for (const w of result.manifest.workflows) byKind.set(kindOfType(w.type) ?? w.type, (byKind.get(kindOfType(w.type) ?? w.type) ?? 0) + 1);
      process.stdout.write(`archived ${result.manifest.count} histories (${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}) into ${result.dir}\n`);
    });
}

export function registerOpsCommands(program: Command, rt: Runtime): void {
  registerWorkflowCommands(program, rt);
  registerCalendarCommands(program, rt);
  registerAuditCommands(program, rt);
}
