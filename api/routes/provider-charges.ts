// The providers' charges (issue 18 item 3; docs/provider-api.md), scope charges:
// - POST /v1/provider/charges?period=YYYY-MM: a CSV file (the registers' dialect) or a JSON body of
//   lines. The whole upload is read first: an unreadable line answers 400 MALFORMED_CHARGES naming
//   its lines, and nothing is stored. A readable upload is stored as the provider's next version and
//   its workflow judges every line (accepted, or refused with a row-level code); 202 with its id.
//   The same content again answers the same upload (200).
// - GET /v1/provider/charges/{uploadId}: progress and one page of the refused lines.
// - GET /v1/provider/charges?period=YYYY-MM: the period's versions, newest first.
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { OneAtATime, OneAtATimeBusy } from '../one-at-a-time';
import { providerOf } from '../provider-auth';
import { commonErrors, errorResponse, paginationQuery } from '../schemas';
import { submitCharges } from '../../client/charges';
import { ChargeUploadRefusal } from '../../db/charge-uploads';
import { CHARGE_REFUSED_PAGE_MAX, findChargeUpload, listChargeUploads } from '../../db/queries/charge-uploads';
import { toAlmaty } from '../../domain/calendar';
import { CHARGE_LINES_MAX, CHARGE_REFUSAL_CODES, CHARGE_UPLOAD_ID_RE, readChargeLinesSteps, type ChargeLineInput, type ParsedCharges } from '../../domain/charge-lines';
import { parseChargesCsvSteps } from '../../domain/charges-csv';
import { runStepsYielding, type Steps } from '../../domain/steps';
import { decodeCsvBytes } from '../../domain/csv-dialect';

/** Largest upload accepted: CHARGE_LINES_MAX lines of CSV are about 60 MiB. */
export const CHARGES_BODY_BYTES_MAX = 96 * 1024 * 1024;

const periodQuery = { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'the billing period, YYYY-MM', example: '2026-12' } as const;

const summaryProperties = {
  uploadId: { type: 'string', example: 'charges:ALMATY_SU:2026-12:3f1c9a0d5e7b2c41' },
  providerId: { type: 'string' },
  period: { type: 'string' },
  version: { type: 'integer', description: '1 for the provider\'s first upload of the period, then 2, 3, …' },
  state: { type: 'string', enum: ['received', 'posting', 'done', 'superseded', 'refused'], description: 'done: the provider\'s current charges of the period; superseded: a newer version replaced it; refused: the period closed before it was done' },
  contentSha256: { type: 'string' },
  rowCount: { type: 'integer' },
  rowsDone: { type: 'integer' },
  rowsAccepted: { type: 'integer' },
  rowsRefused: { type: 'integer' },
  acceptedTotal: { type: 'string', description: 'sum of the accepted lines\' amounts (signed decimal)' },
  refusedTotal: { type: 'string' },
  createdAt: { type: 'string', format: 'date-time' },
  finishedAt: { type: 'string', format: 'date-time', nullable: true },
} as const;

const summarySchema = { type: 'object', required: Object.keys(summaryProperties), properties: summaryProperties } as const;

const uploadViewSchema = {
  type: 'object',
  properties: {
    ...summaryProperties,
    refused: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          line: { type: 'integer', description: 'CSV: the file\'s line (the header is line 1); JSON: the position in `lines`, from 1' },
          code: { type: 'string', enum: Object.keys(CHARGE_REFUSAL_CODES) },
          message: { type: 'string' },
          account: { type: 'string', nullable: true },
          service: { type: 'string', nullable: true },
          amount: { type: 'string', nullable: true },
        },
      },
    },
    page: { type: 'object', properties: { after: { type: 'integer' }, limit: { type: 'integer' }, nextAfter: { type: 'integer', nullable: true } } },
  },
} as const;

const JSON_LINE_FIELDS = ['account', 'service', 'quantity', 'unit', 'tariff', 'amount', 'forPeriod', 'reason'];

