// Mail commands (issue 20 item 2): `spc mail run --period YYYY-MM` starts (or joins) the period's
// delivery of invoices to confirmed addresses; `spc mail status --period YYYY-MM` counts its mails by
// state and lists the permanent failures per invoice and address.
import type { Command } from 'commander';
import { startMailDelivery } from '../../client/mail-deliveries';
import { mailDeliveryCounts, mailFailures } from '../../db/queries/mail-deliveries';
import { PERIOD_RE } from '../../domain/print-run-types';
import { CliError, Runtime, printRows } from '../runtime';

/** Failures `spc mail status` lists at most. */
const FAILURES_SHOWN_MAX = 200;

function periodOf(text: string): string {
  if (!PERIOD_RE.test(text)) throw new CliError(`--period must be a billing month as YYYY-MM, got ${JSON.stringify(text)}`);
  return text;
}

export function registerMailCommands(program: Command, rt: Runtime): void {
  const mail = program.command('mail').description('invoices by e-mail to confirmed addresses (docs/households.md)');
  mail
    .command('run')
    .description('start the period\'s mail delivery (joins it if it runs; a re-run mails only what was not mailed)')
    .requiredOption('--period <YYYY-MM>', 'billing month')
    .option('--wait', 'wait until it is done and print the counts')
    .action(async (opts: { period: string; wait?: boolean }) => {
      const period = periodOf(opts.period);
      const t = await rt.temporal();
      const started = await startMailDelivery({ client: t.client, taskQueue: t.taskQueue }, period);
      if (!opts.wait) {
        process.stdout.write(`mail delivery ${started.workflowId} started; see spc mail status --period ${period}\n`);
        return;
      }
      process.stdout.write(`${JSON.stringify(await started.result())}\n`);
    });
  mail
    .command('status')
    .description('the period\'s mails by state, and the failed ones')
    .requiredOption('--period <YYYY-MM>', 'billing month')
    .option('--json', 'print JSON')
    .action(async (opts: { period: string; json?: boolean }) => {
      const period = periodOf(opts.period);
      const db = await rt.db();
      const counts = await mailDeliveryCounts(db, period);
      const failures = await mailFailures(db, period, FAILURES_SHOWN_MAX);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ period, counts, failures }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`mail ${period}: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ') || 'nothing planned'}\n`);
      if (failures.length > 0) printRows(failures as unknown as Array<Record<string, unknown>>, false);
    });
}
