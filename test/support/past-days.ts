// Days long past for tests that settle them. Workflow ids (settlement:BANK:DATE) and the BusinessDate
// attribute are shared by every test file on the one dev server, so each file draws from a span of
// its own (see the year in each file), at random per run, and never the same day twice in a process.
import { randomBytes } from 'node:crypto';
import { addDays, isWeekend } from '../../domain/calendar';

const usedDates = new Set<string>();

/** A function that returns a new weekday within `spanDays` from `from` on each call. */
export function weekdaysFrom(from: string, spanDays: number): () => string {
  return () => {
    for (;;) {
      const d = addDays(from, randomBytes(2).readUInt16BE(0) % spanDays);
      if (!isWeekend(d) && !usedDates.has(d)) {
        usedDates.add(d);
        return d;
      }
    }
  };
}
