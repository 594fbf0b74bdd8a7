// The benchmark's ceiling: the cheapest thing a payment could be. Start, one no-op local activity
// (the payment's posting is one local activity), complete. Its rate is what the engine can do on
// this machine before any business work. Bench code: bundled only into the bench's worker
// (bench/workflows.ts), never into the SPC's.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { CeilingActivities } from './ceiling-activity';

const { noop } = proxyLocalActivities<CeilingActivities>({ startToCloseTimeout: '30s' });

export async function ceilingWorkflow(input: { n: number }): Promise<{ n: number }> {
  return noop(input);
}
