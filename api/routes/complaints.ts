// A bank's complaints: raise one about a payment (a disposition code from docs/complaints.md and a
// text), follow its state. Answers come from the complaints row (client/complaints.ts), so a bank
// sees the same as the CLI and /ops; another bank's complaint is answered 404, as if absent.
import type { FastifyPluginAsync } from 'fastify';
import { ComplaintActionError, getComplaint, listComplaints, raiseComplaint } from '../../client/complaints';
import { BANK_DISPOSITIONS, COMPLAINT_DISPOSITIONS, DISPOSITIONS, COMPLAINT_ID_RE, COMPLAINT_TEXT_CHARS_MAX, type Disposition } from '../../domain/complaint-types';
import { bankOf } from '../auth';
import { recordKeyAction } from '../key-actions';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { bankRefParam, commonErrors, errorResponse } from '../schemas';
import { FREE_TEXT_PATTERN } from '../../domain/free-text';

export const COMPLAINTS_PAGE_MAX = 200;
const COMPLAINT_ID_CHARS_MAX = 100;
const STATUSES = ['open', 'assigned', 'resolved', 'closed', 'escalated'] as const;

const complaintSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', example: 'HSBK:CASH-0001:DUPLICATE_PAYMENT', description: '`<BANK>:<bankRef>:<DISPOSITION>` (URL-encode it in paths)' },
    bankCode: { type: 'string' },
    bankRef: { type: 'string' },
    disposition: { type: 'string', enum: DISPOSITIONS },
    text: { type: 'string' },
    status: { type: 'string', enum: STATUSES },
    raisedBy: { type: 'string' },
    assignee: { type: 'string', nullable: true },
    twinBankRef: { type: 'string', nullable: true, description: 'A duplicate payment\'s candidate twin' },
    correctionId: { type: 'string', nullable: true, description: 'The correction proposed for it, or the one it was resolved with' },
    resolution: { type: 'object', nullable: true, additionalProperties: true },
    deadlineAt: { type: 'string' },
    escalatedAt: { type: 'string', nullable: true },
    version: { type: 'integer', description: 'Grows with every change; the webhook sends each version once' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

export const complaintRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const ctx = { client: deps.client, taskQueue: deps.taskQueue, db: deps.db };

  app.post<{ Body: { bankRef: string; disposition: Disposition; text: string } }>(
    '/complaints',
    {
      config: { scope: 'complaints' },
      schema: {
        tags: ['complaints'],
        summary: 'Raise a complaint about a payment',
        description: `Dispositions: ${BANK_DISPOSITIONS.map((d) => `\`${d}\` (${COMPLAINT_DISPOSITIONS[d].description}; ${COMPLAINT_DISPOSITIONS[d].deadlineBusinessDays} business days)`).join(', ')}. `
          + 'One complaint per payment and disposition: sending it again answers 200 with the complaint already raised.',
        security: [{ bearerAuth: [] }],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['bankRef', 'disposition', 'text'],
          properties: {
            bankRef: bankRefParam,
            disposition: { type: 'string', enum: BANK_DISPOSITIONS },
            text: { type: 'string', minLength: 1, maxLength: COMPLAINT_TEXT_CHARS_MAX, pattern: FREE_TEXT_PATTERN, description: 'Plain text in any language; line breaks allowed, other control characters not' },
          },
        },
        response: { 200: complaintSchema, 201: complaintSchema, 404: errorResponse, 422: errorResponse, 429: errorResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const bank = bankOf(request);
      // A refusal is a ComplaintActionError: api/errors.ts answers it with its code's status.
      try {
        const { complaint, created } = await raiseComplaint(ctx, { bankCode: bank.code, bankRef: request.body.bankRef, disposition: request.body.disposition, text: request.body.text, raisedBy: `bank:${bank.code}` }, { notPostedPerDayMax: deps.notPostedComplaintsPerDayMax });
        await recordKeyAction(deps.db, bank, 'complaint.raise', complaint.id, created ? 'ok' : 'repeat');
        return reply.code(created ? 201 : 200).send(complaint);
      } catch (err) {
        if (err instanceof ComplaintActionError) await recordKeyAction(deps.db, bank, 'complaint.raise', `${bank.code}:${request.body.bankRef}:${request.body.disposition}`, err.code);
        throw err;
      }
    },
  );

  app.get<{ Querystring: { status?: string; limit?: string } }>(
    '/complaints',
    {
      config: { scope: 'complaints' },
      schema: {
        tags: ['complaints'],
        summary: 'The bank\'s complaints, newest first',
        security: [{ bearerAuth: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { status: { type: 'string', enum: STATUSES }, limit: { type: 'string', pattern: '^[0-9]{1,3}$', description: `1-${COMPLAINTS_PAGE_MAX} (default 50)` } },
        },
        response: { 200: { type: 'object', properties: { complaints: { type: 'array', items: complaintSchema } } }, ...commonErrors },
      },
    },
    async (request) => {
      const limit = Math.max(1, Math.min(Number(request.query.limit ?? 50), COMPLAINTS_PAGE_MAX));
      return { complaints: await listComplaints(deps.db, { bank: bankOf(request).code, status: request.query.status, limit }) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/complaints/:id',
    {
      config: { scope: 'complaints' },
      schema: {
        tags: ['complaints'],
        summary: 'One complaint of the bank',
        security: [{ bearerAuth: [] }],
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: COMPLAINT_ID_CHARS_MAX, pattern: COMPLAINT_ID_RE.source } } },
        response: { 200: complaintSchema, 404: errorResponse, ...commonErrors },
      },
    },
    async (request) => {
      const bank = bankOf(request);
      const complaint = await getComplaint(deps.db, request.params.id, bank.code);
      if (!complaint) throw new ApiError(404, 'COMPLAINT_NOT_FOUND', `no complaint ${request.params.id} of bank ${bank.code}`);
      return complaint;
    },
  );
};
