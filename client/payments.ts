// Typed client functions for the payment lifecycle, shared by the bank API, the CLI and the tests.
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Knex } from 'knex';
import {
  cancellationWorkflowId, paymentWorkflowId, type CancelResult, type PaymentAccepted, type PaymentRequest, type RejectionCode,
  isReservedBankRef, REJECTION_CODES,
} from '../domain/payment-types';
import { referenceConflictMessage } from '../domain/cancellation';
import { requestHash } from '../domain/request-hash';
import { BANK_CODE, CHANNEL } from '../domain/search-attributes';
import { findPayment } from '../db/queries/payments';
import { cancelPaymentUpdate, paymentStateQuery, paymentWorkflow, submitPaymentUpdate } from '../workflows/payment';
import { cancellationWorkflow } from '../workflows/cancellation';
import { errorName, rejectionOf } from './errors';
import { beforeDeadline, EngineUnavailableError, withinEngineTimeout } from './deadline';
import { cancelReasonOf } from '../domain/free-text';

export { EngineUnavailableError } from './deadline';

export type Rejected = { ok: false; code: RejectionCode; message: string };
export type SubmitOutcome = { ok: true; payment: PaymentAccepted } | Rejected;
export type CancelOutcome = { ok: true; cancellation: CancelResult } | Rejected;

export interface PaymentClientContext {
  client: Client;
  taskQueue: string;
  /** The payment read model; when given, a repeated submission of a finished payment is answered from Postgres. */
  db?: Knex;
}

/**
 * How long a submission keeps retrying an engine fault (a worker killed mid-task, Temporal
 * restarting) before giving up with EngineUnavailableError. Retrying is safe: the workflow id and
 * the update id make every attempt the same request. Kept inside the API's answer window; every
 * attempt's Temporal calls share the window's deadline, so one that waits (no worker polls) ends
 * with it too, instead of outliving the bank's request.
 */
export const ENGINE_RETRY_WINDOW_MS = 20_000;
const ENGINE_RETRY_BACKOFF_MS = { first: 200, max: 2_000 };

/** Runs `attempt` again on engine faults (anything that is not a business answer) until the retry window closes. */
async function withEngineRetry<T>(client: Client, operation: string, attempt: () => Promise<T>, isAnswer: (err: unknown) => boolean): Promise<T> {
  const deadline = Date.now() + ENGINE_RETRY_WINDOW_MS;
  let backoffMs = ENGINE_RETRY_BACKOFF_MS.first;
  for (;;) {
    try {
      return await beforeDeadline(client, operation, deadline, attempt);
    } catch (err) {
      if (isAnswer(err) || err instanceof EngineUnavailableError) throw err;
      if (Date.now() + backoffMs >= deadline) throw new EngineUnavailableError(operation, err);
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(backoffMs * 2, ENGINE_RETRY_BACKOFF_MS.max);
    }
  }
}

const isBusinessAnswer = (err: unknown) => rejectionOf(err) !== undefined || errorName(err) === 'WorkflowExecutionAlreadyStartedError';

/**
 * Submits a payment and waits for the SPC's answer: accepted (with its allocation and business
 * date) or rejected (with a stable code). Safe to repeat: the same reference with the same
 * content answers the first result; with other content, REFERENCE_CONFLICT.
 */
export async function submitPayment(ctx: PaymentClientContext, request: PaymentRequest, opts: { receivedAt?: Date } = {}): Promise<SubmitOutcome> {
  // Refused before any workflow starts: nothing is written for a reference of the SPC's own form.
  if (typeof request.bankRef === 'string' && isReservedBankRef(request.bankRef)) {
    return { ok: false, code: 'BANK_REF_RESERVED', message: `bankRef ${request.bankRef}: ${REJECTION_CODES.BANK_REF_RESERVED}` };
  }
  const workflowId = paymentWorkflowId(request.bankCode, request.bankRef);
  const hash = requestHash(request);
  const receivedAt = (opts.receivedAt ?? new Date()).toISOString();
  const submit = () =>
    ctx.client.workflow.executeUpdateWithStart(submitPaymentUpdate, {
      args: [{ requestHash: hash }],
      startWorkflowOperation: new WithStartWorkflowOperation(paymentWorkflow, {
        workflowId,
        taskQueue: ctx.taskQueue,
        args: [{ request, requestHash: hash, receivedAt }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // A rejected payment's workflow failed: its reference may be used again. An accepted one's may not.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        typedSearchAttributes: new TypedSearchAttributes([
          { key: BANK_CODE, value: request.bankCode },
          { key: CHANNEL, value: String(request.channel) },
        ]),
      }),
      // Identical submissions share one update id, so Temporal itself deduplicates them.
      updateId: `submit-${hash}`,
    });
  try {
    return { ok: true, payment: await withEngineRetry(ctx.client, 'payment', submit, isBusinessAnswer) };
  } catch (err) {
    const rejection = rejectionOf(err);
    if (rejection) return { ok: false, ...rejection };
    if (errorName(err) === 'WorkflowExecutionAlreadyStartedError') return answerFromFinishedPayment(ctx, request, hash);
    throw err;
  }
}

