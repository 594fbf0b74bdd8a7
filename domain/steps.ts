// Long pure loops (reading a provider's million-line upload) written as generators that yield
// between slices of work: run to completion at once (runSteps), or with the event loop served
// between slices (runStepsYielding, in a server), so that one big upload does not hold every other
// request of the process waiting for seconds.
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Items of work between two yields: about a millisecond or two of CPU. */
export const STEP_ITEMS = 2_000;

export type Steps<T> = Generator<void, T, void>;

export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

export async function runStepsYielding<T>(steps: Steps<T>): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await nextTurn();
  }
}
