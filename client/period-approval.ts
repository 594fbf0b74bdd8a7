// Deciding a proposed period close (workflows/period-approval.ts) from the CLI, /ops and tests:
// a second person approves or rejects; the proposer's own decision is refused with SELF_APPROVAL.
import { freeTextProblem } from '../domain/free-text';
import { isCodeInPeriod, isPeriod, periodWorkflowId } from '../domain/period';
import type { PeriodApproval, PeriodDecideArgs } from '../domain/period-approval';
import { decidePeriodCloseUpdate, periodApprovalQuery } from '../workflows/period-approval';
import { withinEngineTimeout } from './deadline';
import { PeriodActionError, applicationFailureOf, errorName } from './errors';
import type { PeriodClientContext } from './periods';

const NOTE_CHARS_MAX = 500;
/** A close just started records its proposal first; a decision waits this long for it. */
const PROPOSING_WAIT_MS = 10_000;
const PROPOSING_POLL_MS = 200;

/** The approval of the period's close, or null when no close was started (or it is of the old shape and gone). */
export async function getPeriodApproval(ctx: Pick<PeriodClientContext, 'client'>, period: string): Promise<PeriodApproval | null> {
  try {
    return await withinEngineTimeout(ctx.client, 'period approval', () => ctx.client.workflow.getHandle(periodWorkflowId(period)).query(periodApprovalQuery));
  } catch (err) {
    if (errorName(err) === 'WorkflowNotFoundError') return null;
    throw err;
  }
}

function refusalOf(err: unknown): PeriodActionError | undefined {
  const r = applicationFailureOf(err, isCodeInPeriod);
  return r ? new PeriodActionError(r.code, r.message) : undefined;
}

export async function decidePeriodClose(ctx: PeriodClientContext, period: string, decision: PeriodDecideArgs): Promise<PeriodApproval> {
  if (!isPeriod(period)) throw new PeriodActionError('INVALID_PERIOD', `period "${period}" is not YYYY-MM, e.g. 2026-12`);
  const noteProblem = freeTextProblem(decision.note, 'note', NOTE_CHARS_MAX, false);
  if (noteProblem) throw new PeriodActionError('INVALID_REQUEST', noteProblem);
  const deadline = Date.now() + PROPOSING_WAIT_MS;
  let approval = await getPeriodApproval(ctx, period);
  while (approval?.status === 'proposing' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, PROPOSING_POLL_MS));
    approval = await getPeriodApproval(ctx, period);
  }
  if (!approval) throw new PeriodActionError('NOT_AWAITING_APPROVAL', `no close of ${period} was proposed: spc period close --period ${period}`);
  try {
    return await withinEngineTimeout(ctx.client, 'period decision', () => ctx.client.workflow.getHandle(periodWorkflowId(period)).executeUpdate(decidePeriodCloseUpdate, { args: [decision] }));
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal) throw refusal;
    if (/already completed/i.test((err as Error)?.message ?? '')) throw new PeriodActionError('NOT_AWAITING_APPROVAL', `the close of ${period} finished: nothing waits for a decision`);
    throw err;
  }
}
