// Payments: submit (idempotent by the bank's reference), look up, cancel. The bank is always the
// API key's: a body naming a bank is refused by the schema, and another bank's reference reads as
// unknown (404), exactly like one that does not exist.
import type { FastifyPluginAsync } from 'fastify';
import { cancelPayment, submitPayment } from '../../client/payments';
import type { Channel, MeterReadingRequest, PaymentLineRequest, PaymentRequest } from '../../domain/payment-types';
import { paymentWorkflowId } from '../../domain/payment-types';
import { formatAmount, fromDb } from '../../domain/money';
import { almatyToUtc } from '../../domain/calendar';
import { bankOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, rejectionError } from '../errors';
import { parseIsoInstant } from '../../domain/instant';
import { bankRefParam, commonErrors, emptyBodyAsObject, errorResponse, paymentAcceptedResponse, paymentRequestBody, REASON_CHARS_MAX } from '../schemas';

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
    postedAt: { type: 'string' },
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

export const paymentRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const ctx = { client: deps.client, taskQueue: deps.taskQueue };

  app.post<{ Body: PaymentBody }>(
    '/payments',
    {
      schema: {
        tags: ['payments'],
        summary: 'Submit a payment; repeating the same request returns the first answer',
        description:
          '201: accepted and posted. 422: refused for a business reason (`code`: ACCOUNT_NOT_FOUND, AMOUNT_MISMATCH, INVALID_AMOUNT, ' +
          'READING_BELOW_PREVIOUS, UNKNOWN_SERVICE, NO_INVOICE, NOTHING_DUE, INVALID_READING, INVALID_REQUEST, PAID_AT_TOO_OLD); a refused reference may be ' +
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

  app.get<{ Params: { bankRef: string } }>(
    '/payments/:bankRef',
    {
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
      const row = await deps.db('payments as p')
        .leftJoin('settlements as s', function joinSettlement() {
          this.on('s.bank_code', 'p.bank_code').andOn('s.business_date', 'p.business_date');
        })
        .where({ 'p.bank_code': bank.code, 'p.bank_ref': bankRef })
        .first(
          'p.id', 'p.bank_ref', 'p.channel', 'p.account_number', 'p.amount', 'p.paid_at', 'p.business_date', 'p.status', 'p.register_id',
          'p.pile_no', 'p.posted_at', 'p.cancelled_at', 'p.workflow_id', 's.id as settlement_id', 's.status as settlement_status',
        );
      if (!row) {
        const rejection = await deps.db('payment_rejections').where({ bank_code: bank.code, bank_ref: bankRef }).orderBy('id', 'desc').first('code', 'message', 'created_at');
        if (!rejection) throw new ApiError(404, 'PAYMENT_NOT_FOUND', `no payment ${bankRef} of bank ${bank.code}`);
        return {
          paymentId: paymentWorkflowId(bank.code, bankRef),
          bankRef,
          status: 'rejected',
          effectiveStatus: 'rejected',
          rejection: { code: rejection.code, message: rejection.message, at: rejection.created_at.toISOString() },
        };
      }
      const allocations = await deps.db('allocations as a')
        .join('services as s', 's.code', 'a.service_code')
        .where({ 'a.payment_id': row.id })
        .orderBy([{ column: 's.sort_order' }, { column: 'a.service_code' }])
        .select('a.service_code', 'a.provider_id', 'a.amount');
      return {
        paymentId: row.workflow_id,
        bankRef: row.bank_ref,
        status: row.status,
        effectiveStatus: row.status === 'accepted' && row.settlement_status === 'settled' ? 'settled' : row.status,
        account: row.account_number,
        channel: row.channel,
        amount: formatAmount(fromDb(row.amount)),
        paidAt: row.paid_at.toISOString(),
        businessDate: row.business_date,
        postedAt: row.posted_at.toISOString(),
        cancelledAt: row.cancelled_at ? row.cancelled_at.toISOString() : null,
        registerId: row.register_id,
        pileNo: row.pile_no,
        settlementId: row.settlement_id ?? null,
        settlementStatus: row.settlement_status ?? null,
        allocations: allocations.map((a) => ({ service: a.service_code, provider: a.provider_id, amount: formatAmount(fromDb(a.amount)) })),
      };
    },
  );

  app.post<{ Params: { bankRef: string }; Body: { reason?: string } | undefined }>(
    '/payments/:bankRef/cancel',
    {
      preValidation: emptyBodyAsObject,
      schema: {
        tags: ['payments'],
        summary: 'Cancel a payment before its bank-day closes (posts a reversal); repeating returns the first cancellation',
        description: '404 PAYMENT_NOT_FOUND; 409 BANK_DAY_CLOSED after the cut-off or once the bank-day is closed; 409 PAYMENT_REJECTED for a refused payment.',
        security: [{ bearerAuth: [] }],
        params: { type: 'object', required: ['bankRef'], properties: { bankRef: bankRefParam } },
        body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: REASON_CHARS_MAX } } },
        response: { 200: cancelResultSchema, 404: errorResponse, 409: errorResponse, 504: errorResponse, ...commonErrors },
      },
    },
    async (request) => {
      const bank = bankOf(request);
      const { bankRef } = request.params;
      // Postgres answers the cases that need no workflow, including payments whose workflow has
      // long completed (and may be past Temporal's retention).
      const row = await deps.db('payments as p')
        .leftJoin('bank_days as d', function joinDay() {
          this.on('d.bank_code', 'p.bank_code').andOn('d.business_date', 'p.business_date');
        })
        .join('banks as b', 'b.code', 'p.bank_code')
        .where({ 'p.bank_code': bank.code, 'p.bank_ref': bankRef })
        .first('p.status', 'p.amount', 'p.cancelled_at', 'p.business_date', 'p.workflow_id', 'd.closed_at', 'b.cutoff_local');
      if (!row) {
        const rejected = await deps.db('payment_rejections').where({ bank_code: bank.code, bank_ref: bankRef }).first('id');
        if (rejected) throw rejectionError('PAYMENT_REJECTED', `payment ${bankRef} was rejected: there is nothing to cancel`);
        throw rejectionError('PAYMENT_NOT_FOUND', `no payment ${bankRef} of bank ${bank.code}`);
      }
      if (row.status === 'cancelled') {
        return { paymentId: row.workflow_id, status: 'cancelled', cancelledAt: row.cancelled_at.toISOString(), reversedAmount: formatAmount(fromDb(row.amount)) };
      }
      if (row.status === 'excluded') throw rejectionError('BANK_DAY_CLOSED', `payment ${bankRef} was excluded at reconciliation and cannot be cancelled`);
      if (row.closed_at) throw rejectionError('BANK_DAY_CLOSED', `the bank-day ${row.business_date} of ${bank.code} is closed: payment ${bankRef} can no longer be cancelled`);
      // The workflow refuses after the cut-off too; checking here as well keeps the answer exact
      // in the moments between the cut-off and the workflow's timer firing.
      if (almatyToUtc(row.business_date, row.cutoff_local).getTime() <= Date.now()) {
        throw rejectionError('BANK_DAY_CLOSED', `the cut-off of bank-day ${row.business_date} (${row.cutoff_local} Almaty) has passed: payment ${bankRef} can no longer be cancelled`);
      }
      const outcome = await withAnswerTimeout(cancelPayment(ctx, bank.code, bankRef, request.body?.reason ?? ''));
      if (!outcome.ok) throw rejectionError(outcome.code, outcome.message);
      return outcome.cancellation;
    },
  );
};
