// Starting and following a period close (workflows/period.ts) from the CLI, the schedule's trigger
// and tests. One close per period: a second start finds the first (running or done).
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { PERIOD } from '../domain/search-attributes';
import { PERIOD_ERROR_CODES, isCodeInPeriod, isPeriod, periodWorkflowId } from '../domain/period';
import { periodCloseWorkflow, type PeriodCloseResult } from '../workflows/period';
import { PeriodActionError, applicationFailureOf, errorName } from './errors';

export interface PeriodClientContext {
  client: Client;
  taskQueue: string;
}

export { PeriodActionError } from './errors';

export async function startPeriodClose(ctx: PeriodClientContext, period: string, startedBy: string): Promise<{ workflowId: string; alreadyStarted: boolean }> {
  if (!isPeriod(period)) throw new PeriodActionError('INVALID_PERIOD', `period "${period}" is not YYYY-MM, e.g. 2026-12`);
  const workflowId = periodWorkflowId(period);
  try {
    await ctx.client.workflow.start(periodCloseWorkflow, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ period, startedBy }],
      // A close that failed (refused out of order) may be started again; a completed one stands.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: new TypedSearchAttributes([{ key: PERIOD, value: period }]),
    });
    return { workflowId, alreadyStarted: false };
  } catch (err) {
    if (errorName(err) !== 'WorkflowExecutionAlreadyStartedError') throw err;
    return { workflowId, alreadyStarted: true };
  }
}

/** Waits for the close's result; a refusal becomes a PeriodActionError with its code. */
export async function periodCloseResult(ctx: PeriodClientContext, period: string): Promise<PeriodCloseResult> {
  try {
    return await ctx.client.workflow.getHandle<typeof periodCloseWorkflow>(periodWorkflowId(period)).result();
  } catch (err) {
    const refusal = applicationFailureOf(err, isCodeInPeriod);
    if (refusal) throw new PeriodActionError(refusal.code, refusal.message || PERIOD_ERROR_CODES[refusal.code].message);
    throw err;
  }
}
