// Splitting a payment over the services of an invoice.
//
// Rule (documented in the README): when the payer gives per-service amounts, they are taken as
// given. Otherwise the total is split in proportion to what each service still asks for: its amount
// due less what payments already received in the invoice's period put on it (`stillDue`). The
// shares are floored to the tiyn and the tiyn left over go, one each, to the services with the
// largest remainders (ties: the larger weight, then invoice order). When the invoice is paid in
// full (nothing still due anywhere) the payment is an overpayment and is split as one always was:
// in proportion to the amounts due, each service keeping its excess as credit toward its next
// charge; when nothing was due on any line either (all paid ahead), by the month's charges.
import { Money, ZERO, toTiyn, fromTiyn, sum } from './money';

export interface DueLine {
  service: string;
  /** What the invoice asks for on this line (never negative). */
  amountDue: Money;
  /** amountDue less the period's standing payments on this line, floored at zero (see stillDueOf). */
  stillDue: Money;
  charged: Money;
}

export interface Share {
  service: string;
  amount: Money;
}

/** Thrown when there is no basis to split a payment without per-service amounts. */
export class NothingToSplitError extends Error {
  override name = 'NothingToSplitError';
  constructor() {
    super('nothing is due or charged on this invoice: give per-service amounts');
  }
}

/** What a line still asks for after `paid` of it was received: never below zero (an overpaid line asks for nothing). */
export function stillDueOf(amountDue: Money, paid: Money): Money {
  const rest = amountDue.minus(paid);
  return rest.gt(0) ? rest : ZERO;
}

/** The first weighting that is not all zero: still due, then amount due, then charged (tiyn). */
function weightsOf(lines: readonly DueLine[]): bigint[] {
  for (const pick of [(l: DueLine) => l.stillDue, (l: DueLine) => l.amountDue, (l: DueLine) => l.charged]) {
    const weights = lines.map((l) => (pick(l).gt(0) ? toTiyn(pick(l)) : 0n));
    if (weights.some((w) => w > 0n)) return weights;
  }
  throw new NothingToSplitError();
}

export function splitProportionally(total: Money, lines: readonly DueLine[]): Share[] {
  const totalTiyn = toTiyn(total);
  if (totalTiyn <= 0n) throw new Error(`invariant: split of a non-positive total ${total.toString()}`);
  const weights = weightsOf(lines);
  const weightSum = weights.reduce((a, b) => a + b, 0n);

  const parts = lines.map((line, index) => {
    const weight = weights[index] ?? 0n;
    const numerator = totalTiyn * weight;
    return { index, line, weight, floor: numerator / weightSum, remainder: numerator % weightSum };
  });
  let leftover = totalTiyn - parts.reduce((a, p) => a + p.floor, 0n);
  const byRemainder = [...parts].sort((a, b) =>
    a.remainder !== b.remainder ? (b.remainder > a.remainder ? 1 : -1) : a.weight !== b.weight ? (b.weight > a.weight ? 1 : -1) : a.index - b.index,
  );
  const extra = new Map<number, bigint>();
  for (const p of byRemainder) {
    if (leftover === 0n) break;
    if (p.weight === 0n) continue;
    extra.set(p.index, 1n);
    leftover -= 1n;
  }
  if (leftover !== 0n) throw new Error('invariant: largest-remainder split left tiyn unassigned');
  const shares = parts
    .map((p) => ({ service: p.line.service, amount: fromTiyn(p.floor + (extra.get(p.index) ?? 0n)) }))
    .filter((s) => s.amount.gt(0));
  assertSharesSum(total, shares);
  return shares;
}

export function assertSharesSum(total: Money, shares: readonly Share[]): void {
  const allocated = sum(shares.map((s) => s.amount));
  if (!allocated.eq(total)) throw new Error(`invariant: allocations sum to ${allocated.toFixed(2)}, payment is ${total.toFixed(2)}`);
  if (shares.some((s) => s.amount.lt(ZERO))) throw new Error('invariant: negative allocation');
}
