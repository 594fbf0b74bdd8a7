// The TRANSFER_NOT_RECEIVED check as an activity, for the daily schedule's workflow
// (workflows/transfer-check.ts): the same function `spc provider transfers check` runs
// (client/transfer-cases.ts), with the worker's Temporal client to start the complaints. Idempotent:
// a case raised once is found, not raised again.
import type { ActivityDeps } from './deps';
import { raiseUnreportedTransferCases, type RaisedCase } from '../client/transfer-cases';

export function createTransferCheckActivities(deps: ActivityDeps) {
  async function raiseTransferCases(input: { asOf: string }): Promise<{ raised: RaisedCase[] }> {
    if (!deps.temporal) throw new Error('invariant: the transfer check needs the worker\'s Temporal client');
    const raised = await raiseUnreportedTransferCases({ client: deps.temporal.client, taskQueue: deps.temporal.taskQueue, db: deps.db }, { asOf: new Date(input.asOf) });
    return { raised };
  }
  return { raiseTransferCases };
}
