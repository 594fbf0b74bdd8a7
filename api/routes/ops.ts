// The operator page, /ops: plain HTML + JS (api/static/ops.*) that refreshes itself from
// /ops/api/overview every few seconds. The data is assembled in api/ops-overview.ts from Postgres;
// who may see it is decided in api/ops-access.ts (the operator token, or a session cookie derived
// from it).
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ApiDeps } from '../deps';
import { OPS_CSP, accessOf, operatorAccessOf, refuseAccess, sameSecret, sessionCookie } from '../ops-access';
import { loadOpsOverview, uiLinks, type OpsOverview } from '../ops-overview';

export { OPS_COOKIE, OPS_SESSION_SECONDS, sessionValue } from '../ops-access';
export { loadOpsOverview, uiLinks, type OpsBankDay, type OpsOverview } from '../ops-overview';

/** Several open tabs share one computation within this window. */
export const OPS_OVERVIEW_CACHE_MS = 2_000;
const TOKEN_CHARS_MAX = 256;

const STATIC_DIR = path.resolve(__dirname, '../static');
const OPS_FILES = { 'ops.html': 'text/html; charset=utf-8', 'ops.js': 'text/javascript; charset=utf-8', 'ops.css': 'text/css; charset=utf-8' } as const;

export interface OpsOptions extends ApiDeps {
  /** Clock, for tests. */
  now?: () => Date;
}

export const opsRoutes: FastifyPluginAsync<OpsOptions> = async (app, opts) => {
  const files = new Map(Object.entries(OPS_FILES).map(([name, type]) => [name, { type, content: fs.readFileSync(path.join(STATIC_DIR, name)) }]));
  const token = opts.operatorToken;
  const now = opts.now ?? (() => new Date());
  // The UI's base URL comes from the configuration (TEMPORAL_UI_URL or the stack's own UI), through ApiDeps.
  const links = uiLinks(opts.temporalUiUrl, opts.client.options.namespace);
  let cached: { atMs: number; overview: Promise<OpsOverview> } | undefined;

  const sendFile = (reply: FastifyReply, name: keyof typeof OPS_FILES) => {
    const file = files.get(name) as { type: string; content: Buffer };
    return reply.type(file.type).header('content-security-policy', OPS_CSP).header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').send(file.content);
  };

  app.get<{ Querystring: { token?: string } }>(
    '/ops',
    { schema: { hide: true, querystring: { type: 'object', properties: { token: { type: 'string', maxLength: TOKEN_CHARS_MAX } } } } },
    async (request, reply) => {
      const offered = request.query.token;
      if (offered !== undefined && token && sameSecret(offered, token)) {
        return reply
          .header('set-cookie', sessionCookie(token, request.protocol === 'https'))
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer')
          .redirect('/ops', 303);
      }
      const access = accessOf(request, token);
      if (access !== 'ok') return refuseAccess(reply, access, true);
      return sendFile(reply, 'ops.html');
    },
  );

  for (const name of ['ops.js', 'ops.css'] as const) {
    // Assets hold no data: served to anyone, so the refusal page is styled too.
    app.get(`/ops/${name}`, { schema: { hide: true } }, async (_request, reply) => sendFile(reply, name));
  }

  app.get('/ops/api/overview', { schema: { hide: true } }, async (request, reply) => {
    const access = await operatorAccessOf(request, token, opts.db);
    if (access !== 'ok') return refuseAccess(reply, access, false);
    const nowMs = Date.now();
    if (!cached || nowMs - cached.atMs > OPS_OVERVIEW_CACHE_MS) {
      const overview = loadOpsOverview(opts.db, now(), links);
      cached = { atMs: nowMs, overview };
      overview.catch(() => {
        if (cached?.overview === overview) cached = undefined;
      });
    }
    return reply.header('cache-control', 'no-store').send(await cached.overview);
  });
};
