// The operator page, /ops: plain HTML + JS (api/static/ops.*) that refreshes itself from
// /ops/api/overview every few seconds. The data is assembled in api/ops-overview.ts from Postgres.
// A browser signs in as a person (api/ops-auth.ts: operator id + personal token, a server-side
// session, CSRF on every POST); scripts read the overview with a Bearer token (api/ops-access.ts).
// Actions are the session's operator's (api/ops-actions.ts, api/ops-decisions.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { OPS_CSP, bearerAccessOf, escapeHtml, refuseAccess, signInPage } from '../ops-access';
import { takeComplaint } from '../ops-actions';
import { decideOnOps } from '../ops-decisions';
import { currentOpsSession, opsPreSessionCsrf, opsSignIn, opsSignOut, requireOpsSession, type OpsSession } from '../ops-auth';
import { loadOpsOverview, uiLinks, type OpsOverview, type UiLinks } from '../ops-overview';
import { loadOpsPeriod, loadOpsPeriods } from '../ops-periods';
import { isPeriod } from '../../domain/period';

export { OPS_SESSION_COOKIE, OPS_SESSION_LIFETIME_MS } from '../ops-auth';
export { loadOpsOverview, uiLinks, type OpsBankDay, type OpsOverview } from '../ops-overview';

/** Several open tabs share one computation within this window. */
export const OPS_OVERVIEW_CACHE_MS = 2_000;
const TOKEN_CHARS_MAX = 256;
/** A reject's reason of 500 Cyrillic characters is about 3,000 bytes urlencoded, with the CSRF field. */
const FORM_BODY_BYTES_MAX = 8192;

const STATIC_DIR = path.resolve(__dirname, '../static');
const OPS_FILES = {
  'ops.html': 'text/html; charset=utf-8', 'ops.js': 'text/javascript; charset=utf-8', 'ops.css': 'text/css; charset=utf-8',
  'ops-periods.html': 'text/html; charset=utf-8', 'ops-periods.js': 'text/javascript; charset=utf-8', 'ops-dom.js': 'text/javascript; charset=utf-8',
  'ops-decide.js': 'text/javascript; charset=utf-8',
} as const;

export interface OpsOptions extends ApiDeps {
  /** Clock, for tests. */
  now?: () => Date;
}

const SIGN_IN_BODY = {
  type: 'object',
  required: ['operator', 'token'],
  properties: { operator: { type: 'string', maxLength: 64 }, token: { type: 'string', maxLength: TOKEN_CHARS_MAX }, csrf: { type: 'string', maxLength: 128 } },
} as const;

function htmlReply(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('content-security-policy', OPS_CSP)
    .header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send(html);
}

/** The period page (/ops/periods) and its JSON (/ops/api/periods, /ops/api/periods/:period). */
function registerPeriodRoutes(
  app: FastifyInstance,
  opts: OpsOptions,
  page: { mayRead: (request: FastifyRequest) => Promise<boolean>; links: UiLinks; render: (session: OpsSession) => string },
): void {
  const { mayRead: mayReadOverview, links } = page;
  app.get('/ops/periods', { schema: { hide: true } }, async (request, reply) => {
    const session = await currentOpsSession(opts.db, request);
    if (!session) return htmlReply(reply, 200, signInPage(opsPreSessionCsrf(request, reply)));
    return htmlReply(reply, 200, page.render(session));
  });

  app.get('/ops/api/periods', { schema: { hide: true } }, async (request, reply) => {
    if (!(await mayReadOverview(request))) return refuseAccess(reply);
    return reply.header('cache-control', 'no-store').send({ periods: await loadOpsPeriods(opts.db, links) });
  });

  app.get<{ Params: { period: string } }>(
    '/ops/api/periods/:period',
    { schema: { hide: true, params: { type: 'object', properties: { period: { type: 'string', maxLength: 16 } } } } },
    async (request, reply) => {
      if (!(await mayReadOverview(request))) return refuseAccess(reply);
      const { period } = request.params;
      if (!isPeriod(period)) return reply.code(400).header('cache-control', 'no-store').send({ code: 'INVALID_PERIOD', message: `period "${period}" is not YYYY-MM, e.g. 2026-12` });
      const view = await loadOpsPeriod(opts.db, opts.client, period, links);
      if (!view) return reply.code(404).header('cache-control', 'no-store').send({ code: 'NOT_FOUND', message: `no billing period ${period}` });
      return reply.header('cache-control', 'no-store').send(view);
    },
  );
}

/** A reject's reason from the form (or a JSON body); no body at all is fine for an approve sent with X-CSRF-Token. */
function reasonOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as { reason?: unknown }).reason : undefined;
}
const VERBS = [['approve', true], ['reject', false]] as const;

/**
 * Approve and reject (api/ops-decisions.ts): a form POST with the session's CSRF token, answered
 * with JSON; the decider is the session's operator.
 */