/** A JSON body's lines, read by the same rules as a CSV's. */
function* parseJsonBodySteps(body: unknown, period: string): Steps<ParsedCharges> {
  const lines = (body as { lines?: unknown } | null)?.lines;
  if (typeof body !== 'object' || body === null || !Array.isArray(lines)) return { ok: false, errors: [{ line: 1, message: 'the body must be {"lines": [...]}' }], errorCount: 1 };
  if (lines.length > CHARGE_LINES_MAX) return { ok: false, errors: [{ line: 1, message: `${lines.length} lines: an upload holds at most ${CHARGE_LINES_MAX}` }], errorCount: 1 };
  const inputs: ChargeLineInput[] = [];
  const errors = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as Record<string, unknown> | null;
    if (typeof l !== 'object' || l === null || Array.isArray(l)) {
      errors.push({ line: i + 1, message: 'a line must be an object' });
      continue;
    }
    const unknown = Object.keys(l).find((k) => !JSON_LINE_FIELDS.includes(k));
    if (unknown !== undefined) errors.push({ line: i + 1, message: `unknown field ${unknown.slice(0, 40)}: fields are ${JSON_LINE_FIELDS.join(', ')}` });
    else inputs.push({ lineNo: i + 1, account: l.account, service: l.service, quantity: l.quantity, unit: l.unit, tariff: l.tariff, amount: l.amount, forPeriod: l.forPeriod, reason: l.reason });
  }
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, 50), errorCount: errors.length };
  return yield* readChargeLinesSteps(inputs, period);
}

type App = Parameters<FastifyPluginAsync<ApiDeps>>[0];

/**
 * Uploads that may wait while another is read: each waiting one holds its raw body (up to
 * CHARGES_BODY_BYTES_MAX); more answer 503 CHARGES_BUSY with Retry-After, and the provider repeats.
 */
export const CHARGE_UPLOADS_WAITING_MAX = 2;

