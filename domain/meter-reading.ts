// The rules a meter reading is checked by, wherever it comes from: a bank's payment (a cashier's, a
// register's row; activities/payment-invoice.ts) or a household's cabinet (api/cabinet-readings.ts).
// - the floor: a reading is never below the meter's previous one (the invoice's previous reading,
//   or the highest reading that still stands, from a bank or the cabinet), READING_BELOW_PREVIOUS;
// - the plausibility cap: one period's consumption above the cap of the service's unit is a typo
//   (an extra digit, a serial number typed as the reading), READING_IMPLAUSIBLE.
// The readings window (which days a household may submit in the cabinet) is the one rule of
// domain/billing-period.ts, the window the providers' readings are collected by; a bank takes a
// reading with the payment whenever the payer pays.
import { Money } from './money';

/**
 * Largest consumption one period may show, per unit. Generous on purpose: a household of ten with
 * electric heating uses under 3,000 kWh a month; the cap is there for typos, not for thrift.
 */
export const READING_INCREASE_CAP_BY_UNIT: Readonly<Record<string, string>> = { kWh: '20000', m3: '1000', Gcal: '100' };
/** For a unit not listed above. */
export const READING_INCREASE_CAP_DEFAULT = '100000';

export type ReadingProblem =
  | { code: 'READING_BELOW_PREVIOUS'; previous: Money }
  | { code: 'READING_IMPLAUSIBLE'; previous: Money; cap: Money };

export function readingIncreaseCap(unit: string | null): Money {
  return new Money((unit !== null && READING_INCREASE_CAP_BY_UNIT[unit]) || READING_INCREASE_CAP_DEFAULT);
}

/** The meter's floor: the highest of the candidates (null ones skipped), 0 when none. */
export function readingFloor(candidates: ReadonlyArray<Money | string | null | undefined>): Money {
  return candidates
    .filter((v): v is Money | string => v !== null && v !== undefined)
    .map((v) => new Money(v))
    .reduce((a, b) => (b.gt(a) ? b : a), new Money(0));
}

/** Why `value` is not acceptable over `previous` for a meter in `unit`, or null when it is. */
export function readingProblem(value: Money, previous: Money, unit: string | null): ReadingProblem | null {
  if (value.lt(previous)) return { code: 'READING_BELOW_PREVIOUS', previous };
  const cap = readingIncreaseCap(unit);
  if (value.minus(previous).gt(cap)) return { code: 'READING_IMPLAUSIBLE', previous, cap };
  return null;
}
