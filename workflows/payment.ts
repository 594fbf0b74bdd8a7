// The lifecycle of one payment, id `payment:<BANK>:<bankRef>` (the id is the idempotency key).
//
//   received ──post──▶ accepted (workflow completes)      cancellation:<BANK>:<bankRef> ──▶ cancelled
//       └──▶ rejected (the workflow fails with a typed, non-retryable ApplicationFailure)
//
// The bank learns the outcome within its request: the client starts this workflow and sends the
// `submit` update in one call (update-with-start), and the update returns once the posting is
// committed. Since PATCH_COMPLETE_ON_POST the workflow then completes: a cut-off is a business event
// for one workflow (the settlement), not a timer in every payment. A cancellation is its own short
// workflow (workflows/cancellation.ts); Postgres decides under the payment's row lock.
//
// Workflows started before the patch keep the old shape: they live until their bank-day's cut-off
// and answer `cancel` themselves, so their histories replay unchanged.
import {
  ApplicationFailure, allHandlersFinished, condition, defineQuery, defineUpdate, patched, proxyLocalActivities, setHandler,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { PaymentActivities, PostPaymentInput } from '../activities/payment';
import type { CancelResult, PaymentAccepted, PaymentRequest, PaymentState, RejectionCode } from '../domain/payment-types';
import { BUSINESS_DATE, PAYMENT_STATUS, REJECTION_CODE } from '../domain/search-attributes';
import { nothingToCancelMessage, referenceConflictMessage } from '../domain/cancellation';
import { PAYMENT_STEP_TIMEOUT, localStepOptions } from './activity-options';
import { cancelReasonOf } from '../domain/free-text';

export interface PaymentWorkflowInput {
  request: PaymentRequest;
  /** SHA-256 of the request's canonical content (XX.ts). */
  requestHash: string;
  receivedAt: string;
  /** How long after the bank-day's cut-off the workflow stays open (default 0). */
  closeGraceMs?: number;
}

export interface SubmitArgs {
  requestHash: string;
}

export interface CancelArgs {
  reason: string;
}

/** patched() id of the cut-off check in `cancel` (added after the first histories were recorded). */
export const PATCH_CANCEL_CHECKS_CUTOFF = 'cancel-checks-cutoff';
/** patched() id of the shape that completes once the payment is posted (no timer until the cut-off). */
export const PATCH_COMPLETE_ON_POST = 'complete-on-post';

export const submitPaymentUpdate = defineUpdate<PaymentAccepted, [SubmitArgs]>('submit');
export const cancelPaymentUpdate = defineUpdate<CancelResult, [CancelArgs]>('cancel');
export const paymentStateQuery = defineQuery<PaymentState>('state');

const { postPayment, cancelPayment } = proxyLocalActivities<PaymentActivities>(localStepOptions(PAYMENT_STEP_TIMEOUT));

function rejection(code: RejectionCode, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

export async function paymentWorkflow(input: PaymentWorkflowInput): Promise<PaymentState> {
  const info = workflowInfo();
  // Asked first, before any command, so that a history of either shape replays on this code.
  const completesOnPost = patched(PATCH_COMPLETE_ON_POST);
  const writtenBy = { workflowId: info.workflowId, runId: info.runId };
  const state: PaymentState = { paymentId: info.workflowId, status: 'received', requestHash: input.requestHash };
  let cutoffPassed = false;
  let cancelling: Promise<CancelResult> | undefined;

  setHandler(paymentStateQuery, () => state);

  setHandler(
    submitPaymentUpdate,
    async () => {
      await condition(() => state.status !== 'received');
      if (state.rejection) throw rejection(state.rejection.code, state.rejection.message);
      return state.accepted as PaymentAccepted;
    },
    {
      // Runs before the update is written to history: a conflicting resubmission leaves no trace.
      validator: ({ requestHash }) => {
        if (requestHash !== input.requestHash) {
          throw rejection('REFERENCE_CONFLICT', referenceConflictMessage(input.request.bankRef));
        }
      },
    },
  );

  async function cancel(reason: string): Promise<CancelResult> {
    const outcome = await cancelPayment({ bankCode: input.request.bankCode, bankRef: input.request.bankRef, reason, writtenBy });
    if (outcome.status === 'rejected') throw rejection(outcome.code, outcome.message);
    state.status = 'cancelled';
    state.cancellation = outcome;
    upsertSearchAttributes([{ key: PAYMENT_STATUS, value: 'cancelled' }]);
    return outcome;
  }

  setHandler(cancelPaymentUpdate, async ({ reason }) => {
    await condition(() => state.status !== 'received');
    if (state.status === 'rejected') throw rejection('PAYMENT_REJECTED', nothingToCancelMessage(input.request.bankRef));
    if (state.cancellation) return state.cancellation;
    // A payment posted to a day whose cut-off is already behind it (a late register row) closes in
    // the same workflow task; the timer has not fired yet, so the clock decides. Patched: histories
    // recorded before this check replay unchanged.
    const pastCutoff = state.accepted !== undefined && patched(PATCH_CANCEL_CHECKS_CUTOFF) && Date.now() >= Date.parse(state.accepted.closesAt);
    if (cutoffPassed || pastCutoff) {
      throw rejection('BANK_DAY_CLOSED', `the cut-off of bank-day ${state.accepted?.businessDate} has passed: payment ${input.request.bankRef} can no longer be cancelled`);
    }
    // Concurrent cancellations share one activity run.
    cancelling ??= cancel(cancelReasonOf(reason));
    return cancelling;
  });

  const postInput: PostPaymentInput = { request: input.request, requestHash: input.requestHash, receivedAt: input.receivedAt, writtenBy };
  const outcome = await postPayment(postInput);
  if (outcome.status === 'rejected') {
    state.status = 'rejected';
    state.rejection = { code: outcome.code, message: outcome.message };
    // The rejection code is worth a filter in the UI; the rejected few pay for the upsert.
    upsertSearchAttributes([{ key: PAYMENT_STATUS, value: 'rejected' }, { key: REJECTION_CODE, value: outcome.code }]);
    await condition(allHandlersFinished);
    // A rejected payment fails its workflow: the reference is free again (reuse policy
    // ALLOW_DUPLICATE_FAILED_ONLY), so the bank can resubmit it corrected.
    throw rejection(outcome.code, outcome.message);
  }

  state.status = 'accepted';
  state.accepted = outcome;
  // The business date makes the payment findable with its bank-day (the audit's export and archive
  // select a day's workflows by BankCode and BusinessDate).
  upsertSearchAttributes([{ key: PAYMENT_STATUS, value: 'accepted' }, { key: BUSINESS_DATE, value: outcome.businessDate }]);
  if (completesOnPost) {
    await condition(allHandlersFinished);
    return state;
  }

  const untilCutoffMs = Math.max(0, Date.parse(outcome.closesAt) - Date.now()) + (input.closeGraceMs ?? 0);
  await condition(() => state.status === 'cancelled', untilCutoffMs);
  cutoffPassed = true;
  await condition(allHandlersFinished);
  if ((state.status as PaymentState['status']) !== 'cancelled') {
    state.status = 'closed';
    upsertSearchAttributes([{ key: PAYMENT_STATUS, value: 'closed' }]);
  }
  return state;
}
