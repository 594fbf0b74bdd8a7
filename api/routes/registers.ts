// Day registers (format: docs/registers.md). POST checks the whole file first: a malformed file is
// refused with 400 naming its lines and nothing is posted. A well-formed file is stored and its
// workflow submits every row as a payment; GET shows progress and per-row results, page by page.
import type { FastifyPluginAsync } from 'fastify';
import { getRegister, listRegisters, submitRegister, REGISTER_PAGE_ROWS_MAX } from '../../client/registers';
import { bankOf } from '../auth';
import { recordKeyAction } from '../key-actions';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { BANK_CODE_PATTERN } from '../../domain/identifiers';
import { RegisterParser, RegisterParserBusy } from '../register-parser';
import { businessDateOfQuery, businessDateQuery, commonErrors, errorResponse, paginationQuery } from '../schemas';

/** Largest register file accepted (a 100,000-row register is about 10 MiB). */
export const REGISTER_BODY_BYTES_MAX = 20 * 1024 * 1024;
export { REGISTER_PAST_DAYS_MAX } from '../register-upload';

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

function parseRegisterId(id: string, bankCode: string): string {
  const match = REGISTER_ID_RE.exec(id);
  if (!match || match[1] !== bankCode) throw new ApiError(404, 'REGISTER_NOT_FOUND', `no register ${id} of bank ${bankCode}`);
  return `${match[1]}:${match[2]}`;
}

type App = Parameters<FastifyPluginAsync<ApiDeps>>[0];

function registerUploadRoute(app: App, deps: ApiDeps, parser: RegisterParser): void {
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
      // Off the event loop when big (api/register-parser.ts): other requests go on being answered meanwhile.
      const parsed = await parser.parse(request.body, new Date()).catch((err: Error) => {
        if (err instanceof RegisterParserBusy) throw new ApiError(503, 'REGISTERS_BUSY', 'the SPC is parsing other large registers right now: retry the upload in a few seconds');
        throw err;
      });
      if (!parsed.ok) throw new ApiError(400, 'MALFORMED_REGISTER', parsed.message, parsed.details);
      const sha256 = parsed.sha256;
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
  const parser = deps.registerParser ?? new RegisterParser();
  if (!deps.registerParser) app.addHook('onClose', async () => parser.close());
  registerUploadRoute(app, deps, parser);
  registerReadRoutes(app, deps);
};
