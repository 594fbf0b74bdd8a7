// The monthly schedule's trigger of the period close (issue 18 item 4). The schedule
// (infra/period-schedule.ts) starts it on the 1st of every month; it works out the month that just
// ended from the time the schedule meant (so a late, caught-up run closes the right month) and
// starts the close `period:<YYYY-MM>` as an abandoned child. A close an operator already started is
// left alone.
import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { PERIOD, SCHEDULED_START_TIME } from '../domain/search-attributes';
import { periodToCloseOn, periodWorkflowId } from '../domain/period';
import { periodCloseWorkflow } from './period';

/**
 * Asia/Almaty is UTC+5 all year (since March 2024). A fixed offset keeps the workflow free of the
 * time-zone database; the schedule fires at 01:00 local, so even an hour's error stays on the 1st.
 */
const ALMATY_OFFSET_MS = 5 * 60 * 60_000;

export interface PeriodTriggerResult {
  outcome: 'started' | 'already_started';
  period: string;
  workflowId: string;
}

export async function periodTriggerWorkflow(): Promise<PeriodTriggerResult> {
  const scheduledAt = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME) ?? new Date();
  const localDate = new Date(scheduledAt.getTime() + ALMATY_OFFSET_MS).toISOString().slice(0, 10);
  const period = periodToCloseOn(localDate);
  const workflowId = periodWorkflowId(period);
  try {
    await startChild(periodCloseWorkflow, {
      workflowId,
      args: [{ period, startedBy: 'schedule' }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [{ key: PERIOD, value: period }],
    });
    return { outcome: 'started', period, workflowId };
  } catch (err) {
    if ((err as Error)?.name === 'WorkflowExecutionAlreadyStartedError') return { outcome: 'already_started', period, workflowId };
    throw err;
  }
}
