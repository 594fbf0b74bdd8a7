// A bank's settlements: read from Postgres (the settlement workflow writes every step there), the
// payment list as pain.001 XML and as CSV (the stored bytes, whose SHA-256 is in the ETag), and the
// bank's confirmation of its transfers through the settlement workflow (client/settlements.ts).
//
// Settlement id: '<BANK>:<YYYY-MM-DD>', the settlements row's key. The colon may be sent as is or
// URL-encoded (%3A); '<BANK>-<YYYY-MM-DD>' is accepted too, for clients that mangle colons.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { confirmTransfers, type TransferConfirmation } from '../../client/settlements';
import { formatAmount, fromDb } from '../../domain/money';
import { parseSettlementId as parseSettlementIdText } from '../../domain/identifiers';
import { bankOf } from '../auth';
import { recordKeyAction } from '../key-actions';
import type { ApiDeps } from '../deps';
import { ApiError, settlementError, truncateForMessage } from '../errors';
import type { Db } from '../../db/connection';
import { findBankSettlement, listBankSettlements, settlementFile, settlementFileSummaries, settlementLinesOf, type SettlementRow } from '../../db/queries/settlements';
import { businessDateOfQuery, businessDateQuery, commonErrors, CONFIRM_LINES_MAX, emptyBodyAsObject, errorResponse, SETTLEMENT_ID_DESCRIPTION, TRANSFER_REF_CHARS_MAX } from '../schemas';

const TRANSFER_REF_PATTERN = '^[A-Za-z0-9._:/-]{1,64}$';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function summaryOf(s: SettlementRow) {
  return {
    id: s.id,
    bankCode: s.bank_code,
    businessDate: s.business_date,
    status: s.status,
    paymentCount: s.payment_count,
    paymentsTotal: formatAmount(fromDb(s.payments_total)),
    reversalCount: s.reversal_count,
    reversalsTotal: formatAmount(fromDb(s.reversals_total)),
    netTotal: formatAmount(fromDb(s.net_total)),
    executionDate: s.execution_date,
    confirmDueDate: s.confirm_due_date,
    msgId: s.msg_id,
    excludedRefs: s.excluded_refs,
    discrepancies: s.discrepancies,
    createdAt: iso(s.created_at),
    aggregatedAt: iso(s.aggregated_at),
    deliveredAt: iso(s.delivered_at),
    confirmedAt: iso(s.confirmed_at),
    settledAt: iso(s.settled_at),
  };
}

function parseSettlementId(id: string, bankCode: string): { id: string; businessDate: string } {
  const parsed = parseSettlementIdText(id);
  if (!parsed || parsed.bankCode !== bankCode) throw new ApiError(404, 'SETTLEMENT_NOT_FOUND', `no settlement ${truncateForMessage(id)} of bank ${bankCode}`);
  return { id: parsed.id, businessDate: parsed.businessDate };
}

async function loadSettlement(db: Db, id: string, bankCode: string): Promise<SettlementRow> {
  const row = await findBankSettlement(db, id, bankCode);
  if (!row) throw new ApiError(404, 'SETTLEMENT_NOT_FOUND', `no settlement ${id} of bank ${bankCode}`);
  return row;
}

async function settlementDetail(db: Db, row: SettlementRow) {
  const [lines, files] = await Promise.all([
    settlementLinesOf(db, row.id),
    settlementFileSummaries(db, row.id),
  ]);
  const base = `/v1/settlements/${encodeURIComponent(row.id)}`;
  return {
    ...summaryOf(row),
    lines: lines.map((l) => ({
      lineNo: l.line_no,
      provider: l.provider_id,
      providerName: l.name,
      providerBin: l.bin,
      iban: l.iban,
      bic: l.bic,
      knp: l.knp,
      amount: formatAmount(fromDb(l.amount)),
      paymentCount: l.payment_count,
      endToEndId: l.end_to_end_id,
      transferRef: l.transfer_ref,
      confirmedAt: iso(l.confirmed_at),
      // Corrections of earlier days netted into this line (docs/corrections.md); absent when none.
      ...(l.adjustment_refs.length > 0 ? { adjustment: { amount: formatAmount(fromDb(l.adjustment_amount)), corrections: l.adjustment_refs } } : {}),
    })),
    files: files.map((f) => ({ format: f.format, sha256: f.sha256, bytes: f.bytes, url: `${base}/${f.format === 'pain001' ? 'pain001.xml' : 'list.csv'}` })),
  };
}

