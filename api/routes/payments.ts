// Payments: submit (idempotent by the bank's reference), look up, cancel. The bank is always the
// API key's: a body naming a bank is refused by the schema, and another bank's reference reads as
// unknown (404), exactly like one that does not exist.
import type { FastifyPluginAsync } from 'fastify';
import { cancelPayment, submitPayment, type PaymentClientContext } from '../../client/payments';
import type { Channel, MeterReadingRequest, PaymentLineRequest, PaymentRequest } from '../../domain/payment-types';
import { paymentWorkflowId } from '../../domain/payment-types';
import { cancellability, nothingToCancelMessage, paymentNotFoundMessage } from '../../domain/cancellation';
import { findPayment, latestRejection } from '../../db/queries/payments';
import { bankOf } from '../auth';
import { recordKeyAction } from '../key-actions';
import type { ApiDeps } from '../deps';
import { ApiError, rejectionError } from '../errors';
import { parseIsoInstant } from '../../domain/instant';
import { bankRefParam, commonErrors, emptyBodyAsObject, errorResponse, paymentAcceptedResponse, paymentRequestBody, REASON_CHARS_MAX } from '../schemas';
import { FREE_TEXT_PATTERN } from '../../domain/free-text';

/**
 * How long a request waits for the SPC's answer. Past it the bank gets 504 and repeats the same
 * request (same bankRef): the payment is not lost, the repeat answers the first result.
 */
export const PAYMENT_ANSWER_TIMEOUT_MS = 30_000;

interface PaymentBody {
  bankRef: string;
  account: string;
  channel: Exclude<Channel, 'register'>;
  amount: string;
  lines?: PaymentLineRequest[];
  readings?: MeterReadingRequest[];
  paidAt?: string;
}

async function withAnswerTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ApiError(504, 'TIMEOUT', `the SPC did not answer within ${PAYMENT_ANSWER_TIMEOUT_MS / 1000} s: repeat the same request with the same bankRef to get the answer`)),
          PAYMENT_ANSWER_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const paymentViewSchema = {
  type: 'object',
  required: ['paymentId', 'bankRef', 'status', 'effectiveStatus'],
  properties: {
    paymentId: { type: 'string' },
    bankRef: { type: 'string' },
    status: { type: 'string', enum: ['accepted', 'cancelled', 'excluded', 'rejected'], description: 'Recorded status' },
    effectiveStatus: {
      type: 'string',
      enum: ['accepted', 'settled', 'cancelled', 'excluded', 'rejected'],
      description: '`settled` once the settlement of the payment\'s bank-day is settled (money transferred and confirmed)',
    },
    account: { type: 'string' },
    channel: { type: 'string' },
    amount: { $ref: 'Amount#' },
    paidAt: { type: 'string' },
    businessDate: { type: 'string', format: 'date' },
    closesAt: { type: 'string', description: 'The bank-day\'s cut-off: cancellation is refused from then on' },
    postedAt: { type: 'string' },
    workflowId: { type: 'string', description: 'The workflow that wrote the payment: `payment:<BANK>:<ref>`, or `register:<id>` for a register row' },
    cancelledAt: { type: 'string', nullable: true },
    registerId: { type: 'string', nullable: true },
    pileNo: { type: 'string', nullable: true },
    settlementId: { type: 'string', nullable: true, description: '`<BANK>:<YYYY-MM-DD>` once the bank-day\'s settlement exists' },
    settlementStatus: { type: 'string', nullable: true },
    allocations: { type: 'array', items: { $ref: 'Allocation#' } },
    rejection: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, at: { type: 'string' } } },
  },
} as const;

const cancelResultSchema = {
  type: 'object',
  properties: {
    paymentId: { type: 'string' },
    status: { type: 'string', enum: ['cancelled'] },
    cancelledAt: { type: 'string' },
    reversedAmount: { $ref: 'Amount#' },
  },
} as const;

