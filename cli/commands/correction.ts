// Correction commands: correction propose/approve/reject/show/list. The correction workflow records
// each step in operator_audit; a step refused before it reaches the workflow is recorded here.
import type { Command } from 'commander';
import {
  CorrectionActionError, getCorrectionState, listCorrections, proposeCorrection, resolveCorrectionId, type CorrectionState,
} from '../../client/corrections';
import { recordOperatorAction } from '../../db/operator-audit';
import { cliDecision, operatorIdentityOf, operatorOf } from '../operator-action';
import { decide } from '../../client/decisions';
import { ALL_OPERATOR_ROLES } from '../../domain/operator-roles';
import { CORRECTION_KINDS, type CorrectionKind } from '../../domain/correction-types';
import { CliError, printRows, Runtime } from '../runtime';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function parseLines(values: string[] | undefined): Array<{ service: string; amount: string }> | undefined {
  if (!values?.length) return undefined;
  return values.map((v) => {
    const m = /^([A-Z][A-Z0-9_]*)=(\d+(\.\d{1,2})?)$/.exec(v);
    if (!m) throw new CliError(`--line must look like SERVICE=AMOUNT (for example CWATER=450.00), got ${JSON.stringify(v)}`);
    return { service: m[1] as string, amount: m[2] as string };
  });
}

async function ctxOf(rt: Runtime) {
  const t = await rt.temporal();
  return { client: t.client, taskQueue: t.taskQueue, db: await rt.db() };
}