const summaryProperties = {
  id: { type: 'string', example: 'HSBK:2026-11-27' },
  bankCode: { type: 'string' },
  businessDate: { type: 'string', format: 'date' },
  status: { type: 'string', enum: ['closing', 'discrepancy', 'aggregated', 'delivered', 'overdue', 'settled'] },
  paymentCount: { type: 'integer' },
  paymentsTotal: { $ref: 'Amount#' },
  reversalCount: { type: 'integer' },
  reversalsTotal: { $ref: 'Amount#' },
  netTotal: { $ref: 'Amount#' },
  executionDate: { type: 'string', nullable: true },
  confirmDueDate: { type: 'string', nullable: true },
  msgId: { type: 'string', nullable: true },
  excludedRefs: { type: 'array', items: { type: 'string' } },
  discrepancies: { type: 'array', items: { type: 'object', additionalProperties: true } },
  createdAt: { type: 'string', nullable: true },
  aggregatedAt: { type: 'string', nullable: true },
  deliveredAt: { type: 'string', nullable: true },
  confirmedAt: { type: 'string', nullable: true },
  settledAt: { type: 'string', nullable: true },
} as const;

const detailSchema = {
  type: 'object',
  properties: {
    ...summaryProperties,
    lines: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          lineNo: { type: 'integer' },
          provider: { type: 'string' },
          providerName: { type: 'string' },
          providerBin: { type: 'string' },
          iban: { type: 'string' },
          bic: { type: 'string' },
          knp: { type: 'string' },
          amount: { $ref: 'Amount#' },
          paymentCount: { type: 'integer' },
          endToEndId: { type: 'string' },
          transferRef: { type: 'string', nullable: true },
          confirmedAt: { type: 'string', nullable: true },
          adjustment: {
            type: 'object',
            description: 'Corrections of earlier days netted into this line (signed sum, K<seq> references); absent when none',
            properties: { amount: { type: 'string' }, corrections: { type: 'array', items: { type: 'string' } } },
          },
        },
      },
    },
    files: {
      type: 'array',
      items: { type: 'object', properties: { format: { type: 'string' }, sha256: { type: 'string' }, bytes: { type: 'integer' }, url: { type: 'string' } } },
    },
  },
} as const;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 32, description: SETTLEMENT_ID_DESCRIPTION, example: 'HSBK:2026-11-27' } },
} as const;

async function sendFile(db: Db, reply: FastifyReply, settlement: SettlementRow, format: 'pain001' | 'csv'): Promise<FastifyReply> {
  const file = await settlementFile(db, settlement.id, format);
  if (!file) {
    throw new ApiError(409, 'LIST_NOT_READY', `settlement ${settlement.id} is ${settlement.status}: its payment list is produced after the day is closed and reconciled; try again later`);
  }
  const name = `${format === 'pain001' ? 'pain001' : 'payment-list'}-${settlement.id.replace(':', '-')}.${format === 'pain001' ? 'xml' : 'csv'}`;
  return reply
    .type(format === 'pain001' ? 'application/xml; charset=utf-8' : 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('etag', `"${file.sha256}"`)
    .header('x-content-sha256', file.sha256)
    .send(file.content);
}

type App = Parameters<FastifyPluginAsync<ApiDeps>>[0];

function registerReadRoutes(app: App, deps: ApiDeps): void {
  app.get<{ Querystring: { date?: string } }>(
    '/settlements',
    {
      config: { scope: 'settlements:read' },
      schema: {
        tags: ['settlements'],
        summary: 'This bank\'s settlements, newest first; `date` picks one business date',
        security: [{ bearerAuth: [] }],
        querystring: { type: 'object', additionalProperties: false, properties: { date: businessDateQuery } },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: summaryProperties } } } }, ...commonErrors },
      },
    },
    async (request) => {
      const bank = bankOf(request);
      const rows = await listBankSettlements(deps.db, bank.code, businessDateOfQuery(request.query.date));
      return { items: rows.map(summaryOf) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/settlements/:id',
    {
      config: { scope: 'settlements:read' },
      schema: {
        tags: ['settlements'],
        summary: 'One settlement: totals, status, the payment list\'s lines (one transfer per provider) and its files',
        security: [{ bearerAuth: [] }],
        params: idParams,
        response: { 200: detailSchema, 404: errorResponse, ...commonErrors },
      },
    },
    async (request) => {
      const bank = bankOf(request);
      const { id } = parseSettlementId(request.params.id, bank.code);
      return settlementDetail(deps.db, await loadSettlement(deps.db, id, bank.code));
    },
  );
}

