// GET /v1/provider/readings?period=YYYY-MM (issue 18 item 2, scope readings): the period's readings
// of the provider's metered services, as JSON or as CSV (Accept: text/csv or ?format=csv).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps';
import { findProviderReadings, type ProviderReadingRow } from '../../db/queries/provider-readings';
import { READINGS_WINDOW_DAYS_DEFAULT, windowEndUtc } from '../../domain/billing-period';
import { providerOf } from '../provider-auth';
import { commonErrors, errorResponse } from '../schemas';

const readingSchema = {
  type: 'object',
  required: ['account', 'service', 'meterSerial', 'previous', 'current', 'channel', 'readAt', 'bankCode', 'sentBy'],
  properties: {
    account: { type: 'string', example: '7100000001' },
    service: { type: 'string', example: 'CWATER' },
    meterSerial: { type: 'string' },
    previous: { type: 'string', description: 'decimal, three fraction digits', example: '200.000' },
    current: { type: 'string', description: 'decimal, three fraction digits', example: '215.500' },
    channel: { type: 'string', enum: ['cash_desk', 'online', 'kiosk', 'register', 'cabinet'], description: 'cabinet: the household submitted it in its personal cabinet' },
    readAt: { type: 'string', format: 'date-time' },
    bankCode: { type: 'string', nullable: true, description: 'the bank that sent the reading with a payment; null for a cabinet reading', example: 'HSBK' },
    sentBy: { type: 'string', description: '`bank:<code>`, or `household` for a reading the household sent itself', example: 'bank:HSBK' },
  },
} as const;

export const READINGS_CSV_COLUMNS = ['account', 'service', 'meter_serial', 'previous', 'current', 'channel', 'read_at', 'sent_by'] as const;

/** A CSV field: quoted when it holds the separator, a quote or a line break. */
function csvField(value: string): string {
  return /[;"\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The readings as `;`-separated UTF-8 CSV with a header row, decimal points and ISO instants (a program's file, not a spreadsheet's). */
export function readingsCsv(rows: readonly ProviderReadingRow[]): string {
  const lines = [READINGS_CSV_COLUMNS.join(';')];
  for (const r of rows) lines.push([r.account, r.service, r.meterSerial, r.previous, r.current, r.channel, r.readAt.toISOString(), r.sentBy].map(csvField).join(';'));
  return `${lines.join('\r\n')}\r\n`;
}

function wantsCsv(request: FastifyRequest<{ Querystring: { format?: string } }>): boolean {
  if (request.query.format !== undefined) return request.query.format === 'csv';
  return /\btext\/csv\b/.test(request.headers.accept ?? '');
}

export function readingsRoute(app: Parameters<FastifyPluginAsync<ApiDeps>>[0], deps: ApiDeps): void {
  app.get<{ Querystring: { period: string; format?: 'json' | 'csv' } }>(
    '/readings',
    {
      config: { providerScope: 'readings' },
      schema: {
        tags: ['provider'],
        summary: 'The period\'s meter readings of the provider\'s metered services, per account and meter (JSON, or CSV with Accept: text/csv or ?format=csv)',
        description: 'A reading belongs to the period whose readings window (default the 20th–25th) is the first not yet over on its local date: a reading after the window counts for the next period.',
        security: [{ providerKey: [] }],
        querystring: {
          type: 'object',
          required: ['period'],
          additionalProperties: false,
          properties: {
            period: { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'the billing period, YYYY-MM', example: '2026-12' },
            format: { type: 'string', enum: ['json', 'csv'], description: 'overrides the Accept header' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['providerId', 'period', 'window', 'readings', 'truncated'],
            properties: {
              providerId: { type: 'string' },
              period: { type: 'string' },
              window: {
                type: 'object', required: ['from', 'to', 'over'],
                properties: { from: { type: 'string', format: 'date' }, to: { type: 'string', format: 'date' }, over: { type: 'boolean', description: 'true once the window\'s last day has passed in Almaty: the list is final' } },
              },
              readings: { type: 'array', items: readingSchema },
              truncated: { type: 'boolean', description: 'true when there were more readings than one answer holds' },
            },
          },
          403: errorResponse,
          ...commonErrors,
        },
      },
    },
    async (request, reply) => {
      const { providerId } = providerOf(request);
      const days = deps.readingsWindowDays ?? READINGS_WINDOW_DAYS_DEFAULT;
      const { window, readings, truncated } = await findProviderReadings(deps.db, providerId, request.query.period, days);
      if (wantsCsv(request)) {
        reply.header('content-disposition', `attachment; filename="readings-${providerId}-${request.query.period}.csv"`);
        if (truncated) reply.header('x-truncated', 'true');
        return reply.type('text/csv; charset=utf-8').send(readingsCsv(readings));
      }
      const over = new Date() >= windowEndUtc(window);
      return { providerId, period: request.query.period, window: { ...window, over }, readings: readings.map((r) => ({ ...r, readAt: r.readAt.toISOString() })), truncated };
    },
  );
}