type PaymentRecord = NonNullable<Awaited<ReturnType<typeof findPayment>>>;

/** A payment as GET /payments/:bankRef answers it. */
function paymentView(record: PaymentRecord, paymentId: string) {
  return {
    paymentId,
    bankRef: record.bankRef,
    status: record.status,
    effectiveStatus: record.effectiveStatus,
    account: record.account,
    channel: record.channel,
    amount: record.amount,
    paidAt: record.paidAt,
    businessDate: record.businessDate,
    closesAt: record.closesAt,
    postedAt: record.postedAt,
    cancelledAt: record.cancelledAt,
    registerId: record.registerId,
    pileNo: record.pileNo,
    workflowId: record.workflowId,
    settlementId: record.settlementId,
    settlementStatus: record.settlementStatus,
    allocations: record.allocations,
  };
}

type App = Parameters<FastifyPluginAsync<ApiDeps>>[0];
type PaymentContext = PaymentClientContext;

function registerSubmitRoute(app: App, deps: ApiDeps, ctx: PaymentContext): void {
  app.post<{ Body: PaymentBody }>(
    '/payments',
    {
      config: { scope: 'pay' },
      schema: {
        tags: ['payments'],
        summary: 'Submit a payment; repeating the same request returns the first answer',
        description:
          '201: accepted and posted. 422: refused for a business reason (`code`: ACCOUNT_NOT_FOUND, AMOUNT_MISMATCH, INVALID_AMOUNT, ' +
          'READING_BELOW_PREVIOUS, READING_IMPLAUSIBLE, UNKNOWN_SERVICE, NO_INVOICE, NOTHING_DUE, INVALID_READING, INVALID_REQUEST, PAID_AT_TOO_OLD, BANK_REF_RESERVED for a bankRef ending in /K and digits); a refused reference may be ' +
          'used again. 409 REFERENCE_CONFLICT: the bankRef was already used for a different payment. 504 TIMEOUT: repeat the same request. ' +
          '503 UNAVAILABLE (with Retry-After): the SPC could not process it now; repeat the same request after Retry-After seconds.',
        security: [{ bearerAuth: [] }],
        body: paymentRequestBody,
        response: { 201: paymentAcceptedResponse, 409: errorResponse, 422: errorResponse, 504: errorResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const bank = bankOf(request);
      const body = request.body;
      if (body.paidAt !== undefined && parseIsoInstant(body.paidAt) === null) {
        throw new ApiError(400, 'VALIDATION_FAILED', 'field paidAt must be an ISO-8601 instant with a zone, e.g. 2026-11-27T10:15:00+05:00', { field: 'paidAt', in: 'body' });
      }
      const payment: PaymentRequest = { bankCode: bank.code, bankRef: body.bankRef, channel: body.channel, account: body.account, amount: body.amount };
      if (body.lines !== undefined) payment.lines = body.lines;
      if (body.readings !== undefined) payment.readings = body.readings;
      if (body.paidAt !== undefined) payment.paidAt = body.paidAt;
      const outcome = await withAnswerTimeout(submitPayment(ctx, payment));
      await recordKeyAction(deps.db, bank, 'payment.submit', paymentWorkflowId(bank.code, body.bankRef), outcome.ok ? 'ok' : outcome.code);
      if (!outcome.ok) throw rejectionError(outcome.code, outcome.message);
      const p = outcome.payment;
      return reply.code(201).send({
        paymentId: p.paymentId,
        bankRef: p.bankRef,
        status: p.status,
        businessDate: p.businessDate,
        amount: p.amount,
        allocations: p.allocations,
        closesAt: p.closesAt,
      });
    },
  );
}

function registerLookupRoute(app: App, deps: ApiDeps): void {
  app.get<{ Params: { bankRef: string } }>(
    '/payments/:bankRef',
    {
      config: { scope: 'lookup' },
      schema: {
        tags: ['payments'],
        summary: 'A payment of this bank by its reference: status, effective status (incl. settled), settlement, allocations',
        security: [{ bearerAuth: [] }],
        params: { type: 'object', required: ['bankRef'], properties: { bankRef: bankRefParam } },
        response: { 200: paymentViewSchema, 404: errorResponse, ...commonErrors },
      },
    },
    async (request) => {
      const bank = bankOf(request);
      const { bankRef } = request.params;
      const record = await findPayment(deps.db, bank.code, bankRef);
      if (!record) {
        const rejection = await latestRejection(deps.db, bank.code, bankRef);
        if (!rejection) throw rejectionError('PAYMENT_NOT_FOUND', paymentNotFoundMessage(bank.code, bankRef));
        return {
          paymentId: paymentWorkflowId(bank.code, bankRef),
          bankRef,
          status: 'rejected',
          effectiveStatus: 'rejected',
          workflowId: rejection.workflowId,
          rejection: { code: rejection.code, message: rejection.message, at: rejection.at },
        };
      }
      return paymentView(record, paymentWorkflowId(bank.code, bankRef));
    },
  );
}

function registerCancelRoute(app: App, deps: ApiDeps, ctx: PaymentContext): void {
  app.post<{ Params: { bankRef: string }; Body: { reason?: string } | undefined }>(
    '/payments/:bankRef/cancel',
    {
      config: { scope: 'cancel' },
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ['payments'],
        summary: 'Cancel a payment before its bank-day closes (posts a reversal); repeating returns the first cancellation',
        description: '404 PAYMENT_NOT_FOUND; 409 BANK_DAY_CLOSED after the cut-off or once the bank-day is closed; 409 PAYMENT_REJECTED for a refused payment.',
        security: [{ bearerAuth: [] }],
        params: { type: 'object', required: ['bankRef'], properties: { bankRef: bankRefParam } },
        body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: REASON_CHARS_MAX, pattern: FREE_TEXT_PATTERN } } },
        response: { 200: cancelResultSchema, 404: errorResponse, 409: errorResponse, 504: errorResponse, ...commonErrors },
      },
    },
    async (request) => {
      const bank = bankOf(request);
      const { bankRef } = request.params;
      // The same rule the cancellation activity enforces under its lock, asked here first so that
      // a refusal costs no workflow.
      const record = await findPayment(deps.db, bank.code, bankRef);
      if (!record) {
        if (await latestRejection(deps.db, bank.code, bankRef)) throw rejectionError('PAYMENT_REJECTED', nothingToCancelMessage(bankRef));
        throw rejectionError('PAYMENT_NOT_FOUND', paymentNotFoundMessage(bank.code, bankRef));
      }
      const verdict = cancellability({ ...record, dayClosed: record.dayClosedAt !== null }, new Date());
      if (verdict.kind === 'refused') throw rejectionError(verdict.code, verdict.message);
      if (verdict.kind === 'already-cancelled') {
        await recordKeyAction(deps.db, bank, 'payment.cancel', paymentWorkflowId(bank.code, bankRef), 'repeat');
        return { paymentId: paymentWorkflowId(bank.code, bankRef), status: 'cancelled', cancelledAt: record.cancelledAt, reversedAmount: record.amount };
      }
      const outcome = await withAnswerTimeout(cancelPayment(ctx, bank.code, bankRef, request.body?.reason ?? ''));
      await recordKeyAction(deps.db, bank, 'payment.cancel', paymentWorkflowId(bank.code, bankRef), outcome.ok ? 'ok' : outcome.code);
      if (!outcome.ok) throw rejectionError(outcome.code, outcome.message);
      return outcome.cancellation;
    },
  );
}

export const paymentRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const ctx: PaymentContext = { client: deps.client, taskQueue: deps.taskQueue, db: deps.db };
  registerSubmitRoute(app, deps, ctx);
  registerLookupRoute(app, deps);
  registerCancelRoute(app, deps, ctx);
};
