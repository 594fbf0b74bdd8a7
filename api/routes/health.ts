// GET /health: 200 only when both Postgres and Temporal answer, so a load balancer or `spc up`
// can tell a process that runs from one that can actually take payments.
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';

/** A dependency that takes longer than this to answer counts as down. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function probe(check: () => Promise<unknown>, what: string): Promise<string> {
  try {
    await withTimeout(check(), HEALTH_CHECK_TIMEOUT_MS, what);
    return 'ok';
  } catch (err) {
    return `down: ${(err as Error).message}`;
  }
}

const statusSchema = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ok'] }, postgres: { type: 'string' }, temporal: { type: 'string' } },
} as const;

export const healthRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['service'],
        summary: 'Liveness and readiness: 200 when Postgres and Temporal are both reachable, else 503',
        response: { 200: statusSchema, 503: { $ref: 'Error#' } },
      },
    },
    async (_request, reply) => {
      const [postgres, temporal] = await Promise.all([
        probe(() => deps.db.raw('SELECT 1'), 'Postgres'),
        probe(() => deps.client.connection.workflowService.getSystemInfo({}), 'Temporal'),
      ]);
      if (postgres === 'ok' && temporal === 'ok') return reply.code(200).send({ status: 'ok', postgres, temporal });
      return reply.code(503).send({ code: 'UNAVAILABLE', message: 'the SPC cannot take payments right now', details: { postgres, temporal } });
    },
  );
};
