// POST /v1/provider/transfers: what the provider received, as JSON or as a CSV bank-statement
// extract; GET /v1/provider/transfers?date=: the day's matching against the banks' list lines
// (scope transfers, issue 19 item 2). A report is recorded whole or not at all.
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { providerOf } from '../provider-auth';
import { commonErrors, errorResponse } from '../schemas';
import { TransferRefused, recordProviderTransfers } from '../../activities/provider-transfers';
import { findTransferMatches } from '../../db/queries/provider-transfers';
import {
  type ReportedTransfer, TRANSFERS_PER_REPORT_MAX, TransferReportError, assertDistinctRefs, parseTransfer, parseTransferCsv,
} from '../../domain/provider-transfers';

type App = Parameters<FastifyPluginAsync<ApiDeps>>[0];

/** 5 000 CSV rows of ~60 bytes, with room. */
export const TRANSFERS_BODY_BYTES_MAX = 1024 * 1024;
const DATE_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';

const matchSchema = {
  type: 'object',
  required: ['bankCode', 'businessDate', 'endToEndId', 'expected', 'received', 'difference', 'status', 'bankConfirmedAt', 'statementRefs'],
  properties: {
    bankCode: { type: 'string' },
    businessDate: { type: 'string', format: 'date' },
    endToEndId: { type: 'string', nullable: true, description: 'the list line; null when the SPC has none for this bank and day' },
    expected: { type: 'string', nullable: true, description: 'decimal KZT of the list line' },
    received: { type: 'string', description: 'decimal KZT reported received' },
    difference: { type: 'string', description: 'expected - received (positive: still missing)' },
    status: { type: 'string', enum: ['matched', 'short', 'excess', 'unknown', 'awaiting'] },
    bankConfirmedAt: { type: 'string', nullable: true, format: 'date-time' },
    statementRefs: { type: 'array', items: { type: 'string' } },
  },
} as const;

function parseReport(body: unknown): ReportedTransfer[] {
  let transfers: ReportedTransfer[];
  if (Buffer.isBuffer(body)) transfers = parseTransferCsv(body.toString('utf8'));
  else {
    const list = (body as { transfers?: unknown } | null)?.transfers;
    if (!Array.isArray(list)) throw new TransferReportError('MALFORMED_TRANSFERS', 'the body is {"transfers": [...]} or a CSV extract (text/csv)', { field: 'transfers' });
    transfers = list.map((t, i) => {
      if (typeof t !== 'object' || t === null) throw new TransferReportError('MALFORMED_TRANSFERS', `transfer ${i + 1} is not an object`, { row: i + 1 });
      return parseTransfer(t as Record<string, unknown>, i + 1);
    });
  }
  if (transfers.length === 0) throw new TransferReportError('MALFORMED_TRANSFERS', 'the report holds no transfer', {});
  if (transfers.length > TRANSFERS_PER_REPORT_MAX) throw new TransferReportError('MALFORMED_TRANSFERS', `more than ${TRANSFERS_PER_REPORT_MAX} transfers in one report: split it`, {});
  assertDistinctRefs(transfers);
  return transfers;
}

function postRoute(app: App, deps: ApiDeps): void {
  app.post('/transfers', {
    config: { providerScope: 'transfers' },
    bodyLimit: TRANSFERS_BODY_BYTES_MAX,
    schema: {
      tags: ['provider'],
      summary: 'Report transfers received (JSON {transfers:[{bankCode,businessDate,amount,statementRef,receivedOn?}]} or a CSV extract), matched to the lists\' lines',
      security: [{ providerKey: [] }],
      response: {
        200: { type: 'object', required: ['recorded', 'repeated', 'matches'], properties: { recorded: { type: 'integer' }, repeated: { type: 'integer' }, matches: { type: 'array', items: matchSchema } } },
        403: errorResponse, 409: errorResponse, 413: errorResponse, 415: errorResponse, 422: errorResponse, ...commonErrors,
      },
    },
  }, async (request) => {
    const { providerId } = providerOf(request);
    let transfers: ReportedTransfer[];
    try {
      transfers = parseReport(request.body);
    } catch (err) {
      if (err instanceof TransferReportError) throw new ApiError(400, err.code, err.message, err.details);
      throw err;
    }
    let recorded;
    try {
      recorded = await recordProviderTransfers(deps.db, providerId, transfers);
    } catch (err) {
      if (err instanceof TransferRefused) throw new ApiError(err.code === 'UNKNOWN_BANK' ? 422 : 409, err.code, err.message, err.details);
      throw err;
    }
    const dates = transfers.map((t) => t.businessDate).sort();
    const touched = new Set(transfers.map((t) => `${t.bankCode}|${t.businessDate}`));
    const matches = (await findTransferMatches(deps.db, providerId, dates[0] as string, dates[dates.length - 1] as string)).filter((m) => touched.has(`${m.bankCode}|${m.businessDate}`));
    return { ...recorded, matches };
  });
}

function getRoute(app: App, deps: ApiDeps): void {
  app.get<{ Querystring: { date: string } }>('/transfers', {
    config: { providerScope: 'transfers' },
    schema: {
      tags: ['provider'],
      summary: 'The day\'s list lines to the provider against what it reported received: matched, short, excess, unknown, awaiting',
      security: [{ providerKey: [] }],
      querystring: { type: 'object', required: ['date'], additionalProperties: false, properties: { date: { type: 'string', pattern: DATE_PATTERN } } },
      response: { 200: { type: 'object', required: ['providerId', 'date', 'matches'], properties: { providerId: { type: 'string' }, date: { type: 'string' }, matches: { type: 'array', items: matchSchema } } }, 403: errorResponse, ...commonErrors },
    },
  }, async (request) => {
    const { providerId } = providerOf(request);
    return { providerId, date: request.query.date, matches: await findTransferMatches(deps.db, providerId, request.query.date, request.query.date) };
  });
}

export const providerTransferRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'buffer', bodyLimit: TRANSFERS_BODY_BYTES_MAX }, (_request, body, done) => done(null, body));
  postRoute(app, deps);
  getRoute(app, deps);
};