function registerDecisionRoutes(app: FastifyInstance, opts: OpsOptions): void {
  for (const [verb, approve] of VERBS) {
    app.post<{ Params: { id: string } }>(
      `/ops/api/corrections/:id/${verb}`,
      { bodyLimit: FORM_BODY_BYTES_MAX, schema: { hide: true, params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } } },
      async (request, reply) => {
        const session = await requireOpsSession(opts.db, request);
        const answer = await decideOnOps(opts, session, { kind: 'correction', ref: request.params.id }, approve, reasonOf(request.body));
        return reply.header('cache-control', 'no-store').send(answer);
      },
    );
    app.post<{ Params: { period: string } }>(
      `/ops/api/periods/:period/${verb}`,
      { bodyLimit: FORM_BODY_BYTES_MAX, schema: { hide: true, params: { type: 'object', properties: { period: { type: 'string', maxLength: 16 } } } } },
      async (request, reply) => {
        const session = await requireOpsSession(opts.db, request);
        const answer = await decideOnOps(opts, session, { kind: 'period', period: request.params.period }, approve, reasonOf(request.body));
        return reply.header('cache-control', 'no-store').send(answer);
      },
    );
  }
}

export const opsRoutes: FastifyPluginAsync<OpsOptions> = async (app, opts) => {
  const files = new Map(Object.entries(OPS_FILES).map(([name, type]) => [name, { type, content: fs.readFileSync(path.join(STATIC_DIR, name)) }]));
  const templateOf = (name: 'ops.html' | 'ops-periods.html') => (files.get(name) as { content: Buffer }).content.toString('utf8');
  const templates = { overview: templateOf('ops.html'), periods: templateOf('ops-periods.html') };
  const now = opts.now ?? (() => new Date());
  // The UI's base URL comes from the configuration (TEMPORAL_UI_URL or the stack's own UI), through ApiDeps.
  const links = uiLinks(opts.temporalUiUrl, opts.client.options.namespace);
  let cached: { atMs: number; overview: Promise<OpsOverview> } | undefined;

  // The sign-in, sign-out and decision forms post urlencoded fields.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_BYTES_MAX }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const sendFile = (reply: FastifyReply, name: keyof typeof OPS_FILES) => {
    const file = files.get(name) as { type: string; content: Buffer };
    return reply.type(file.type).header('content-security-policy', OPS_CSP).header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').send(file.content);
  };
  const page = (session: OpsSession, which: keyof typeof templates = 'overview') => templates[which]
    .replace(/\{\{csrf\}\}/g, escapeHtml(session.csrfToken))
    .replace(/\{\{operator\}\}/g, escapeHtml(session.id))
    .replace(/\{\{role\}\}/g, escapeHtml(session.role));

  app.get('/ops', { schema: { hide: true } }, async (request, reply) => {
    const session = await currentOpsSession(opts.db, request);
    if (!session) return htmlReply(reply, 200, signInPage(opsPreSessionCsrf(request, reply)));
    return htmlReply(reply, 200, page(session));
  });

  app.post<{ Body: { operator: string; token: string; csrf?: string } }>('/ops/sign-in', { schema: { hide: true, body: SIGN_IN_BODY } }, async (request, reply) => {
    try {
      await opsSignIn(opts.db, request, reply, request.body.operator, request.body.token);
      return reply.header('cache-control', 'no-store').redirect('/ops', 303);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.details?.retryAfterSeconds) reply.header('retry-after', String(err.details.retryAfterSeconds));
      return htmlReply(reply, err.statusCode, signInPage(opsPreSessionCsrf(request, reply), err.message));
    }
  });

  app.post('/ops/sign-out', { schema: { hide: true } }, async (request, reply) => {
    await opsSignOut(opts.db, request, reply);
    return reply.header('cache-control', 'no-store').redirect('/ops', 303);
  });

  for (const name of ['ops.js', 'ops.css', 'ops-periods.js', 'ops-dom.js', 'ops-decide.js'] as const) {
    // Assets hold no data: served to anyone, so the sign-in page is styled too.
    app.get(`/ops/${name}`, { schema: { hide: true } }, async (_request, reply) => sendFile(reply, name));
  }

  app.post<{ Params: { id: string } }>(
    '/ops/api/complaints/:id/take',
    { schema: { hide: true, params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } } },
    async (request, reply) => {
      const session = await requireOpsSession(opts.db, request);
      return reply.header('cache-control', 'no-store').send(await takeComplaint(opts, session, request.params.id));
    },
  );

  const mayReadOverview = async (request: FastifyRequest) =>
    (await currentOpsSession(opts.db, request)) !== null || (await bearerAccessOf(request, opts.operatorToken, opts.db)) === 'ok';

  app.get('/ops/api/overview', { schema: { hide: true } }, async (request, reply) => {
    if (!(await mayReadOverview(request))) return refuseAccess(reply);
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

  registerDecisionRoutes(app, opts);
  registerPeriodRoutes(app, opts, { mayRead: mayReadOverview, links, render: (session) => page(session, 'periods') });
};
