// A cancellation, id `cancellation:<BANK>:<bankRef>`: one short workflow per cancelled payment, so a
// payment needs no open workflow until its cut-off. Its one local activity decides and posts in
// Postgres under the payment's row lock (the cut-off and the closed bank-day are checked there), so
// a cancellation racing the settlement's close either commits first or is refused.
//
// A refusal fails the workflow with a typed, non-retryable ApplicationFailure (the reuse policy lets
// the bank ask again); a cancellation completes, and asking again answers its result.
import { ApplicationFailure, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { PaymentActivities } from '../activities/payment';
import type { CancelResult } from '../domain/payment-types';
import { PAYMENT_STEP_TIMEOUT, localStepOptions } from './activity-options';

export interface CancellationInput {
  bankCode: string;
  bankRef: string;
  reason: string;
}

const { cancelPayment } = proxyLocalActivities<PaymentActivities>(localStepOptions(PAYMENT_STEP_TIMEOUT));

export async function cancellationWorkflow(input: CancellationInput): Promise<CancelResult> {
  const info = workflowInfo();
  const outcome = await cancelPayment({ ...input, writtenBy: { workflowId: info.workflowId, runId: info.runId } });
  if (outcome.status === 'rejected') throw ApplicationFailure.create({ type: outcome.code, message: outcome.message, nonRetryable: true });
  return outcome;
}