function uploadRoute(app: App, deps: ApiDeps): void {
  const reading = new OneAtATime(CHARGE_UPLOADS_WAITING_MAX);
  app.post<{ Querystring: { period: string } }>(
    '/charges',
    {
      config: { providerScope: 'charges' },
      bodyLimit: CHARGES_BODY_BYTES_MAX,
      schema: {
        tags: ['provider'],
        summary: 'Upload the provider\'s charges for a period (CSV or JSON, docs/provider-api.md); 202 with the upload, then poll GET /v1/provider/charges/{uploadId}',
        description:
          'Content-Type text/csv: a header row `account;service;quantity;unit;tariff;amount;for_period;reason` (account, service, amount required), UTF-8 or Windows-1251, `;` or `,`, decimal commas. ' +
          'Content-Type application/json: `{"lines": [{"account", "service", "quantity", "unit", "tariff", "amount", "forPeriod", "reason"}]}`, decimals as strings. ' +
          'A line with for_period before the period is a recalculation (negative allowed, reason required). An unreadable line answers 400 MALFORMED_CHARGES with `details.errors` [{line, message}] and nothing is stored. ' +
          'The same content again answers the same upload (200). A newer upload of the period supersedes the current one when it is done, until the period closes.',
        security: [{ providerKey: [] }],
        consumes: ['text/csv', 'application/json'],
        querystring: { type: 'object', required: ['period'], additionalProperties: false, properties: { period: periodQuery } },
        response: { 200: uploadViewSchema, 202: uploadViewSchema, 403: errorResponse, 409: errorResponse, 413: errorResponse, 415: errorResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const { providerId } = providerOf(request);
      const { period } = request.query;
      const submitted = await reading.run(async () => {
        // Read in slices between which the process serves its other requests (a cashier's look-up must not wait for a million lines).
        const parsed = await runStepsYielding(Buffer.isBuffer(request.body) ? parseChargesCsvSteps(decodeCsvBytes(request.body).text, period) : parseJsonBodySteps(request.body, period));
        if (!parsed.ok) {
          const first = parsed.errors[0];
          throw new ApiError(400, 'MALFORMED_CHARGES', `the upload has ${parsed.errorCount} unreadable line(s) and was not accepted; nothing was stored. First: line ${first?.line}: ${first?.message}`, { errors: parsed.errors, errorCount: parsed.errorCount });
        }
        try {
          return await submitCharges(deps, providerId, period, parsed.lines, toAlmaty(new Date()).date.slice(0, 7));
        } catch (err) {
          if (err instanceof ChargeUploadRefusal) throw new ApiError(409, err.code, err.message);
          throw err;
        }
      }).catch((err: unknown) => {
        if (err instanceof OneAtATimeBusy) throw new ApiError(503, 'CHARGES_BUSY', `the SPC is reading other charge uploads right now (${err.message}): repeat the same upload after Retry-After seconds`);
        throw err;
      });
      const view = await findChargeUpload(deps.db, providerId, submitted.uploadId);
      if (!view) throw new Error(`invariant: upload ${submitted.uploadId} not found right after it was stored`);
      return reply.code(submitted.created ? 202 : 200).header('location', `/v1/provider/charges/${encodeURIComponent(view.uploadId)}`).send(view);
    },
  );
}

function readRoutes(app: App, deps: ApiDeps): void {
  app.get<{ Params: { uploadId: string }; Querystring: { after?: string; limit?: string } }>(
    '/charges/:uploadId',
    {
      config: { providerScope: 'charges' },
      schema: {
        tags: ['provider'],
        summary: 'An upload\'s progress (rows done, accepted, refused) and one page of its refused lines with their codes',
        security: [{ providerKey: [] }],
        params: { type: 'object', required: ['uploadId'], properties: { uploadId: { type: 'string', maxLength: 80, description: 'charges:<PROVIDER>:<YYYY-MM>:<16 hex>, as POST returned it' } } },
        querystring: { type: 'object', additionalProperties: false, properties: paginationQuery },
        response: { 200: uploadViewSchema, 403: errorResponse, 404: errorResponse, ...commonErrors },
      },
    },
    async (request) => {
      const { providerId } = providerOf(request);
      const notFound = () => new ApiError(404, 'UPLOAD_NOT_FOUND', `no charge upload ${request.params.uploadId} of provider ${providerId}`);
      if (!CHARGE_UPLOAD_ID_RE.test(request.params.uploadId)) throw notFound();
      const limit = request.query.limit === undefined ? undefined : Number(request.query.limit);
      if (limit !== undefined && (limit < 1 || limit > CHARGE_REFUSED_PAGE_MAX)) {
        throw new ApiError(400, 'VALIDATION_FAILED', `querystring field limit must be from 1 to ${CHARGE_REFUSED_PAGE_MAX}`, { field: 'limit', in: 'querystring' });
      }
      const view = await findChargeUpload(deps.db, providerId, request.params.uploadId, { after: request.query.after === undefined ? 0 : Number(request.query.after), limit });
      if (!view) throw notFound();
      return view;
    },
  );

  app.get<{ Querystring: { period: string } }>(
    '/charges',
    {
      config: { providerScope: 'charges' },
      schema: {
        tags: ['provider'],
        summary: 'The provider\'s uploads of a period, newest version first (every version is kept)',
        security: [{ providerKey: [] }],
        querystring: { type: 'object', required: ['period'], additionalProperties: false, properties: { period: periodQuery } },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: summarySchema } } }, 403: errorResponse, ...commonErrors },
      },
    },
    async (request) => ({ items: await listChargeUploads(deps.db, providerOf(request).providerId, request.query.period) }),
  );
}

export const providerChargeRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  // CSV read as bytes: decoded as UTF-8 or Windows-1251 (domain/csv-dialect.ts), then identified by its content's hash.
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'buffer', bodyLimit: CHARGES_BODY_BYTES_MAX }, (_request, body, done) => done(null, body));
  uploadRoute(app, deps);
  readRoutes(app, deps);
};
