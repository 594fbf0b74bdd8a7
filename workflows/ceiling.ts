// The benchmark's ceiling: the payment workflow's shape (update-with-start, one local activity,
// then done) with a no-op in place of the Postgres posting. Its rate is what the engine can do on
// this machine before any business work.
import { condition, defineUpdate, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { retryPolicy } from './retry';

export const ceilingUpdate = defineUpdate<{ n: number }, [{ n: number }]>('submit');

const { noop } = proxyLocalActivities<Activities>({ startToCloseTimeout: '30s', retry: retryPolicy });

export async function ceilingWorkflow(input: { n: number }): Promise<{ n: number }> {
  const state: { result?: { n: number } } = {};
  setHandler(ceilingUpdate, async () => {
    await condition(() => state.result !== undefined);
    return state.result as { n: number };
  });
  state.result = await noop(input);
  return state.result;
}
