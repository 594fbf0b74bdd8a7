// `spc audit export|replay|ledger|period|archive` (and provider, from ./provider-audit): the
// auditors' tools over Temporal histories and the Postgres rows.
import path from 'node:path';
import type { Command } from 'commander';
import {
  archiveBankDay, auditLedger, auditPeriod, bundleWorkflows, exportHistories, historiesFromDir, historiesFromTemporal, kindOfType, replayHistories,
  temporalChecks, STUCK_AFTER_HOURS_DEFAULT, type HistorySource,
} from '../../audit';
import { isPeriod } from '../../domain/period';
import { installWorkerRuntime } from '../../worker/run';
import { payloadCodecOf } from '../../infra/temporal-connection';
import { CliError, type Runtime } from '../runtime';
import { registerProviderAuditCommand } from './provider-audit';
import { positiveInt, selectionOptions, selectionQuery, type SelectionOpts } from './ops-options';
import { printLedgerReport, printPeriodReport, printReplayLine } from './ops-audit-report';

/** bank_day_stuck's age threshold from the command line: up to 30 days (a longer one would hide every stuck day). */
const STUCK_AFTER_HOURS_MAX = 720;

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

export function registerAuditCommands(program: Command, rt: Runtime): void {
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
