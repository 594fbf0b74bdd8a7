// `spc audit provider --date`, `spc provider registers build --date`, `spc provider transfers check|cases` (issue 19).
import type { Command } from 'commander';
import { assertDate } from '../../audit/query';
import { auditProviders, type ProviderAuditReport } from '../../audit/provider';
import { buildProviderRegistersOf } from '../../activities/provider-register';
import { CliError, type Runtime } from '../runtime';
import { TRANSFER_REPORT_WORKING_DAYS_MAX, raiseUnreportedTransferCases } from '../../client/transfer-cases';
import { findOpenTransferCases } from '../../db/queries/transfer-cases';

function printReport(report: ProviderAuditReport): void {
  process.stdout.write(`provider audit, business date ${report.date}${report.waitingFor.length > 0 ? ` (registers not due yet: ${report.waitingFor.join('; ')})` : ''}\n`);
  process.stdout.write('  provider              register                         register      lists   received       open   unknown\n');
  for (const p of report.providers) {
    process.stdout.write(`  ${p.ok ? 'ok    ' : 'BREACH'} ${p.providerId.padEnd(14)} ${(p.registerId ?? '-').padEnd(32)} ${(p.registerTotal ?? '-').padStart(10)} ${p.listsTotal.padStart(10)} ${p.received.padStart(10)} ${p.openDifferences.padStart(10)} ${p.unknownReceived.padStart(9)}\n`);
  }
  for (const b of report.breaches) process.stdout.write(`  ${b.providerId}: ${b.detail}\n`);
  process.stdout.write(report.ok ? 'no breaches\n' : `${report.breaches.length} breach(es)\n`);
}

export function registerProviderAuditCommand(audit: Command, rt: Runtime): void {
  audit
    .command('provider')
    .description('per provider and day: Σ register lines = Σ banks\' list lines to it = Σ reported received + Σ open differences; exits 1 on any breach')
    .requiredOption('--date <yyyy-mm-dd>', 'business date')
    .option('--provider <id>', 'one provider (default: all of the day)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { date: string; provider?: string; json?: boolean }) => {
      try {
        assertDate(opts.date, '--date');
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      const report = await auditProviders(await rt.db(), opts.date, opts.provider);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else printReport(report);
      if (!report.ok) process.exitCode = 1;
    });
}

export function registerProviderRegisterCommands(provider: Command, rt: Runtime): void {
  provider
    .command('registers')
    .description('providers\' daily registers')
    .command('build')
    .description('build the providers\' registers of a day now (the day\'s last settlement does this by itself); exits 1 while the day is not complete')
    .requiredOption('--date <yyyy-mm-dd>', 'business date')
    .action(async (opts: { date: string }) => {
      try {
        assertDate(opts.date, '--date');
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      const result = await buildProviderRegistersOf(await rt.db(), opts.date);
      if (result.status === 'waiting') throw new CliError(`the day ${opts.date} is not complete: ${result.waitingFor.join('; ')}`);
      for (const r of result.registers) process.stdout.write(`${r.created ? 'built ' : 'kept  '} ${r.id.padEnd(36)} ${r.total.padStart(14)} KZT  ${r.lines} line(s)\n`);
      process.stdout.write(`${result.registers.length} register(s) of ${opts.date}\n`);
    });
}

function registerTransferCasesCommand(transfers: Command, rt: Runtime): void {
  transfers
    .command('cases')
    .description('the open TRANSFER_NOT_RECEIVED cases (raised by the check, by hand or by its daily schedule), the oldest deadline first')
    .option('--provider <id>', 'one provider')
    .option('--json', 'print the cases as JSON')
    .action(async (opts: { provider?: string; json?: boolean }) => {
      const cases = await findOpenTransferCases(await rt.db(), { providerId: opts.provider });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(cases, null, 2)}\n`);
        return;
      }
      for (const c of cases) {
        process.stdout.write(`${c.complaintId.padEnd(48)} ${c.status.padEnd(9)} expected ${(c.expected ?? '-').padStart(12)}  received ${c.received.padStart(12)}  open ${c.difference.padStart(12)}  due ${c.deadlineAt}\n`);
      }
      process.stdout.write(`${cases.length} open case(s)\n`);
    });
}

export function registerTransferCheckCommand(provider: Command, rt: Runtime): void {
  const transfers = provider.command('transfers').description('what providers report received');
  registerTransferCasesCommand(transfers, rt);
  transfers
    .command('check')
    .description('(also daily at 09:00 Almaty by the transfer-check schedule) raise a TRANSFER_NOT_RECEIVED complaint for every list line a bank confirmed N working days ago that its provider has not reported received in full')
    .option('--working-days <n>', 'working days a provider has to report (default $SPC_TRANSFER_REPORT_WORKING_DAYS or 3)')
    .action(async (opts: { workingDays?: string }) => {
      const workingDays = opts.workingDays === undefined ? undefined : Number(opts.workingDays);
      if (workingDays !== undefined && (!Number.isInteger(workingDays) || workingDays < 1 || workingDays > TRANSFER_REPORT_WORKING_DAYS_MAX)) {
        throw new CliError(`--working-days must be a whole number from 1 to ${TRANSFER_REPORT_WORKING_DAYS_MAX}, got ${String(opts.workingDays)}`);
      }
      const t = await rt.temporal();
      const raised = await raiseUnreportedTransferCases({ client: t.client, taskQueue: t.taskQueue, db: await rt.db() }, { workingDays });
      for (const c of raised) process.stdout.write(`raised ${c.complaintId}  expected ${c.expected}, received ${c.received}\n`);
      process.stdout.write(`${raised.length} case(s) raised\n`);
    });
}
