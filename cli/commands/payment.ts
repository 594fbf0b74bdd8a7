// Payment commands: pay, payment show, payment cancel.
import type { Command } from 'commander';
import { cancelPayment, getPayment, submitPayment } from '../../client/payments';
import { CHANNELS, type Channel, type PaymentRequest } from '../../domain/payment-types';
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

export function registerPaymentCommands(program: Command, rt: Runtime): void {
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
      const outcome = await submitPayment({ client: t.client, taskQueue: t.taskQueue }, request);
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

  const payment = program.command('payment').description('inspect or cancel one payment');
  payment
    .command('show <bank> <bankRef>')
    .description('the payment\'s state from its workflow and the database, with its Temporal UI link')
    .option('--json', 'print JSON')
    .action(async (bank: string, bankRef: string, opts: { json?: boolean }) => {
      const t = await rt.temporal();
      const view = await getPayment({ client: t.client, taskQueue: t.taskQueue }, bank, bankRef);
      if (!view) throw new CliError(`no payment ${bankRef} of bank ${bank}`);
      const db = await rt.db();
      const row = await db('payments').where({ bank_code: bank, bank_ref: bankRef }).first('id', 'status', 'business_date', 'amount', 'posted_at', 'cancelled_at', 'workflow_id', 'run_id');
      const settlement = row
        ? await db('settlements').where({ bank_code: bank, business_date: row.business_date }).first('id', 'status')
        : undefined;
      const out = {
        ...view,
        record: row ?? null,
        settlement: settlement ?? null,
        effectiveStatus: row?.status === 'accepted' && settlement?.status === 'settled' ? 'settled' : (row?.status ?? view.state.status),
        temporalUi: rt.workflowUrl(view.workflowId, view.runId),
      };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const s = view.state;
      process.stdout.write(`${view.workflowId}  ${out.effectiveStatus}  (workflow ${view.executionStatus}, run ${view.runId})\n`);
      if (s.accepted) {
        process.stdout.write(`  amount ${s.accepted.amount} KZT, business date ${s.accepted.businessDate}, cut-off ${s.accepted.closesAt}\n`);
        for (const a of s.accepted.allocations) process.stdout.write(`  ${a.service.padEnd(10)} ${a.provider.padEnd(16)} ${a.amount.padStart(14)}\n`);
      }
      if (s.rejection) process.stdout.write(`  rejected: ${s.rejection.code}: ${s.rejection.message}\n`);
      if (s.cancellation) process.stdout.write(`  cancelled at ${s.cancellation.cancelledAt}, reversed ${s.cancellation.reversedAmount}\n`);
      if (settlement) process.stdout.write(`  settlement ${settlement.id}: ${settlement.status}\n`);
      if (out.temporalUi) process.stdout.write(`  ${out.temporalUi}\n`);
    });

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