function printCorrection(s: CorrectionState, link?: string): void {
  const out = [`${s.correctionId}  ${s.ref ?? ''}  ${s.kind}  ${s.status}  (proposed by ${s.proposedBy}${s.complaintId ? `, complaint ${s.complaintId}` : ''})`, `  reason   ${s.reason}`];
  const p = s.preview;
  if (p) {
    out.push(`  payment  ${s.bankCode}/${s.bankRef} ${p.amount} KZT, business date ${p.businessDate}, account ${p.accountFrom}${p.accountTo ? ` -> ${p.accountTo}` : ''}`);
    out.push(`  before   ${p.oldAllocations.map((a) => `${a.service}/${a.provider} ${a.amount}`).join(', ')}`);
    out.push(`  after    ${p.newAllocations.map((a) => `${a.service}/${a.provider} ${a.amount}`).join(', ') || '(refunded to the payer)'}`);
  }
  if (s.status === 'proposed') out.push(`  waiting for a second operator (${s.reminders} reminder(s)): spc correction approve ${s.ref} | reject ${s.ref} (a supervisor or admin other than ${s.proposedBy})`);
  for (const r of s.refusals) out.push(`  refused  ${r.operator} at ${r.at}: ${r.code}`);
  if (s.decision) out.push(`  decision ${s.decision.approve ? 'approved' : 'rejected'} by ${s.decision.operator} at ${s.decision.at}${s.decision.note ? `: ${s.decision.note}` : ''}`);
  const a = s.applied;
  if (a) {
    out.push(`  applied  ${a.mode} at ${a.appliedAt}${a.replacementRef ? `, replacement payment ${a.replacementRef} on ${a.businessDate}` : ''}`);
    for (const adj of a.adjustments) out.push(`  adjust   ${adj.provider.padEnd(18)} ${adj.amount.padStart(14)}  (on ${s.bankCode}'s next list)`);
  }
  if (link) out.push(`  ${link}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

function registerPropose(correction: Command, rt: Runtime): void {
  correction
    .command('propose <bank> <bankRef>')
    .description('propose a correction; before the bank-day closes it reposts the payment, after, it adjusts the bank\'s next list')
    .requiredOption('--kind <kind>', CORRECTION_KINDS.join(' | '))
    .option('--to-account <number>', 'move: the right personal account')
    .option('--line <SERVICE=AMOUNT>', 'move/resplit: per-service amounts of the new split (repeat)', collect)
    .requiredOption('--reason <text>', 'why (kept with the correction)')
    .option('--complaint <id>', 'the complaint this answers')
    .option('--operator <name>', 'who proposes (or SPC_OPERATOR)')
    .option('--json', 'print JSON')
    .action(async (bank: string, bankRef: string, opts: { kind: string; toAccount?: string; line?: string[]; reason: string; complaint?: string; operator?: string; json?: boolean }) => {
      const operator = await operatorOf(rt, 'correction propose', opts.operator);
      if (!CORRECTION_KINDS.includes(opts.kind as CorrectionKind)) throw new CliError(`--kind must be one of ${CORRECTION_KINDS.join(', ')}`);
      const ctx = await ctxOf(rt);
      try {
        const s = await proposeCorrection(ctx, {
          bankCode: bank, bankRef, kind: opts.kind as CorrectionKind, target: { account: opts.toAccount, lines: parseLines(opts.line) }, reason: opts.reason, operator, complaintId: opts.complaint,
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        else printCorrection(s, rt.workflowUrl(s.correctionId));
      } catch (err) {
        if (!(err instanceof CorrectionActionError)) throw err;
        await recordOperatorAction(ctx.db, { operator, action: 'correction.propose', args: { bankCode: bank, bankRef, kind: opts.kind }, outcome: `refused: ${err.code}` });
        throw new CliError(`${err.code}: ${err.message}`);
      }
    });
}

function registerDecide(correction: Command, rt: Runtime, verb: 'approve' | 'reject', approve: boolean): void {
  const cmd = correction
    .command(`${verb} <correction>`)
    .description(`${verb} a proposed correction (its id or K<seq>); the proposer cannot`);
  if (approve) cmd.option('--note <text>', 'kept with the decision');
  else cmd.option('--reason <text>', 'why (required, kept with the decision)').option('--note <text>', 'the same as --reason');
  cmd
    .option('--operator <name>', `who ${verb}s (or SPC_OPERATOR)`)
    .option('--json', 'print JSON')
    .action(async (idOrRef: string, opts: { reason?: string; note?: string; operator?: string; json?: boolean }) => {
      // The role is client/decisions.ts's to check, as for /ops: here only who the token names.
      const decider = await operatorIdentityOf(rt, `correction ${verb}`, opts.operator, { roles: ALL_OPERATOR_ROLES });
      const s = await cliDecision(() => ctxOf(rt).then((ctx) => decide(ctx, { subject: { kind: 'correction', ref: idOrRef }, approve, note: opts.reason ?? opts.note, decider })));
      if (s.kind !== 'correction') throw new Error('a correction decision answered for a period');
      if (opts.json) process.stdout.write(`${JSON.stringify(s.correction, null, 2)}\n`);
      else printCorrection(s.correction, rt.workflowUrl(s.correction.correctionId));
    });
}

function registerReads(correction: Command, rt: Runtime): void {
  correction
    .command('show <correction>')
    .description('a correction (its id or K<seq>) from its workflow, with its Temporal UI link')
    .option('--json', 'print JSON')
    .action(async (idOrRef: string, opts: { json?: boolean }) => {
      const ctx = await ctxOf(rt);
      const id = (await resolveCorrectionId(ctx.db, idOrRef)) ?? idOrRef;
      const s = await getCorrectionState(ctx, id);
      if (!s) throw new CliError(`CORRECTION_NOT_FOUND: no correction ${idOrRef}`);
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...s, temporalUi: rt.workflowUrl(id) ?? null }, null, 2)}\n`);
      else printCorrection(s, rt.workflowUrl(id));
    });

  correction
    .command('list')
    .description('corrections, newest first')
    .option('--bank <code>', 'only this bank')
    .option('--status <status>', 'proposed | applied | rejected')
    .option('--limit <n>', 'at most this many (default 50)', '50')
    .option('--json', 'print JSON')
    .action(async (opts: { bank?: string; status?: string; limit: string; json?: boolean }) => {
      const rows = await listCorrections(await rt.db(), { bank: opts.bank, status: opts.status, limit: Number(opts.limit) });
      printRows(rows.map((r) => ({ ...r, ui: opts.json ? rt.workflowUrl(r.id) ?? null : undefined })), Boolean(opts.json),
        ['ref', 'id', 'kind', 'status', 'mode', 'amount', 'accountFrom', 'accountTo', 'proposedBy', 'decidedBy', 'pendingAdjustments']);
    });
}

export function registerCorrectionCommands(program: Command, rt: Runtime): void {
  const correction = program.command('correction').description('correct a payment (move, resplit, refund) with four eyes: one operator proposes, another approves');
  registerPropose(correction, rt);
  for (const [verb, approve] of [['approve', true], ['reject', false]] as const) registerDecide(correction, rt, verb, approve);
  registerReads(correction, rt);
}
