// GET /v1/provider/registers?date=YYYY-MM-DD and the download of one register as CSV or camt.054
// (scope registers, issue 19 item 1). Every read is filtered by the key's provider: another
// provider's register answers 404 like one that does not exist.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ApiDeps } from '../deps';
import { findProviderRegisterFile, findProviderRegisters } from '../../db/queries/provider-registers';
import { ApiError } from '../errors';
import { providerOf } from '../provider-auth';
import { commonErrors, errorResponse } from '../schemas';
import { PROVIDER_REGISTER_CONTENT_TYPES, type ProviderRegisterFormat } from '../../domain/provider-register';
import { registerFilePath } from '../../domain/provider-register-push';

type App = Parameters<FastifyPluginAsync<ApiDeps>>[0];

const DATE_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';
const FILE_NAMES: Record<string, ProviderRegisterFormat> = { 'register.csv': 'csv', 'camt054.xml': 'camt054' };

const registerSchema = {
  type: 'object',
  required: ['id', 'businessDate', 'version', 'lineCount', 'total', 'createdAt', 'banks', 'files'],
  properties: {
    id: { type: 'string', example: 'ALMATY_SU:2026-12-07:v1' },
    businessDate: { type: 'string', format: 'date' },
    version: { type: 'integer' },
    lineCount: { type: 'integer' },
    total: { type: 'string', description: 'decimal KZT: Σ of the banks\' list lines to the provider', example: '1250.50' },
    createdAt: { type: 'string', format: 'date-time' },
    banks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['bankCode', 'settlementId', 'endToEndId', 'lineCount', 'total'],
        properties: { bankCode: { type: 'string' }, settlementId: { type: 'string' }, endToEndId: { type: 'string' }, lineCount: { type: 'integer' }, total: { type: 'string' } },
      },
    },
    files: {
      type: 'array',
      items: { type: 'object', required: ['format', 'sha256', 'bytes', 'url'], properties: { format: { type: 'string', enum: ['csv', 'camt054'] }, sha256: { type: 'string' }, bytes: { type: 'integer' }, url: { type: 'string' } } },
    },
  },
} as const;

function listRoute(app: App, deps: ApiDeps): void {
  app.get<{ Querystring: { date: string } }>('/registers', {
    config: { providerScope: 'registers' },
    schema: {
      tags: ['provider'],
      summary: 'The provider\'s payment registers of a business day (one per day, a new version if the day changed)',
      security: [{ providerKey: [] }],
      querystring: { type: 'object', required: ['date'], additionalProperties: false, properties: { date: { type: 'string', pattern: DATE_PATTERN, example: '2026-12-07' } } },
      response: { 200: { type: 'object', required: ['providerId', 'date', 'registers'], properties: { providerId: { type: 'string' }, date: { type: 'string' }, registers: { type: 'array', items: registerSchema } } }, 403: errorResponse, ...commonErrors },
    },
  }, async (request) => {
    const { providerId } = providerOf(request);
    const registers = await findProviderRegisters(deps.db, providerId, request.query.date);
    return {
      providerId, date: request.query.date,
      registers: registers.map((r) => ({
        ...r, files: r.files.map((f) => ({ ...f, url: registerFilePath(r.id, f.format) })),
      })),
    };
  });
}

function downloadRoute(app: App, deps: ApiDeps): void {
  app.get<{ Params: { id: string; file: string } }>('/registers/:id/:file', {
    config: { providerScope: 'registers' },
    schema: {
      tags: ['provider'],
      summary: 'One register\'s stored bytes: register.csv or camt054.xml (byte-identical on every download)',
      security: [{ providerKey: [] }],
      params: { type: 'object', required: ['id', 'file'], properties: { id: { type: 'string', maxLength: 60 }, file: { type: 'string', enum: Object.keys(FILE_NAMES) } } },
      response: { 403: errorResponse, 404: errorResponse, ...commonErrors },
    },
  }, async (request, reply): Promise<FastifyReply> => {
    const { providerId } = providerOf(request);
    const format = FILE_NAMES[request.params.file] as ProviderRegisterFormat;
    const file = await findProviderRegisterFile(deps.db, providerId, request.params.id, format);
    if (!file) throw new ApiError(404, 'NOT_FOUND', `no register ${request.params.id} of provider ${providerId}`);
    return reply.type(PROVIDER_REGISTER_CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="register-${request.params.id.replace(/:/g, '-')}.${format === 'csv' ? 'csv' : 'xml'}"`)
      .header('etag', `"${file.sha256}"`)
      .header('x-content-sha256', file.sha256)
      .send(file.content);
  });
}

export const providerRegisterRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  listRoute(app, deps);
  downloadRoute(app, deps);
};
