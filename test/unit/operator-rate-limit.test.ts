// The per-IP limit of the operator routes (api/rate-limit.ts) in front of the real codec routes,
// with the API's error handlers: the request past the limit is 429 RATE_LIMITED with Retry-After,
// whether or not it carries a token, and another address still gets through.
import Fastify from 'fastify';
import { installErrorHandlers } from '../../api/errors';
import { installOperatorRateLimit } from '../../api/rate-limit';
import { codecRoutes } from '../../api/routes/codec';
import type { Db } from '../../db/connection';

const LIMIT = 3;

async function operatorApp() {
  const app = Fastify({ logger: false });
  installErrorHandlers(app);
  app.register(async (scope) => {
    await installOperatorRateLimit(scope, LIMIT);
    // No request here carries a well-formed personal token or a session cookie: the database is never read.
    scope.register(codecRoutes, { db: undefined as unknown as Db, corsOrigins: [] });
  });
  await app.ready();
  return app;
}

describe('the operator routes\' rate limit', () => {
  it('answers the N+1th request from one address with 429 RATE_LIMITED and Retry-After', async () => {
    const app = await operatorApp();
    try {
      const decode = (remoteAddress: string) => app.inject({ method: 'POST', url: '/codec/decode', remoteAddress, headers: { authorization: 'Bearer wrong' }, payload: { payloads: [] } });
      for (let i = 0; i < LIMIT; i++) expect((await decode('203.0.113.5')).statusCode).not.toBe(429);
      const over = await decode('203.0.113.5');
      expect(over.statusCode).toBe(429);
      expect(over.json()).toMatchObject({ code: 'RATE_LIMITED' });
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const guessUi = await app.inject({ method: 'POST', url: '/codec/ui/guess/decode', remoteAddress: '203.0.113.5', payload: { payloads: [] } });
      expect(guessUi.statusCode).toBe(429);
      expect((await decode('198.51.100.7')).statusCode).not.toBe(429);
    } finally {
      await app.close();
    }
  });
});
