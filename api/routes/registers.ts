// Day registers (format: docs/registers.md). POST checks the whole file first: a malformed file is
// refused with 400 naming its lines and nothing is posted. A well-formed file is stored and its
// workflow submits every row as a payment; GET shows progress and per-row results, page by page.
import type { FastifyPluginAsync } from 'fastify';
import { getRegister, listRegisters, submitRegister, REGISTER_PAGE_ROWS_MAX } from '../../client/registers';
import { addDays, toAlmaty } from '../../domain/calendar';
import { bankOf } from '../auth';
import { recordKeyAction } from '../key-actions';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { parseIsoInstant } from '../../domain/instant';
import { BANK_CODE_PATTERN } from '../../domain/identifiers';
import { PAID_AT_PAST_DAYS_MAX, paidAtProblem } from '../../domain/payment-validation';
import { parseRegisterCsv, registerContentSha256, REGISTER_ERRORS_LISTED_MAX, type LineError, type RegisterHeader, type RegisterRow } from '../../domain/register-csv';
import { businessDateOfQuery, businessDateQuery, commonErrors, errorResponse, paginationQuery } from '../schemas';

/** Largest register file accepted (a 100,000-row register is about 10 MiB). */
export const REGISTER_BODY_BYTES_MAX = 20 * 1024 * 1024;
/**
 * A register whose business date is older than this is refused: its rows' receipt is the upload,
 * and the SPC takes no payment dated more than PAID_AT_PAST_DAYS_MAX days before receipt.
 */
export const REGISTER_PAST_DAYS_MAX = PAID_AT_PAST_DAYS_MAX;

/** Register id `<BANK>:<16 hex>` as clients send it (or with a dash, for clients that mangle colons). */
const REGISTER_ID_RE = new RegExp(`^(${BANK_CODE_PATTERN})[:-]([0-9a-f]{16})$`);

const summaryProperties = {
  id: { type: 'string', example: 'HSBK:3f1c9a0d5e7b2c41' },
  bankCode: { type: 'string' },
  businessDate: { type: 'string', format: 'date' },
  fileSha256: { type: 'string' },
  declaredCount: { type: 'integer' },
  declaredTotal: { $ref: 'Amount#' },
  rowCount: { type: 'integer' },
  rowsDone: { type: 'integer' },
  rowsAccepted: { type: 'integer' },
  rowsRejected: { type: 'integer' },
  status: { type: 'string', enum: ['processing', 'done'] },
  createdAt: { type: 'string' },
  workflowId: { type: 'string' },
} as const;

const registerSummarySchema = { type: 'object', properties: summaryProperties } as const;

const registerViewSchema = {
  type: 'object',
  properties: {
    ...summaryProperties,
    rows: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          lineNo: { type: 'integer', description: 'Line of the file (1-based; the first row of payments is line 3)' },
          bankRef: { type: 'string' },
          account: { type: 'string' },
          amount: { $ref: 'Amount#' },
          status: { type: 'string', enum: ['pending', 'accepted', 'rejected'] },
          code: { type: 'string', nullable: true },
          message: { type: 'string', nullable: true },
        },
      },
    },
    page: {
      type: 'object',
      properties: { after: { type: 'integer' }, limit: { type: 'integer' }, nextAfter: { type: 'integer', nullable: true } },
    },
  },
} as const;

function decodeUtf8(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new ApiError(400, 'MALFORMED_REGISTER', 'the register is not valid UTF-8 text: save it as UTF-8', { errors: [{ line: 1, message: 'not UTF-8' }], errorCount: 1 });
  }
}

/** The paidAt rule of domain/payment-validation.ts applied to the register at its upload: its date and every row's paid_at. */
function registerAgeErrors(header: RegisterHeader, rows: readonly RegisterRow[], receivedAt: Date): { errors: LineError[]; errorCount: number } {
  const today = toAlmaty(receivedAt).date;
  const date = header.businessDate;
  if (date > today) return { errors: [{ line: 1, message: `business_date ${date} is in the future (today is ${today} in Almaty)` }], errorCount: 1 };
  if (date < addDays(today, -REGISTER_PAST_DAYS_MAX)) {
    return { errors: [{ line: 1, message: `business_date ${date} is more than ${REGISTER_PAST_DAYS_MAX} days ago (PAID_AT_TOO_OLD): the SPC takes no payment that old` }], errorCount: 1 };
  }
  const errors: LineError[] = [];
  let errorCount = 0;
  for (const row of rows) {
    const paidAt = row.paidAt === undefined ? null : parseIsoInstant(row.paidAt);
    const problem = paidAt === null ? null : paidAtProblem(paidAt, receivedAt);
    if (!problem) continue;
    errorCount++;
    if (errors.length < REGISTER_ERRORS_LISTED_MAX) errors.push({ line: row.lineNo, message: `paid_at: ${problem.message} (${problem.code})` });
  }
  return { errors, errorCount };
}

function parseRegisterId(id: string, bankCode: string): string {
  const match = REGISTER_ID_RE.exec(id);
  if (!match || match[1] !== bankCode) throw new ApiError(404, 'REGISTER_NOT_FOUND', `no register ${id} of bank ${bankCode}`);
  return `${match[1]}:${match[2]}`;
}

