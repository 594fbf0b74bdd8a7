// Pure rules of corrections: what a correction changes per provider, and how the bank's next list
// nets pending adjustments into its provider lines. Integer-exact (decimal.js), no I/O.
import { Money, ZERO, formatAmount, sum } from './money';
import type { Allocation } from './payment-types';

export interface ProviderDelta {
  provider: string;
  /** Signed: < 0 the provider received too much, > 0 too little. */
  amount: Money;
}

function byProvider(allocations: readonly Allocation[]): Map<string, Money> {
  const out = new Map<string, Money>();
  for (const a of allocations) out.set(a.provider, (out.get(a.provider) ?? ZERO).plus(new Money(a.amount)));
  return out;
}

/**
 * new minus old, per provider, zeros left out, in provider order. A refund's new split is empty:
 * every provider gives back what it got. Moves and resplits keep the total, so their deltas sum to 0.
 */
export function providerDeltas(oldAllocations: readonly Allocation[], newAllocations: readonly Allocation[]): ProviderDelta[] {
  const before = byProvider(oldAllocations);
  const after = byProvider(newAllocations);
  const providers = [...new Set([...before.keys(), ...after.keys()])].sort();
  const deltas = providers
    .map((provider) => ({ provider, amount: (after.get(provider) ?? ZERO).minus(before.get(provider) ?? ZERO) }))
    .filter((d) => !d.amount.isZero());
  const expected = sum(newAllocations.map((a) => new Money(a.amount))).minus(sum(oldAllocations.map((a) => new Money(a.amount))));
  if (!sum(deltas.map((d) => d.amount)).eq(expected)) throw new Error('invariant: provider deltas do not sum to the change of the total');
  return deltas;
}

/** Two splits are the same when every service gets the same amount. */
export function sameSplit(a: readonly Allocation[], b: readonly Allocation[]): boolean {
  const key = (xs: readonly Allocation[]) => [...xs].map((x) => `${x.service}=${formatAmount(new Money(x.amount))}`).sort().join(',');
  return key(a) === key(b);
}

/** Two allocations are the same when every service goes to the same provider with the same amount. */
export function sameAllocations(a: readonly Allocation[], b: readonly Allocation[]): boolean {
  const key = (xs: readonly Allocation[]) => [...xs].map((x) => `${x.service}/${x.provider}=${formatAmount(new Money(x.amount))}`).sort().join(',');
  return key(a) === key(b);
}

export interface DayLine {
  providerId: string;
  amount: string;
  paymentCount: number;
}

export interface PendingAdjustment {
  id: string;
  providerId: string;
  /** Signed decimal string. */
  amount: string;
  /** The correction's short reference, K<seq>. */
  ref: string;
}

export interface NettedLine {
  providerId: string;
  amount: string;
  paymentCount: number;
  adjustmentAmount: string;
  adjustmentRefs: string[];
}

export interface NettingResult {
  /** Lines with amount > 0, in provider order (line numbers follow this order). */
  lines: NettedLine[];
  /** Adjustments netted into this list (including those of a provider whose net came to exactly 0). */
  applied: Array<{ id: string; providerId: string }>;
  /** Adjustments carried forward: their provider's net for the day would have gone negative. */
  carried: string[];
}

/**
 * Nets pending adjustments into the day's provider lines. Per provider: net = the day's amount +
 * all its pending adjustments. net >= 0: all are applied (a line when net > 0). net < 0: none is
 * applied, they stay pending for the bank's next list, and the line is the day's amount alone:
 * a transfer is never negative, and an adjustment is applied whole or not at all, so each one
 * appears on exactly one list.
 */
export function netAdjustments(day: readonly DayLine[], pending: readonly PendingAdjustment[]): NettingResult {
  const providers = [...new Set([...day.map((d) => d.providerId), ...pending.map((p) => p.providerId)])].sort();
  const lines: NettedLine[] = [];
  const applied: NettingResult['applied'] = [];
  const carried: string[] = [];
  for (const providerId of providers) {
    const own = day.find((d) => d.providerId === providerId);
    const dayAmount = new Money(own?.amount ?? '0');
    const adj = pending.filter((p) => p.providerId === providerId);
    const adjTotal = sum(adj.map((a) => new Money(a.amount)));
    const net = dayAmount.plus(adjTotal);
    const apply = adj.length > 0 && net.gte(ZERO);
    if (apply) applied.push(...adj.map((a) => ({ id: a.id, providerId })));
    else carried.push(...adj.map((a) => a.id));
    const amount = apply ? net : dayAmount;
    if (amount.gt(ZERO)) {
      lines.push({
        providerId,
        amount: formatAmount(amount),
        paymentCount: own?.paymentCount ?? 0,
        adjustmentAmount: formatAmount(apply ? adjTotal : ZERO),
        adjustmentRefs: apply ? [...new Set(adj.map((a) => a.ref))] : [],
      });
    }
  }
  return { lines, applied, carried };
}

/** EndToEndId of a line: '<BANK><YYYYMMDD>-<NNN>', and 'K<seq>' (+ how many more corrections) when it carries adjustments. */
export function lineEndToEndId(prefix: string, lineNo: number, refs: readonly string[]): string {
  const base = `${prefix}${String(lineNo).padStart(3, '0')}`;
  if (refs.length === 0) return base;
  return `${base}${refs[0]}${refs.length > 1 ? `+${refs.length - 1}` : ''}`;
}