/**
 * The payment's workflow has completed: answer what the payment is now. From Postgres when the
 * read model is at hand (a payment cancelled since is answered as cancelled), else from the
 * workflow's own final state.
 */
async function answerFromFinishedPayment(ctx: PaymentClientContext, request: PaymentRequest, hash: string): Promise<SubmitOutcome> {
  const conflict: Rejected = { ok: false, code: 'REFERENCE_CONFLICT', message: referenceConflictMessage(request.bankRef) };
  if (ctx.db) {
    const record = await findPayment(ctx.db, request.bankCode, request.bankRef);
    if (record) {
      if (record.requestHash !== hash) return conflict;
      if (record.status === 'cancelled') return { ok: false, code: 'PAYMENT_CANCELLED', message: `payment ${request.bankRef} was cancelled at ${record.cancelledAt}: use a new reference for a new payment` };
      if (record.status === 'corrected') return { ok: false, code: 'PAYMENT_CORRECTED', message: `payment ${request.bankRef} was corrected by the SPC: see GET /v1/payments/${request.bankRef}` };
      if (record.status === 'excluded') return { ok: false, code: 'PAYMENT_EXCLUDED', message: `payment ${request.bankRef} was excluded at reconciliation of ${record.businessDate}: ask the SPC` };
      return {
        ok: true,
        payment: {
          paymentId: paymentWorkflowId(request.bankCode, request.bankRef), bankCode: request.bankCode, bankRef: request.bankRef, status: 'accepted',
          businessDate: record.businessDate, amount: record.amount, allocations: record.allocations, closesAt: record.closesAt,
        },
      };
    }
  }
  // A query of a closed workflow is answered by a worker: bounded like every other call.
  const state = await withinEngineTimeout(ctx.client, 'payment', () => ctx.client.workflow.getHandle(paymentWorkflowId(request.bankCode, request.bankRef)).query(paymentStateQuery));
  if (state.requestHash !== hash) return conflict;
  if (!state.accepted) throw new Error(`invariant: finished payment ${state.paymentId} has no acceptance`);
  return { ok: true, payment: state.accepted };
}

/**
 * Cancels a payment before its bank-day's cut-off; repeating the call returns the first
 * cancellation. A payment accepted before PATCH_COMPLETE_ON_POST still has its workflow open and
 * cancels itself; every other one is cancelled by a cancellation workflow.
 */
export async function cancelPayment(ctx: PaymentClientContext, bankCode: string, bankRef: string, reason = ''): Promise<CancelOutcome> {
  try {
    const legacy = ctx.client.workflow.getHandle(paymentWorkflowId(bankCode, bankRef));
    const update = () => legacy.executeUpdate(cancelPaymentUpdate, { args: [{ reason }], updateId: 'cancel' });
    return { ok: true, cancellation: await withinEngineTimeout(ctx.client, 'cancellation', update) };
  } catch (err) {
    const rejection = rejectionOf(err);
    if (rejection) return { ok: false, ...rejection };
    // Not found: the workflow has completed (new shape), was never there (a register row), or is
    // past retention. The cancellation workflow answers all three from Postgres.
    if (errorName(err) !== 'WorkflowNotFoundError') throw err;
  }
  const workflowId = cancellationWorkflowId(bankCode, bankRef);
  const run = () =>
    ctx.client.workflow.execute(cancellationWorkflow, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ bankCode, bankRef, reason: cancelReasonOf(reason) }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A refused cancellation failed: asking again runs again. A done one answers its result.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: new TypedSearchAttributes([{ key: BANK_CODE, value: bankCode }]),
    });
  try {
    return { ok: true, cancellation: await withEngineRetry(ctx.client, 'cancellation', run, isBusinessAnswer) };
  } catch (err) {
    const rejection = rejectionOf(err);
    if (rejection) return { ok: false, ...rejection };
    if (errorName(err) === 'WorkflowExecutionAlreadyStartedError') {
      const result = () => ctx.client.workflow.getHandle<typeof cancellationWorkflow>(workflowId).result();
      return { ok: true, cancellation: await withinEngineTimeout(ctx.client, 'cancellation', result) };
    }
    throw err;
  }
}
