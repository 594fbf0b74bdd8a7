// `spc demo`'s planner: the payments of the simulated day, one per bank and channel in three shapes,
// and the three classic rejections. Pure: the same accounts and date give the same plan.
import { almatyToUtc } from '../../domain/calendar';
import { Money, formatAmount } from '../../domain/money';
import type { Channel, PaymentRequest } from '../../domain/payment-types';

export const DEMO_CHANNELS: Channel[] = ['cash_desk', 'online', 'kiosk'];

export interface Bank {
  code: string;
  cutoff_local: string;
}

export interface DemoLine {
  service: string;
  due: Money;
  meterId: string | null;
  previous: Money;
}

export interface DemoAccount {
  number: string;
  lines: DemoLine[];
}

export interface PlannedPayment {
  label: string;
  request: PaymentRequest;
  /** What the demo expects: accepted, or the rejection code it provokes. */
  expect: 'accepted' | string;
}

export function totalDue(a: DemoAccount): Money {
  return a.lines.reduce((t, l) => t.plus(l.due), new Money(0));
}

/** A paidAt on the simulated date: 09:00 plus a step per payment, never past the bank's cut-off or now. */
export function paidAtFor(date: string, bank: Bank, index: number, now: Date): string {
  const start = almatyToUtc(date, '09:00').getTime() + index * 60_000;
  const latest = Math.min(almatyToUtc(date, bank.cutoff_local).getTime() - 60_000, now.getTime() - 60_000);
  return new Date(Math.min(start, latest)).toISOString();
}

export function planPayments(runTag: string, date: string, banks: Bank[], accounts: DemoAccount[], unknownAccount: string, now: Date): PlannedPayment[] {
  const plan: PlannedPayment[] = [];
  let n = 0;
  const ref = () => `demo-${runTag}-${String(++n).padStart(3, '0')}`;
  const account = (i: number) => accounts[i % accounts.length] as DemoAccount;
  banks.forEach((bank, b) => {
    DEMO_CHANNELS.forEach((channel, c) => {
      const i = b * DEMO_CHANNELS.length + c;
      const a = account(i);
      const base = { bankCode: bank.code, bankRef: ref(), channel, account: a.number, paidAt: paidAtFor(date, bank, i, now) };
      const shape = i % 3;
      if (shape === 0) {
        plan.push({ label: 'the whole invoice', request: { ...base, amount: formatAmount(totalDue(a)) }, expect: 'accepted' });
      } else if (shape === 1) {
        const half = totalDue(a).div(2).toDecimalPlaces(2, Money.ROUND_DOWN);
        plan.push({ label: 'half, split in proportion', request: { ...base, amount: formatAmount(half.gt(0) ? half : new Money('100')) }, expect: 'accepted' });
      } else {
        const lines = a.lines.filter((l) => l.due.gt(0)).slice(0, 2).map((l) => ({ service: l.service, amount: formatAmount(l.due) }));
        const amount = formatAmount(lines.reduce((t, l) => t.plus(l.amount), new Money(0)));
        const metered = a.lines.find((l) => l.meterId !== null);
        const readings = metered ? [{ service: metered.service, value: metered.previous.plus(12).toFixed(3) }] : undefined;
        plan.push({ label: `per service${readings ? ' with a meter reading' : ''}`, request: { ...base, amount, lines, readings }, expect: 'accepted' });
      }
    });
  });
  const bank = banks[0] as Bank;
  const a = account(0);
  const paidAt = paidAtFor(date, bank, 100, now);
  plan.push({ label: 'unknown account', request: { bankCode: bank.code, bankRef: ref(), channel: 'cash_desk', account: unknownAccount, amount: '1000.00', paidAt }, expect: 'ACCOUNT_NOT_FOUND' });
  const [l1, l2] = a.lines.filter((l) => l.due.gt(0));
  if (l1 && l2) {
    plan.push({
      label: 'lines that do not add up',
      request: { bankCode: bank.code, bankRef: ref(), channel: 'online', account: a.number, amount: '1000.00', lines: [{ service: l1.service, amount: '400.00' }, { service: l2.service, amount: '500.00' }], paidAt },
      expect: 'AMOUNT_MISMATCH',
    });
  }
  const withMeter = accounts.flatMap((x) => x.lines.filter((l) => l.meterId !== null && l.previous.gte(1)).map((l) => ({ x, l })))[0];
  if (withMeter) {
    plan.push({
      label: 'meter reading below the previous one',
      request: {
        bankCode: bank.code, bankRef: ref(), channel: 'kiosk', account: withMeter.x.number, amount: '500.00',
        readings: [{ service: withMeter.l.service, value: withMeter.l.previous.minus(1).toFixed(3) }], paidAt,
      },
      expect: 'READING_BELOW_PREVIOUS',
    });
  }
  return plan;
}