type App = Parameters<FastifyPluginAsync<ApiDeps>>[0];

function registerUploadRoute(app: App, deps: ApiDeps): void {
  app.post(
    '/registers',
    {
      config: { scope: 'registers' },
      bodyLimit: REGISTER_BODY_BYTES_MAX,
      schema: {
        tags: ['registers'],
        summary: 'Upload a day\'s register (CSV, docs/registers.md); 202 with its id, then poll GET /v1/registers/{id}',
        description:
          'Content-Type: text/csv. The first line declares the business date, row count and total: ' +
          '`#register;business_date=2026-11-27;count=3;total=4500.00`; then a header row `bank_ref;account;amount;lines;readings;paid_at;pile_no` ' +
          '(bank_ref, account, amount required) and one payment per line, `;`-separated; `lines` as `ELEC:100.00|CWATER:50.00`, `readings` as `ELEC:12345.6`. ' +
          'A malformed file answers 400 MALFORMED_REGISTER with `details.errors` [{line, message}] and nothing is posted. The same file again answers the same register.',
        security: [{ bearerAuth: [] }],
        consumes: ['text/csv'],
        response: { 202: registerSummarySchema, 413: errorResponse, 415: errorResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const bank = bankOf(request);
      if (!Buffer.isBuffer(request.body)) {
        throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the register file as the request body with Content-Type: text/csv');
      }
      const parsed = parseRegisterCsv(decodeUtf8(request.body));
      if (!parsed.ok) {
        const first = parsed.errors[0];
        throw new ApiError(
          400,
          'MALFORMED_REGISTER',
          `the register has ${parsed.errorCount} error(s) and was not accepted; nothing was posted. First: line ${first?.line}: ${first?.message}`,
          { errors: parsed.errors, errorCount: parsed.errorCount },
        );
      }
      const age = registerAgeErrors(parsed.header, parsed.rows, new Date());
      if (age.errorCount > 0) {
        const first = age.errors[0];
        throw new ApiError(400, 'MALFORMED_REGISTER', `line ${first?.line}: ${first?.message}; nothing was posted`, age);
      }
      // The content's hash, not the bytes': the same register re-sent with a BOM or CRLF is the same register.
      const sha256 = registerContentSha256(parsed.header, parsed.rows);
      const { register, created } = await submitRegister(deps, bank.code, sha256, parsed.header, parsed.rows);
      await recordKeyAction(deps.db, bank, 'register.upload', register.id, created ? 'ok' : 'repeat');
      return reply.code(202).header('location', `/v1/registers/${encodeURIComponent(register.id)}`).send(register);
    },
  );
}

function registerReadRoutes(app: App, deps: ApiDeps): void {
  app.get<{ Querystring: { date?: string } }>(
    '/registers',
    {
      config: { scope: 'registers' },
      schema: {
        tags: ['registers'],
        summary: 'This bank\'s registers, newest first (optionally of one business date)',
        security: [{ bearerAuth: [] }],
        querystring: { type: 'object', additionalProperties: false, properties: { date: businessDateQuery } },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: registerSummarySchema } } }, ...commonErrors },
      },
    },
    async (request) => ({ items: await listRegisters(deps.db, bankOf(request).code, { businessDate: businessDateOfQuery(request.query.date) }) }),
  );

  app.get<{ Params: { id: string }; Querystring: { after?: string; limit?: string; status?: 'pending' | 'accepted' | 'rejected' } }>(
    '/registers/:id',
    {
      config: { scope: 'registers' },
      schema: {
        tags: ['registers'],
        summary: 'A register\'s progress (rows done of total) and one page of per-row results',
        security: [{ bearerAuth: [] }],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64, description: '`<BANK>:<16 hex>` as returned by POST (or with a dash)' } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...paginationQuery, status: { type: 'string', enum: ['pending', 'accepted', 'rejected'], description: 'Only rows with this result' } },
        },
        response: { 200: registerViewSchema, 404: errorResponse, ...commonErrors },
      },
    },
    async (request) => {
      const bank = bankOf(request);
      const id = parseRegisterId(request.params.id, bank.code);
      const limit = request.query.limit === undefined ? undefined : Number(request.query.limit);
      if (limit !== undefined && (limit < 1 || limit > REGISTER_PAGE_ROWS_MAX)) {
        throw new ApiError(400, 'VALIDATION_FAILED', `querystring field limit must be from 1 to ${REGISTER_PAGE_ROWS_MAX}`, { field: 'limit', in: 'querystring' });
      }
      const view = await getRegister(deps.db, bank.code, id, { after: request.query.after === undefined ? 0 : Number(request.query.after), limit, status: request.query.status });
      if (!view) throw new ApiError(404, 'REGISTER_NOT_FOUND', `no register ${request.params.id} of bank ${bank.code}`);
      return view;
    },
  );
}

export const registerRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  // Only CSV here: a JSON body would be read (up to the register limit) just to be refused.
  app.removeContentTypeParser('application/json');
  // Read as bytes: decoded strictly as UTF-8 below, then identified by the hash of its content.
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'buffer', bodyLimit: REGISTER_BODY_BYTES_MAX }, (_request, body, done) => done(null, body));
  registerUploadRoute(app, deps);
  registerReadRoutes(app, deps);
};
