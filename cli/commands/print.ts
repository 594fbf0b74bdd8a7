// Print commands (issue 20 item 1): `spc print run --period YYYY-MM` starts (or joins) the period's
// print run and, with --wait, waits for its manifest; `spc print status --period YYYY-MM` shows its
// progress and files. Files go to SPC_PRINT_DIR/<period> (default .data/print) of the worker.
import type { Command } from 'commander';
import { startPrintRun } from '../../client/print-runs';
import { loadPrintRun } from '../../db/queries/print-runs';
import { PERIOD_RE, PRINT_INVOICES_PER_FILE_DEFAULT, PRINT_INVOICES_PER_FILE_MAX } from '../../domain/print-run-types';
import { CliError, Runtime } from '../runtime';

function periodOf(text: string): string {
  if (!PERIOD_RE.test(text)) throw new CliError(`--period must be a billing month as YYYY-MM, got ${JSON.stringify(text)}`);
  return text;
}

function perFileOf(text: string | undefined): number {
  if (text === undefined) return PRINT_INVOICES_PER_FILE_DEFAULT;
  const n = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || n < 1 || n > PRINT_INVOICES_PER_FILE_MAX) throw new CliError(`--per-file must be a whole number from 1 to ${PRINT_INVOICES_PER_FILE_MAX}, got ${JSON.stringify(text)}`);
  return n;
}

async function showStatus(rt: Runtime, period: string, json: boolean): Promise<void> {
  const run = await loadPrintRun(await rt.db(), period);
  if (!run) throw new CliError(`no print run for ${period}: start one with spc print run --period ${period}`);
  if (json) {
    process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
    return;
  }
  const lines = [
    `print run ${period}: ${run.state}, ${run.filesDone}/${run.filesTotal} files, ${run.invoicesDone}/${run.invoicesTotal} invoices (${run.invoicesPerFile} per file)`,
    `  directory ${run.directory}`,
    ...run.files.map((f) => `  ${f.name}  ${f.invoices} invoices  ${f.totalDue} KZT  ${f.bytes} bytes  sha256 ${f.sha256}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerPrintCommands(program: Command, rt: Runtime): void {
  const print = program.command('print').description('paper invoices for the printing house: a print run per period (docs/households.md)');
  print
    .command('run')
    .description('start the period\'s print run (joins it if it is running; after it finished, a re-run writes the same files)')
    .requiredOption('--period <YYYY-MM>', 'billing month')
    .option('--per-file <n>', `invoices per PDF file (default ${PRINT_INVOICES_PER_FILE_DEFAULT})`)
    .option('--wait', 'wait for the manifest and print it')
    .option('--json', 'print JSON')
    .action(async (opts: { period: string; perFile?: string; wait?: boolean; json?: boolean }) => {
      const input = { period: periodOf(opts.period), invoicesPerFile: perFileOf(opts.perFile) };
      const t = await rt.temporal();
      const started = await startPrintRun({ client: t.client, taskQueue: t.taskQueue }, input);
      if (!opts.wait) {
        process.stdout.write(opts.json ? `${JSON.stringify(started)}\n` : `print run ${started.workflowId} started; see spc print status --period ${input.period}\n`);
        return;
      }
      const summary = await started.result();
      process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `print run ${input.period}: ${summary.invoices} invoices in ${summary.files} files, ${summary.totalDue} KZT; manifest ${summary.manifestPath} (sha256 ${summary.manifestSha256})\n`);
    });
  print
    .command('status')
    .description('progress and files of the period\'s print run')
    .requiredOption('--period <YYYY-MM>', 'billing month')
    .option('--json', 'print JSON')
    .action(async (opts: { period: string; json?: boolean }) => showStatus(rt, periodOf(opts.period), opts.json ?? false));
}
