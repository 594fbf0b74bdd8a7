// A meter's floor: the reading a new one may not go below. It is the larger of the invoice's previous
// reading and the highest reading of a payment that still stands (and, inside one register batch,
// the readings posted earlier in it). The cashier page shows it as "previous"; posting refuses below it.
import { Money } from './money';

/** The largest of the known readings, 0 when none is known. */
export function meterFloor(readings: ReadonlyArray<string | Money | null | undefined>): Money {
  return readings.reduce<Money>((floor, r) => {
    if (r === null || r === undefined) return floor;
    const value = new Money(r);
    return value.gt(floor) ? value : floor;
  }, new Money(0));
}
