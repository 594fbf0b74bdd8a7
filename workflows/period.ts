// The close of a billing period (issue 18 items 4–6): one workflow per period, id `period:<YYYY-MM>`,
// started by an operator (`spc period close`) or by the monthly schedule (workflows/period-trigger.ts).
// Counts the period's payments, computes every account's balances, posts the receivables to the
// ledger and issues the next period's invoices. The steps are activities that check and move the
// close's recorded step (activities/period-close.ts), so a restart resumes where it stopped.
//
// Since PERIOD_FOUR_EYES_PATCH a close is first proposed (by the operator who started it, or by
// 'spc' for the schedule) and waits until a second person with an approving role approves it
// (workflows/period-approval.ts); a rejection fails the close with PERIOD_CLOSE_REJECTED.
import { ApplicationFailure, defineQuery, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { PeriodActivities, PeriodTotals } from '../activities/period-close';
import { PERIOD } from '../domain/search-attributes';
import { PERIOD_STEP_HEARTBEAT, PERIOD_STEP_TIMEOUT, stepOptions } from './activity-options';
import { awaitCloseApproval, installApprovalHandlers } from './period-approval';

/** The close waits for a second person's approval before it begins. */
export const PERIOD_FOUR_EYES_PATCH = 'period-close-four-eyes';

export interface PeriodCloseInput {
  period: string;
  /** The operator, or 'schedule'. */
  startedBy: string;
  options?: { reminderIntervalMs?: number };
}

export interface PeriodCloseResult {
  period: string;
  missingProviders: string[];
  paymentsCounted: number;
  totals: PeriodTotals;
  ledgerPostings: number;
  nextPeriod: string;
  invoicesIssued: number;
  dueDate: string;
}

export const periodProgressQuery = defineQuery<string>('progress');

const { beginPeriodClose, countPeriodPayments, computePeriodBalances, postPeriodLedger, issueNextInvoices } = proxyActivities<PeriodActivities>(stepOptions(PERIOD_STEP_TIMEOUT, PERIOD_STEP_HEARTBEAT));

export async function periodCloseWorkflow(input: PeriodCloseInput): Promise<PeriodCloseResult> {
  let progress = 'starting';
  setHandler(periodProgressQuery, () => progress);
  const approval = installApprovalHandlers(input);
  upsertSearchAttributes([{ key: PERIOD, value: input.period }]);
  const { workflowId, runId } = workflowInfo();
  if (patched(PERIOD_FOUR_EYES_PATCH)) {
    progress = 'awaiting approval';
    await awaitCloseApproval(approval, input);
  }
  const begun = await beginPeriodClose({ period: input.period, startedBy: input.startedBy, workflowId });
  if (!begun.ok) throw ApplicationFailure.create({ type: begun.code, message: begun.message, nonRetryable: true });
  progress = 'counting';
  const { counted } = await countPeriodPayments({ period: input.period });
  progress = 'balancing';
  const totals = await computePeriodBalances({ period: input.period });
  progress = 'posting';
  const { postings } = await postPeriodLedger({ period: input.period, writtenBy: { workflowId, runId } });
  progress = 'issuing';
  const issued = await issueNextInvoices({ period: input.period });
  progress = 'done';
  return {
    period: input.period, missingProviders: begun.missingProviders, paymentsCounted: counted, totals, ledgerPostings: postings,
    nextPeriod: issued.period, invoicesIssued: issued.invoices, dueDate: issued.dueDate,
  };
}