/** The payment list's stored files, one route each. */
const LIST_FILES = [
  { path: 'pain001.xml', format: 'pain001', produces: 'application/xml', summary: 'The payment list as ISO 20022 pain.001.001.09 XML (ETag and X-Content-SHA256: its SHA-256)' },
  { path: 'list.csv', format: 'csv', produces: 'text/csv', summary: 'The payment list as CSV (docs/payment-lists.md)' },
] as const;

function registerFileRoutes(app: App, deps: ApiDeps): void {
  for (const file of LIST_FILES) {
    app.get<{ Params: { id: string } }>(
      `/settlements/:id/${file.path}`,
      {
        config: { scope: 'settlements:read' },
        schema: {
          tags: ['settlements'],
          summary: file.summary,
          security: [{ bearerAuth: [] }],
          params: idParams,
          produces: [file.produces],
          response: { 200: { type: 'string' }, 404: errorResponse, 409: errorResponse, ...commonErrors },
        },
      },
      async (request, reply) => {
        const bank = bankOf(request);
        const { id } = parseSettlementId(request.params.id, bank.code);
        return sendFile(deps.db, reply, await loadSettlement(deps.db, id, bank.code), file.format);
      },
    );
  }
}

const confirmationBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    transferRef: { type: 'string', pattern: TRANSFER_REF_PATTERN, maxLength: TRANSFER_REF_CHARS_MAX, description: 'The bank\'s reference of the transfers (all lines)' },
    lines: {
      type: 'array',
      minItems: 1,
      maxItems: CONFIRM_LINES_MAX,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['lineNo', 'transferRef'],
        properties: { lineNo: { type: 'integer', minimum: 1 }, transferRef: { type: 'string', pattern: TRANSFER_REF_PATTERN, maxLength: TRANSFER_REF_CHARS_MAX } },
      },
    },
  },
} as const;

function registerConfirmationRoute(app: App, deps: ApiDeps): void {
  const ctx = { client: deps.client, taskQueue: deps.taskQueue, engineTimeoutMs: deps.engineTimeoutMs };
  app.post<{ Params: { id: string }; Body: TransferConfirmation }>(
    '/settlements/:id/confirmation',
    {
      preValidation: emptyBodyAsObject,
      config: { scope: 'settlements:confirm' },
      schema: {
        tags: ['settlements'],
        summary: 'Confirm the transfers of the payment list: all lines with one `transferRef`, or `lines` one by one',
        description:
          'The day is settled when every line is confirmed. 409 NOT_AWAITING_CONFIRMATION (list not delivered yet), LINE_ALREADY_CONFIRMED, ' +
          'ALREADY_SETTLED; 422 UNKNOWN_LINE, INVALID_REQUEST. Repeating the same confirmation answers the same.',
        security: [{ bearerAuth: [] }],
        params: idParams,
        body: confirmationBody,
        response: { 200: detailSchema, 404: errorResponse, 409: errorResponse, 422: errorResponse, ...commonErrors },
      },
    },
    async (request) => {
      const bank = bankOf(request);
      const { id, businessDate } = parseSettlementId(request.params.id, bank.code);
      const body = request.body ?? {};
      if (body.transferRef === undefined && body.lines === undefined) {
        throw new ApiError(400, 'VALIDATION_FAILED', 'give transferRef (all lines) or lines [{lineNo, transferRef}]', { field: 'transferRef', in: 'body' });
      }
      await loadSettlement(deps.db, id, bank.code);
      const confirmation: TransferConfirmation = {};
      if (body.transferRef !== undefined) confirmation.transferRef = body.transferRef;
      if (body.lines !== undefined) confirmation.lines = body.lines;
      // A refusal answers with its code's status (domain/settlement-errors.ts).
      const outcome = await confirmTransfers(ctx, bank.code, businessDate, confirmation);
      await recordKeyAction(deps.db, bank, 'settlement.confirm', id, outcome.ok ? 'ok' : outcome.code);
      if (!outcome.ok) throw settlementError(outcome.code, outcome.message);
      return settlementDetail(deps.db, await loadSettlement(deps.db, id, bank.code));
    },
  );
}

export const settlementRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  registerReadRoutes(app, deps);
  registerFileRoutes(app, deps);
  registerConfirmationRoute(app, deps);
};
