// Complaint commands: complaint raise (for a payer who called), assign, resolve, close, show, list.
// The complaint workflow records each operator step in operator_audit.
import type { Command } from 'commander';
import {
  assignComplaint, closeComplaint, getComplaint, listComplaints, raiseComplaint, resolveComplaint, type ComplaintView,
} from '../../client/complaints';
import { printableText } from '../../domain/free-text';
import { DISPOSITIONS, complaintWorkflowId, type Disposition } from '../../domain/complaint-types';
import { operatorOf } from '../operator-action';
import { CliError, printRows, Runtime } from '../runtime';

async function ctxOf(rt: Runtime) {
  const t = await rt.temporal();
  return { client: t.client, taskQueue: t.taskQueue, db: await rt.db() };
}

function print(c: ComplaintView, link?: string): void {
  const out = [
    `${c.id}  ${c.status}  (raised by ${c.raisedBy} at ${c.createdAt}; deadline ${c.deadlineAt}${c.escalatedAt ? `, escalated ${c.escalatedAt}` : ''})`,
    `  text     ${printableText(c.text)}`,
  ];
  if (c.assignee) out.push(`  assignee ${c.assignee}`);
  if (c.twinBankRef) out.push(`  twin     ${c.bankCode}/${c.twinBankRef} (same account and amount)`);
  if (c.correctionId) out.push(`  correction ${c.correctionId}${c.resolution ? '' : ': spc correction show / approve it'}`);
  if (c.resolution) out.push(`  resolved by ${c.resolution.by} at ${c.resolution.at}: ${c.resolution.kind === 'correction' ? `correction ${c.resolution.correctionId}` : printableText(c.resolution.text)}`);
  if (link) out.push(`  ${link}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

export function registerComplaintCommands(program: Command, rt: Runtime): void {
  const complaint = program.command('complaint').description('complaints about payments: raise, assign, resolve, close (docs/complaints.md)');

  complaint
    .command('raise <bank> <bankRef>')
    .description('raise a complaint for a payer who called')
    .requiredOption('--disposition <code>', DISPOSITIONS.join(' | '))
    .requiredOption('--text <text>', 'what the payer says')
    .option('--operator <name>', 'who raises it (or SPC_OPERATOR)')
    .action(async (bank: string, bankRef: string, opts: { disposition: string; text: string; operator?: string }) => {
      const operator = await operatorOf(rt, 'complaint raise', opts.operator);
      const { complaint: c } = await raiseComplaint(await ctxOf(rt), { bankCode: bank, bankRef, disposition: opts.disposition as Disposition, text: opts.text, raisedBy: operator });
      print(c, rt.workflowUrl(c.workflowId));
    });

  complaint
    .command('assign <id>')
    .option('--to <operator>', 'assignee (default: you)')
    .option('--operator <name>', 'who assigns (or SPC_OPERATOR)')
    .action(async (id: string, opts: { to?: string; operator?: string }) => {
      const operator = await operatorOf(rt, 'complaint assign', opts.operator);
      const s = await assignComplaint(await ctxOf(rt), id, { operator, assignee: opts.to });
      process.stdout.write(`${id}: ${s.status}, assigned to ${s.assignee}\n`);
    });

  complaint
    .command('resolve <id>')
    .description('resolve with an applied correction or with an explanation')
    .option('--correction <id>', 'the applied correction that answers it')
    .option('--explanation <text>', 'why nothing needs correcting')
    .option('--operator <name>', 'who resolves (or SPC_OPERATOR)')
    .action(async (id: string, opts: { correction?: string; explanation?: string; operator?: string }) => {
      const operator = await operatorOf(rt, 'complaint resolve', opts.operator);
      const s = await resolveComplaint(await ctxOf(rt), id, { operator, correctionId: opts.correction, explanation: opts.explanation });
      process.stdout.write(`${id}: ${s.status}\n`);
    });

  complaint
    .command('close <id>')
    .option('--operator <name>', 'who closes (or SPC_OPERATOR)')
    .action(async (id: string, opts: { operator?: string }) => {
      const operator = await operatorOf(rt, 'complaint close', opts.operator);
      const s = await closeComplaint(await ctxOf(rt), id, { operator });
      process.stdout.write(`${id}: ${s.status}\n`);
    });

  complaint
    .command('show <id>')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const c = await getComplaint(await rt.db(), id);
      if (!c) throw new CliError(`COMPLAINT_NOT_FOUND: no complaint ${id}`);
      const link = rt.workflowUrl(complaintWorkflowId(id));
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...c, temporalUi: link ?? null }, null, 2)}\n`);
      else print(c, link);
    });

  complaint
    .command('list')
    .option('--bank <code>', 'only this bank')
    .option('--status <status>', 'open | assigned | resolved | closed | escalated')
    .option('--limit <n>', 'at most this many (default 50)', '50')
    .option('--json', 'print JSON')
    .action(async (opts: { bank?: string; status?: string; limit: string; json?: boolean }) => {
      const rows = await listComplaints(await rt.db(), { bank: opts.bank, status: opts.status, limit: Number(opts.limit) });
      printRows(rows.map((c) => ({ ...c, ui: rt.workflowUrl(c.workflowId) ?? null })), Boolean(opts.json), ['id', 'status', 'disposition', 'assignee', 'deadlineAt', 'correctionId', 'ui']);
    });
}
