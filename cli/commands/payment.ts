// Payment commands: pay, payment show, payment cancel.
import type { Command } from 'commander';
import { cancelPayment, submitPayment } from '../../client/payments';
import { CHANNELS, paymentWorkflowId, type Channel, type PaymentRequest } from '../../domain/payment-types';
import { paymentNotFoundMessage } from '../../domain/cancellation';
import { correctionsOf, findPayment, latestRejection } from '../../db/queries/payments';
import { truncateForMessage } from '../../domain/echo';
import { INSTANT_EXAMPLE, parseIsoInstant } from '../../domain/instant';
import { CliError, Runtime } from '../runtime';

function parsePairs(values: string[] | undefined, what: string): Array<{ service: string; value: string }> | undefined {
  if (!values || values.length === 0) return undefined;
  return values.map((v) => {
    const m = /^([A-Z][A-Z0-9_]*)=(.+)$/.exec(v);
    if (!m) throw new CliError(`${what} must look like SERVICE=VALUE (for example ELEC=1250.00), got ${JSON.stringify(v)}`);
    return { service: m[1] as string, value: m[2] as string };
  });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function registerPay(program: Command, rt: Runtime): void {
  program
    .command('pay')
    .description('submit a payment as a bank would, and print the SPC\'s answer')
    .requiredOption('--bank <code>', 'bank code, e.g. HSBK')
    .requiredOption('--ref <bankRef>', 'the bank\'s own reference (idempotency key)')
    .requiredOption('--account <number>', 'personal account number')
    .requiredOption('--amount <kzt>', 'total amount, e.g. 1000.00')
    .option('--channel <channel>', `one of ${CHANNELS.join(', ')}`, 'cash_desk')
    .option('--line <SERVICE=AMOUNT>', 'per-service amount (repeat); omitted: split in proportion to amounts due', collect)
    .option('--reading <SERVICE=VALUE>', 'meter reading (repeat)', collect)
    .option('--paid-at <iso>', `when the bank accepted the money, ISO-8601 with a zone (e.g. ${INSTANT_EXAMPLE}); default now`)
    .option('--json', 'print JSON')
    .action(async (opts: { bank: string; ref: string; account: string; amount: string; channel: string; line?: string[]; reading?: string[]; paidAt?: string; json?: boolean }) => {
      if (!CHANNELS.includes(opts.channel as Channel)) throw new CliError(`--channel must be one of ${CHANNELS.join(', ')}`);
      // Checked here with the rule validation applies, so a time without a zone is never read in
      // this host's zone and a malformed one is a one-line message, not a stack.
      if (opts.paidAt !== undefined && parseIsoInstant(opts.paidAt) === null) {
        throw new CliError(`--paid-at must be an ISO-8601 instant with a zone and a real date, such as ${INSTANT_EXAMPLE}; got ${truncateForMessage(opts.paidAt)}`);
      }
      const request: PaymentRequest = {
        bankCode: opts.bank,
        bankRef: opts.ref,
        channel: opts.channel as Channel,
        account: opts.account,
        amount: opts.amount,
        lines: parsePairs(opts.line, '--line')?.map((p) => ({ service: p.service, amount: p.value })),
        readings: parsePairs(opts.reading, '--reading'),
        paidAt: opts.paidAt,
      };
      const t = await rt.temporal();
      const outcome = await submitPayment({ client: t.client, taskQueue: t.taskQueue, db: await rt.db() }, request);
      if (opts.json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      if (!outcome.ok) {
        if (!opts.json) process.stderr.write(`rejected: ${outcome.code}: ${outcome.message}\n`);
        process.exitCode = 3;
        return;
      }
      if (!opts.json) {
        const p = outcome.payment;
        process.stdout.write(`accepted ${p.paymentId}: ${p.amount} KZT, business date ${p.businessDate}, cancellable until ${p.closesAt}\n`);
        for (const a of p.allocations) process.stdout.write(`  ${a.service.padEnd(10)} ${a.provider.padEnd(16)} ${a.amount.padStart(14)}\n`);
      }
    });
}

function registerShow(payment: Command, rt: Runtime): void {
  payment
    .command('show <bank> <bankRef>')
    .description('the payment as Postgres records it (the same read model as the bank API), with the Temporal UI link of the workflow that wrote it')
    .option('--json', 'print JSON')
    .action(async (bank: string, bankRef: string, opts: { json?: boolean }) => {
      const db = await rt.db();
      const record = await findPayment(db, bank, bankRef);
      const rejection = record ? null : await latestRejection(db, bank, bankRef);
      if (!record && !rejection) throw new CliError(paymentNotFoundMessage(bank, bankRef));
      const workflowId = record?.workflowId ?? rejection?.workflowId ?? paymentWorkflowId(bank, bankRef);
      const out = {
        paymentId: paymentWorkflowId(bank, bankRef),
        effectiveStatus: record?.effectiveStatus ?? 'rejected',
        record,
        rejection,
        corrections: await correctionsOf(db, bank, bankRef),
        temporalUi: rt.workflowUrl(workflowId, record?.runId),
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${out.paymentId}  ${out.effectiveStatus}  (written by ${workflowId})\n`);
      if (record) {
        process.stdout.write(`  amount ${record.amount} KZT, account ${record.account}, ${record.channel}, business date ${record.businessDate}, cut-off ${record.closesAt}\n`);
        for (const a of record.allocations) process.stdout.write(`  ${a.service.padEnd(10)} ${a.provider.padEnd(16)} ${a.amount.padStart(14)}\n`);
        if (record.cancelledAt) process.stdout.write(`  cancelled at ${record.cancelledAt}, reversed ${record.amount}\n`);
        if (record.settlementId) process.stdout.write(`  settlement ${record.settlementId}: ${record.settlementStatus}\n`);
      }
      if (rejection) process.stdout.write(`  rejected: ${rejection.code}: ${rejection.message}\n`);
      for (const c of out.corrections) process.stdout.write(`  correction ${c.ref} ${c.kind} ${c.status}${c.mode ? ` (${c.mode})` : ''}: spc correction show ${c.ref}\n`);
      if (out.temporalUi) process.stdout.write(`  ${out.temporalUi}\n`);
    });
}

function registerCancel(payment: Command, rt: Runtime): void {
  payment
    .command('cancel <bank> <bankRef>')
    .description('cancel a payment before its bank-day closes (posts a reversal)')
    .option('--reason <text>', 'why', '')
    .action(async (bank: string, bankRef: string, opts: { reason: string }) => {
      const t = await rt.temporal();
      const outcome = await cancelPayment({ client: t.client, taskQueue: t.taskQueue }, bank, bankRef, opts.reason);
      if (!outcome.ok) throw new CliError(`${outcome.code}: ${outcome.message}`);
      process.stdout.write(`cancelled ${outcome.cancellation.paymentId} at ${outcome.cancellation.cancelledAt}; reversed ${outcome.cancellation.reversedAmount} KZT\n`);
    });
}

export function registerPaymentCommands(program: Command, rt: Runtime): void {
  registerPay(program, rt);
  const payment = program.command('payment').description('inspect or cancel one payment');
  registerShow(payment, rt);
  registerCancel(payment, rt);
}
