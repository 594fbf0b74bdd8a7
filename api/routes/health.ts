// GET /health and /readyz: 200 only when both Postgres and Temporal answer, so a load balancer or
// `spc up` can tell a process that runs from one that can actually take payments. GET /livez: 200
// while the process serves HTTP at all (an orchestrator restarts it otherwise).
// Anyone may call them, so an answer names each dependency only as ok or degraded: a driver's error
// text (host names, ports, database names) goes to the log, never to the caller.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps';
import { RETRY_AFTER_SECONDS } from '../errors';
import { pingDb } from '../../db/connection';
import { PROBE_CHECK_TIMEOUT_MS, runChecks, type CheckResult } from '../../infra/process';

/** A dependency that takes longer than this to answer counts as down. */
export const HEALTH_CHECK_TIMEOUT_MS = PROBE_CHECK_TIMEOUT_MS;

const statusSchema = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ok'] }, postgres: { type: 'string', enum: ['ok'] }, temporal: { type: 'string', enum: ['ok'] } },
} as const;

/** What a caller learns of each dependency: whether it answered, not why it did not. */
function publicResults(results: Record<string, CheckResult>): Record<string, 'ok' | 'degraded'> {
  return Object.fromEntries(Object.entries(results).map(([name, result]) => [name, result === 'ok' ? 'ok' : 'degraded']));
}

export const healthRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const ready = {
    schema: {
      tags: ['service'],
      summary: 'Readiness: 200 when Postgres and Temporal are both reachable, else 503',
      response: { 200: statusSchema, 503: { $ref: 'Error#' } },
    },
  };
  const readyHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const { ok, results } = await runChecks({
      postgres: () => pingDb(deps.db),
      temporal: () => deps.client.connection.workflowService.getSystemInfo({}),
    });
    if (ok) return reply.code(200).send({ status: 'ok', ...results });
    request.log.warn({ checks: results }, 'readiness check failed');
    // A 503 says when to ask again, like every other fault answer (api/errors.ts).
    return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ code: 'UNAVAILABLE', message: 'the SPC cannot take payments right now', details: publicResults(results) });
  };
  app.get('/health', ready, readyHandler);
  // The orchestrator's probes: the same answers, left out of the bank API's OpenAPI document.
  app.get('/readyz', { schema: { ...ready.schema, hide: true } }, readyHandler);
  app.get('/livez', { schema: { hide: true } }, async () => ({ status: 'ok', pid: process.pid }));
};
