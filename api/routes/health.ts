// GET /health and /readyz: 200 only when both Postgres and Temporal answer, so a load balancer or
// `spc up` can tell a process that runs from one that can actually take payments. GET /livez: 200
// while the process serves HTTP at all (an orchestrator restarts it otherwise).
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';
import { PROBE_CHECK_TIMEOUT_MS, runChecks } from '../../infra/process';

/** A dependency that takes longer than this to answer counts as down. */
export const HEALTH_CHECK_TIMEOUT_MS = PROBE_CHECK_TIMEOUT_MS;

const statusSchema = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ok'] }, postgres: { type: 'string' }, temporal: { type: 'string' } },
} as const;

export const healthRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const ready = {
    schema: {
      tags: ['service'],
      summary: 'Readiness: 200 when Postgres and Temporal are both reachable, else 503',
      response: { 200: statusSchema, 503: { $ref: 'Error#' } },
    },
  };
  const readyHandler = async (_request: unknown, reply: import('fastify').FastifyReply) => {
    const { ok, results } = await runChecks({
      postgres: () => deps.db.raw('SELECT 1'),
      temporal: () => deps.client.connection.workflowService.getSystemInfo({}),
    });
    if (ok) return reply.code(200).send({ status: 'ok', ...results });
    return reply.code(503).send({ code: 'UNAVAILABLE', message: 'the SPC cannot take payments right now', details: results });
  };
  app.get('/health', ready, readyHandler);
  // The orchestrator's probes: the same answers, left out of the bank API's OpenAPI document.
  app.get('/readyz', { schema: { ...ready.schema, hide: true } }, readyHandler);
  app.get('/livez', { schema: { hide: true } }, async () => ({ status: 'ok', pid: process.pid }));
};
