// `spc period list|show|close` (issue 18 item 7): the billing periods, a period's close with its
// figures and the providers that uploaded or are missing, and the operator's start of a close
// (audited; the workflow `period:<YYYY-MM>`, the Temporal UI filters it by the Period attribute).
import type { Command } from 'commander';
import { ALL_OPERATOR_ROLES, APPROVING_ROLES } from '../../domain/operator-roles';
import { listPeriods, loadPeriod } from '../../db/queries/periods';
import { isPeriod } from '../../domain/period';
import { periodCloseResult, startPeriodClose } from '../../client/periods';
import { getPeriodApproval } from '../../client/period-approval';
import { decide } from '../../client/decisions';
import type { PeriodApproval } from '../../domain/period-approval';
import { audited, cliDecision, operatorIdentityOf, operatorOf } from '../operator-action';
import { CliError, printRows, Runtime } from '../runtime';

function checkPeriod(text: string): string {
  if (!isPeriod(text)) throw new CliError(`--period ${text}: give the month as YYYY-MM, e.g. 2026-12`);
  return text;
}

function registerList(period: Command, rt: Runtime): void {
  period
    .command('list')
    .description('billing periods, newest first: state, close step, balances, invoices issued, missing providers')
    .option('--limit <n>', 'how many (at most 120)', '24')
    .option('--json', 'print JSON')
    .action(async (opts: { limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit ${opts.limit}: give a whole number from 1`);
      const rows = await listPeriods(await rt.db(), limit);
      printRows(rows.map((r) => ({
        period: r.period, state: r.state, step: r.step ?? '', balances: r.balances ?? '', invoices: r.invoicesIssued ?? '',
        closing: r.closingTotal ?? '', missing: r.missingProviders.join(','),
      })), Boolean(opts.json));
    });
}

function registerShow(period: Command, rt: Runtime): void {
  period
    .command('show')
    .description('one period: its close (step, totals, next invoices) and every provider\'s upload and Σ closing')
    .requiredOption('--period <yyyy-mm>', 'the billing month')
    .option('--json', 'print JSON')
    .action(async (opts: { period: string; json?: boolean }) => {
      const view = await loadPeriod(await rt.db(), checkPeriod(opts.period));
      if (!view) throw new CliError(`no billing period ${opts.period}`);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
        return;
      }
      const link = view.workflowId ? rt.workflowUrl(view.workflowId) : undefined;
      process.stdout.write(`period ${view.period}: ${view.state}${view.step ? `, close at step ${view.step}` : ', not closing'}${link ? `\n  ${link}` : ''}\n`);
      if (view.totals) {
        const t = view.totals;
        process.stdout.write(`  opening ${t.opening} + charged ${t.charged} + recalculated ${t.recalculated} − paid ${t.paid} + corrected ${t.corrected} = closing ${t.closing}\n`);
        process.stdout.write(`  ${view.balances} balances, ${view.paymentsCounted} payments counted, ${view.invoicesIssued ?? 0} invoices issued${view.nextDueDate ? ` (due ${view.nextDueDate})` : ''}\n`);
      }
      printRows(view.providers.map((p) => ({ provider: p.provider, upload: p.uploadedVersion === null ? 'missing' : `v${p.uploadedVersion}`, closing: p.closing ?? '' })), false);
      if (view.step === null) {
        const t = await rt.temporal();
        // The rows above are the answer; the approval is the engine's to tell, when it answers.
        const approval = await getPeriodApproval({ client: t.client }, view.period).catch((err: Error) => `  approval unknown: ${err.message}`);
        if (typeof approval === 'string') process.stdout.write(`${approval}\n`);
        else if (approval) process.stdout.write(`${approvalLine(approval)}\n`);
      }
    });
}

function approvalLine(a: PeriodApproval): string {
  const refused = a.refusals.map((r) => `\n  refused  ${r.operator} at ${r.at}: ${r.code}`).join('');
  if (a.status === 'awaiting' || a.status === 'proposing') {
    return `  close proposed by ${a.proposedBy}, waiting for a second person (${a.reminders} reminder(s)): spc period approve|reject --period ${a.period} (a supervisor or admin other than ${a.proposedBy})${refused}`;
  }
  const d = a.decision;
  return `  close proposed by ${a.proposedBy}, ${a.status}${d ? ` by ${d.operator} at ${d.at}${d.note ? `: ${d.note}` : ''}` : ''}${refused}`;
}

function registerDecide(period: Command, rt: Runtime, verb: 'approve' | 'reject', approve: boolean): void {
  const cmd = period
    .command(verb)
    .description(`${verb} a proposed close (four eyes: a supervisor or admin other than the proposer)`)
    .requiredOption('--period <yyyy-mm>', 'the billing month');
  if (approve) cmd.option('--note <text>', 'kept with the decision');
  else cmd.option('--reason <text>', 'why (required, kept with the decision)').option('--note <text>', 'the same as --reason');
  cmd
    .option('--operator <name>', `who ${verb}s (or SPC_OPERATOR)`)
    .option('--json', 'print JSON')
    .action(async (opts: { period: string; reason?: string; note?: string; operator?: string; json?: boolean }) => {
      const p = checkPeriod(opts.period);
      // The role is client/decisions.ts's to check, as for /ops: here only who the token names.
      const decider = await operatorIdentityOf(rt, `period ${verb}`, opts.operator, { roles: ALL_OPERATOR_ROLES });
      const t = await rt.temporal();
      const ctx = { client: t.client, taskQueue: t.taskQueue, db: await rt.db() };
      const r = await cliDecision(() => decide(ctx, { subject: { kind: 'period', period: p }, approve, note: opts.reason ?? opts.note, decider }));
      if (r.kind !== 'period') throw new Error('a period decision answered for a correction');
      process.stdout.write(opts.json ? `${JSON.stringify(r.approval, null, 2)}\n` : `period ${p}:\n${approvalLine(r.approval)}\n`);
    });
}

function registerClose(period: Command, rt: Runtime): void {
  period
    .command('close')
    .description('propose the close of a billing period (balances, the ledger\'s receivables, the next invoices); it begins when a second person approves')
    .requiredOption('--period <yyyy-mm>', 'the billing month')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .option('--wait', 'wait for the close (its approval and its steps) to finish and print its figures')
    .action(async (opts: { period: string; operator?: string; wait?: boolean }) => {
      const p = checkPeriod(opts.period);
      // It issues every household's next invoice: a supervisor's or an admin's to start (docs/operators.md).
      const operator = await operatorOf(rt, 'period close', opts.operator, { roles: APPROVING_ROLES });
      const t = await rt.temporal();
      const ctx = { client: t.client, taskQueue: t.taskQueue };
      const started = await audited(rt, operator, 'period.close', { period: p }, () => startPeriodClose(ctx, p, operator), (r) => (r.alreadyStarted ? 'already_started' : 'started'));
      process.stdout.write(`${started.alreadyStarted ? 'already started' : 'started'} ${started.workflowId}\n`);
      if (!started.alreadyStarted) process.stdout.write(`  proposed by ${operator}: it begins when a second supervisor or admin runs spc period approve --period ${p}\n`);
      if (!opts.wait) {
        process.stdout.write(`  follow it with: spc period show --period ${p}\n`);
        return;
      }
      const result = await periodCloseResult(ctx, p).catch((err: Error & { code?: string }) => {
        throw new CliError(err.code ? `${err.code}: ${err.message}` : err.message);
      });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}

export function registerPeriodCommands(program: Command, rt: Runtime): void {
  const period = program.command('period').description('billing periods: the monthly close and the next invoices (issue 18)');
  registerList(period, rt);
  registerShow(period, rt);
  registerClose(period, rt);
  for (const [verb, approve] of [['approve', true], ['reject', false]] as const) registerDecide(period, rt, verb, approve);
}
