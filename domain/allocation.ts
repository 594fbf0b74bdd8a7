// Splitting a payment over the services of an invoice.
//
// Rule (documented in the README): when the payer gives per-service amounts, they are taken as
// given. Otherwise the total is split in proportion to each service's amount due; the shares are
// floored to the tiyn and the tiyn left over go, one each, to the services with the largest
// remainders (ties: the larger amount due, then invoice order). The same rule serves partial
// payments and overpayments: an overpaid service keeps the excess as credit toward its next charge.
// When nothing is due on any line (all paid ahead), the weights are the month's charges instead.
import { Money, ZERO, toTiyn, fromTiyn, sum } from './money';

export interface DueLine {
  service: string;
  amountDue: Money;
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

export function splitProportionally(total: Money, lines: readonly DueLine[]): Share[] {
  const totalTiyn = toTiyn(total);
  if (totalTiyn <= 0n) throw new Error(`invariant: split of a non-positive total ${total.toString()}`);
  let weights = lines.map((l) => (l.amountDue.gt(0) ? toTiyn(l.amountDue) : 0n));
  if (weights.every((w) => w === 0n)) weights = lines.map((l) => (l.charged.gt(0) ? toTiyn(l.charged) : 0n));
  const weightSum = weights.reduce((a, b) => a + b, 0n);
  if (weightSum === 0n) throw new NothingToSplitError();

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
