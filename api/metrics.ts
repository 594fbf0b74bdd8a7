// The API's part of the SPC metrics (infra/metrics.ts): every answer by route and status, its
// duration, and each payment answered by outcome, rejection code and channel. GET /metrics serves
// them in the Prometheus text format.
import type { FastifyInstance } from 'fastify';
import { channelLabelOf } from '../domain/payment-types';
import { httpDuration, httpRequests, paymentAnswers, PROMETHEUS_CONTENT_TYPE, renderAllMetrics } from '../infra/metrics';

const PAYMENT_ROUTE = '/v1/payments';
/** Routes the hooks leave out: scrapes and probes would drown the traffic that matters. */
const UNCOUNTED_ROUTES = new Set(['/metrics', '/livez', '/readyz', '/health']);

function rejectionCodeOf(payload: unknown): string {
  if (typeof payload !== 'string') return 'UNKNOWN';
  const m = /"code"\s*:\s*"([A-Z_]+)"/.exec(payload);
  return m?.[1] ?? 'UNKNOWN';
}

export function installApiMetrics(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'POST' && request.routeOptions.url === PAYMENT_ROUTE) {
      const channel = channelLabelOf((request.body as { channel?: unknown } | undefined)?.channel);
      // Only business answers count: a 5xx is an SPC fault (see spc_http_requests_total), not a payment outcome.
      if (reply.statusCode === 201) paymentAnswers.inc({ outcome: 'accepted', code: '', channel });
      else if (reply.statusCode >= 400 && reply.statusCode < 500) paymentAnswers.inc({ outcome: 'rejected', code: rejectionCodeOf(payload), channel });
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    if (UNCOUNTED_ROUTES.has(route)) return;
    httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await renderAllMetrics()));
}
