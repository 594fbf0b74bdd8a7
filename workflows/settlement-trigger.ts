// The schedule's trigger of the daily settlement. The schedule of each bank starts
// `settlementTriggerWorkflow` at the bank's cut-off; it works out the business date and starts the
// settlement (workflows/settlement.ts) as an abandoned child with the business-key id. It also
// settles earlier bank-days left unsettled (issue 9).
import { ParentClosePolicy, log, patched, proxyActivities, sleep, startChild, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SettlementActivities } from '../activities/settlement';
import type { SettlementOptions } from '../domain/settlement-types';
import { settlementWorkflowId } from '../domain/payment-types';
import { BANK_CODE, BUSINESS_DATE, SETTLEMENT_STATUS } from '../domain/search-attributes';
import { CASE_STEP_TIMEOUT, stepOptions } from './activity-options';
import { settlementWorkflow } from './settlement';

/** Set by Temporal on every workflow a schedule starts: the time the schedule meant, not when it ran. */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export interface SettlementTriggerInput {
  bankCode: string;
  options?: SettlementOptions;
}

export interface SettlementTriggerResult {
  outcome: 'started' | 'already_started' | 'not_business_day' | 'unknown_bank';
  bankCode: string;
  businessDate: string;
  workflowId?: string;
  /** Earlier bank-days left unsettled that this run started settlements for. */
  swept?: string[];
}

/** The trigger also settles earlier bank-days left unsettled (issue 9); histories recorded before do not. */
export const PATCH_TRIGGER_SWEEPS_UNSETTLED = 'trigger-sweeps-unsettled-days';

const { settlementTriggerInfo, unsettledBankDaysOf } = proxyActivities<SettlementActivities>(stepOptions(CASE_STEP_TIMEOUT));

/** Starts the settlement of a bank-day as a child that outlives the trigger; false when it was already started. */
async function startSettlementChild(bankCode: string, businessDate: string, startedBy: string, options: SettlementTriggerInput['options']): Promise<boolean> {
  try {
    await startChild(settlementWorkflow, {
      workflowId: settlementWorkflowId(bankCode, businessDate),
      args: [{ bankCode, businessDate, startedBy, options }],
      // The settlement outlives this trigger by days (it waits for the bank's confirmation).
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [
        { key: BANK_CODE, value: bankCode },
        { key: BUSINESS_DATE, value: businessDate },
        { key: SETTLEMENT_STATUS, value: 'closing' },
      ],
    });
    return true;
  } catch (err) {
    if ((err as Error)?.name === 'WorkflowExecutionAlreadyStartedError') return false;
    throw err;
  }
}

/**
 * Money posted but never listed: bank-days before this one with accepted payments and no
 * settlement are settled now, oldest first, within the bounds of unsettledBankDaysOf.
 */
async function sweepUnsettledDays(input: SettlementTriggerInput, businessDate: string): Promise<string[]> {
  if (!patched(PATCH_TRIGGER_SWEEPS_UNSETTLED)) return [];
  const { dates } = await unsettledBankDaysOf({ bankCode: input.bankCode, before: businessDate });
  const swept: string[] = [];
  for (const date of dates) {
    if (await startSettlementChild(input.bankCode, date, 'sweep', input.options)) swept.push(date);
  }
  if (swept.length > 0) log.warn('settled bank-days left unsettled', { bankCode: input.bankCode, dates: swept });
  return swept;
}

/**
 * Started daily by the bank's schedule at its cut-off (Asia/Almaty). Works out the business date
 * from the scheduled time (so a late, caught-up run settles the right day), does nothing on a
 * non-business day, waits if the bank's cut-off moved later than the schedule knows, and starts the
 * settlement with its business-key id. A settlement already started (by an operator) is left alone.
 */
export async function settlementTriggerWorkflow(input: SettlementTriggerInput): Promise<SettlementTriggerResult> {
  const scheduledAt = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME) ?? new Date();
  const info = await settlementTriggerInfo({ bankCode: input.bankCode, at: scheduledAt.toISOString() });
  const result = { bankCode: input.bankCode, businessDate: info.businessDate };
  if (!info.bankExists) return { ...result, outcome: 'unknown_bank' };
  // Also on a non-business day: a holiday declared after payments were posted to it is swept here.
  const swept = await sweepUnsettledDays(input, info.businessDate);
  const withSwept = swept.length > 0 ? { ...result, swept } : result;
  if (!info.isBusinessDay) return { ...withSwept, outcome: 'not_business_day' };
  const untilCutoffMs = Date.parse(info.cutoffAt) - Date.now();
  if (untilCutoffMs > 0) await sleep(untilCutoffMs);

  const workflowId = settlementWorkflowId(input.bankCode, info.businessDate);
  const started = await startSettlementChild(input.bankCode, info.businessDate, 'schedule', input.options);
  return { ...withSwept, outcome: started ? 'started' : 'already_started', workflowId };
}
