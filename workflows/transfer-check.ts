// The daily schedule's run of the TRANSFER_NOT_RECEIVED check (infra/transfer-check-schedule.ts):
// counts working days from the time the schedule meant (a caught-up run checks as of its own day),
// raises the cases (activities/transfer-check.ts) and returns them.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { SettlementActivities } from '../activities/settlement';
import { SCHEDULED_START_TIME } from '../domain/search-attributes';
import { retryPolicy } from './retry';

/** Raising starts one complaint workflow per case, each awaited; UNREPORTED_LINES_MAX bounds them. */
const { raiseTransferCases } = proxyActivities<SettlementActivities>({ startToCloseTimeout: '10 minutes', retry: { ...retryPolicy, maximumAttempts: 10 } });

type RaisedCase = Awaited<ReturnType<SettlementActivities['raiseTransferCases']>>['raised'][number];

export interface TransferCheckResult {
  asOf: string;
  raised: RaisedCase[];
}

export async function transferCheckWorkflow(): Promise<TransferCheckResult> {
  const asOf = (workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME) ?? new Date()).toISOString();
  const { raised } = await raiseTransferCases({ asOf });
  return { asOf, raised };
}
