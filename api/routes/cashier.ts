// The cashier workplace: static HTML + JS at /cashier, talking to the /v1 API with a bank key the
// cashier types once. Served without authentication (it holds no data); hidden from the OpenAPI doc.
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { loadStaticFiles } from '../static-files';

export const cashierRoutes: FastifyPluginAsync<ApiDeps> = async (app) => {
  const files = loadStaticFiles();
  const send = (name: string) => {
    const file = files.get(name);
    if (!file) throw new ApiError(404, 'NOT_FOUND', `no file ${name}`);
    return file;
  };

  app.get('/cashier', { schema: { hide: true } }, async (_request, reply) => {
    const file = send('cashier.html');
    return reply
      .type(file.contentType)
      // The page runs only its own script and talks only to this server.
      .header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(file.content);
  });

  app.get<{ Params: { name: string } }>(
    '/static/:name',
    { schema: { hide: true, params: { type: 'object', properties: { name: { type: 'string', maxLength: 64 } } } } },
    async (request, reply) => {
      const file = send(request.params.name);
      return reply.type(file.contentType).header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').send(file.content);
    },
  );
};
