// `spc demo`'s steps before settlement: the planned payments, a cancellation and a register.
import { createHash } from 'node:crypto';
import { submitPayment, cancelPayment, type SubmitOutcome } from '../../client/payments';
import { submitRegister } from '../../client/registers';
import { parseRegisterCsv } from '../../domain/register-csv';
import { Money, formatAmount } from '../../domain/money';
import { registerBusinessDates, registerProgress } from '../../db/queries/registers';
import { paidAtFor, planPayments, totalDue, type Bank, type DemoAccount } from './demo-plan';
import { DEMO_SUBMIT_CONCURRENCY, mapLimited, unknownAccountOf, waitFor, type DemoRun } from './demo-run';

/** 1. Payments: every bank and channel, and the three classic rejections. */
export async function demoPayments(run: DemoRun): Promise<void> {
  const plan = planPayments(run.runTag, run.date, run.banks, run.accounts, await unknownAccountOf(run.db), run.now);
  const outcomes = await mapLimited(plan, DEMO_SUBMIT_CONCURRENCY, (p) => submitPayment(run.ctx, p.request));
  run.say('Payments:');
  plan.forEach((p, i) => {
    const o = outcomes[i] as SubmitOutcome;
    const outcome = o.ok ? `accepted for ${o.payment.businessDate}` : `rejected ${o.code}`;
    if (o.ok) run.touched.add(`${p.request.bankCode}|${o.payment.businessDate}`);
    const surprise = (o.ok ? 'accepted' : o.code) !== p.expect ? `   (expected ${p.expect})` : '';
    run.report.payments.push({ label: p.label, bankRef: p.request.bankRef, bank: p.request.bankCode, channel: p.request.channel, amount: p.request.amount, outcome: o.ok ? 'accepted' : o.code, businessDate: o.ok ? o.payment.businessDate : undefined });
    run.say(`  ${p.request.bankCode} ${p.request.channel.padEnd(9)} ${p.request.bankRef}  ${p.request.amount.padStart(10)}  ${p.label.padEnd(36)} ${outcome}${surprise}`);
  });
}

/**
 * 2. A cancellation. Only a payment whose bank-day has not reached its cut-off can be cancelled, so
 * this one is paid now: it lands on the bank's current open business day.
 */
export async function demoCancellation(run: DemoRun): Promise<void> {
  const cancelBank = (run.banks[1] ?? run.banks[0]) as Bank;
  const cancelAccount = run.accounts[run.accounts.length - 1] as DemoAccount;
  const cancelRef = `demo-${run.runTag}-cancel`;
  const paid = await submitPayment(run.ctx, { bankCode: cancelBank.code, bankRef: cancelRef, channel: 'online', account: cancelAccount.number, amount: '1500.00' });
  if (!paid.ok) {
    run.report.cancellation = { bankRef: cancelRef, outcome: `payment rejected ${paid.code}` };
    run.say(`\nCancellation: the payment to cancel was rejected (${paid.code}: ${paid.message})`);
    return;
  }
  run.touched.add(`${cancelBank.code}|${paid.payment.businessDate}`);
  const cancelled = await cancelPayment(run.ctx, cancelBank.code, cancelRef, 'payer asked to cancel (demo)');
  const outcome = cancelled.ok ? `cancelled, ${cancelled.cancellation.reversedAmount} reversed` : `not cancelled: ${cancelled.code}`;
  run.report.cancellation = { bankRef: cancelRef, outcome };
  run.say(`\nCancellation: ${cancelBank.code} ${cancelRef} 1500.00 paid now for ${paid.payment.businessDate}, then ${outcome}`);
}

/** 3. A register: the paper flow of one bank, three rows. */
export async function demoRegister(run: DemoRun): Promise<void> {
  const { db, accounts, date } = run;
  const regBank = run.banks[run.banks.length - 1] as Bank;
  const regRows = [0, 1, 2].map((k) => {
    const a = accounts[(k + 3) % accounts.length] as DemoAccount;
    return { ref: `demo-${run.runTag}-reg-${k + 1}`, account: a.number, amount: formatAmount(totalDue(a)), paidAt: paidAtFor(date, regBank, 200 + k, run.now) };
  });
  const regTotal = formatAmount(regRows.reduce((s, r) => s.plus(r.amount), new Money(0)));
  const csv = [
    `#register;business_date=${date};count=${regRows.length};total=${regTotal}`,
    'bank_ref;account;amount;paid_at;pile_no',
    ...regRows.map((r) => `${r.ref};${r.account};${r.amount};${r.paidAt};PILE-1`),
    '',
  ].join('\n');
  const parsed = parseRegisterCsv(csv);
  if (!parsed.ok) throw new Error(`invariant: the demo register does not parse: ${JSON.stringify(parsed.errors)}`);
  const sha = createHash('sha256').update(csv).digest('hex');
  const { register } = await submitRegister({ db, ...run.ctx }, regBank.code, sha, parsed.header, parsed.rows);
  const done = await waitFor(`register ${register.id}`, async () => {
    const row = await registerProgress(db, register.id);
    return row?.status === 'done' ? row : undefined;
  });
  run.report.register = { id: register.id, rows: regRows.length, accepted: done.rows_accepted, rejected: done.rows_rejected };
  for (const day of await registerBusinessDates(db, register.id)) run.touched.add(`${regBank.code}|${day}`);
  run.say(`\nRegister ${register.id} of ${regBank.code} for ${date}: ${regRows.length} rows, total ${regTotal}: ${done.rows_accepted} accepted, ${done.rows_rejected} rejected`);
}
