// Typed client functions for the payment lifecycle, shared by the bank API, the CLI and the tests.
import { Client, WithStartWorkflowOperation, WorkflowExecutionDescription } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { paymentWorkflowId, type CancelResult, type PaymentAccepted, type PaymentRequest, type PaymentState, type RejectionCode } from '../domain/payment-types';
import { BANK_CODE, CHANNEL, PAYMENT_STATUS } from '../domain/search-attributes';
import { cancelPaymentUpdate, paymentStateQuery, paymentWorkflow, submitPaymentUpdate } from '../workflows/payment';
import { errorName, rejectionOf } from './errors';
import { requestHash } from './request-hash';

export type Rejected = { ok: false; code: RejectionCode; message: string };
export type SubmitOutcome = { ok: true; payment: PaymentAccepted } | Rejected;
export type CancelOutcome = { ok: true; cancellation: CancelResult } | Rejected;

export interface PaymentClientContext {
  client: Client;
  taskQueue: string;
}

/**
 * Submits a payment and waits for the SPC's answer: accepted (with its allocation and business
 * date) or rejected (with a stable code). Safe to repeat: the same reference with the same
 * content answers the first result; with other content, REFERENCE_CONFLICT.
 */
export async function submitPayment(ctx: PaymentClientContext, request: PaymentRequest, opts: { receivedAt?: Date } = {}): Promise<SubmitOutcome> {
  const workflowId = paymentWorkflowId(request.bankCode, request.bankRef);
  const hash = requestHash(request);
  const startWorkflowOperation = new WithStartWorkflowOperation(paymentWorkflow, {
    workflowId,
    taskQueue: ctx.taskQueue,
    args: [{ request, requestHash: hash, receivedAt: (opts.receivedAt ?? new Date()).toISOString() }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    // A rejected payment's workflow failed: its reference may be used again. An accepted one's may not.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: new TypedSearchAttributes([
      { key: BANK_CODE, value: request.bankCode },
      { key: CHANNEL, value: String(request.channel) },
      { key: PAYMENT_STATUS, value: 'received' },
    ]),
  });
  try {
    const payment = await ctx.client.workflow.executeUpdateWithStart(submitPaymentUpdate, {
      args: [{ requestHash: hash }],
      startWorkflowOperation,
      // Identical submissions share one update id, so Temporal itself deduplicates them.
      updateId: `submit-${hash}`,
    });
    return { ok: true, payment };
  } catch (err) {
    const rejection = rejectionOf(err);
    if (rejection) return { ok: false, ...rejection };
    if (errorName(err) === 'WorkflowExecutionAlreadyStartedError') return answerFromClosedPayment(ctx, workflowId, hash);
    throw err;
  }
}

/** The payment's workflow has completed (accepted, then closed or cancelled): answer from its final state. */
async function answerFromClosedPayment(ctx: PaymentClientContext, workflowId: string, hash: string): Promise<SubmitOutcome> {
  const state = await ctx.client.workflow.getHandle(workflowId).query(paymentStateQuery);
  if (state.requestHash !== hash) {
    return { ok: false, code: 'REFERENCE_CONFLICT', message: `bank reference in ${workflowId} was already used for a different payment: use a new reference` };
  }
  if (!state.accepted) throw new Error(`invariant: closed payment ${workflowId} has no acceptance`);
  return { ok: true, payment: state.accepted };
}

export interface PaymentView {
  state: PaymentState;
  workflowId: string;
  runId: string;
  executionStatus: WorkflowExecutionDescription['status']['name'];
  startTime: Date;
  closeTime?: Date;
}

/** The payment's current state from its workflow, or null when there is no such payment. */
export async function getPayment(ctx: PaymentClientContext, bankCode: string, bankRef: string): Promise<PaymentView | null> {
  const handle = ctx.client.workflow.getHandle(paymentWorkflowId(bankCode, bankRef));
  try {
    const [description, state] = await Promise.all([handle.describe(), handle.query(paymentStateQuery)]);
    return {
      state,
      workflowId: description.workflowId,
      runId: description.runId,
      executionStatus: description.status.name,
      startTime: description.startTime,
      closeTime: description.closeTime,
    };
  } catch (err) {
    if (errorName(err) === 'WorkflowNotFoundError') return null;
    throw err;
  }
}

/** Cancels a payment before its bank-day closes; repeating the call returns the first cancellation. */
export async function cancelPayment(ctx: PaymentClientContext, bankCode: string, bankRef: string, reason = ''): Promise<CancelOutcome> {
  const workflowId = paymentWorkflowId(bankCode, bankRef);
  const handle = ctx.client.workflow.getHandle(workflowId);
  try {
    const cancellation = await handle.executeUpdate(cancelPaymentUpdate, { args: [{ reason }], updateId: 'cancel' });
    return { ok: true, cancellation };
  } catch (err) {
    const rejection = rejectionOf(err);
    if (rejection) return { ok: false, ...rejection };
    // The workflow is missing, or has completed (the server answers both as not found for an update):
    // its final state, if any, says why no cancellation is possible.
    const view = await getPayment(ctx, bankCode, bankRef);
    if (!view) return { ok: false, code: 'PAYMENT_NOT_FOUND', message: `no payment ${bankRef} of bank ${bankCode}` };
    if (view.state.cancellation) return { ok: true, cancellation: view.state.cancellation };
    if (view.state.status === 'rejected') return { ok: false, code: 'PAYMENT_REJECTED', message: `payment ${bankRef} was rejected: there is nothing to cancel` };
    return { ok: false, code: 'BANK_DAY_CLOSED', message: `the bank-day ${view.state.accepted?.businessDate ?? ''} of ${bankCode} is closed: payment ${bankRef} can no longer be cancelled` };
  }
}
