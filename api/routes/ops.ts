// The operator page, /ops: today's and recent bank-days of every bank (state, counts, totals,
// discrepancies, overdue confirmations) and rejected payments by code, each with its link to the
// Temporal Web UI. Plain HTML + JS (api/static/ops.*) that refreshes itself from /ops/api/overview
// every few seconds; all data comes from Postgres, so the page works while Temporal is down.
//
// Access: the operator token (SPC_OPERATOR_TOKEN). Scripts send `Authorization: Bearer <token>`;
// a browser opens /ops?token=<token> once, gets an HttpOnly, SameSite=Strict cookie holding a value
// derived from the token (never the token itself) and is redirected to /ops, so the token leaves
// the address bar and the history at once. Without a configured token the page is closed.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../db/connection';
import { findSettlementAlerts, findUnsettledBankDays, type SettlementAlert, type UnsettledBankDay } from '../../db/queries/unsettled';
import { addDays, almatyToUtc, toAlmaty } from '../../domain/calendar';
import type { ApiDeps } from '../deps';
import { loadBackOffice, type OpsBackOffice } from '../ops-backoffice';

export const OPS_COOKIE = 'spc_ops';
/** How long a browser stays signed in to /ops. */
export const OPS_SESSION_SECONDS = 12 * 60 * 60;
/** The page asks for fresh data this often (ops.js reads it from the overview). */
export const OPS_REFRESH_MS = 5_000;
/** Several open tabs share one computation within this window. */
export const OPS_OVERVIEW_CACHE_MS = 2_000;
/** Bank-days shown: business dates from this many calendar days back, and any later ones. */
export const OPS_RECENT_DAYS = 7;
/** Recent rejections listed with their workflow links (counts by code cover the whole window). */
export const OPS_REJECTIONS_LISTED_MAX = 20;
const TOKEN_CHARS_MAX = 256;

const STATIC_DIR = path.resolve(__dirname, '../static');
const OPS_FILES = { 'ops.html': 'text/html; charset=utf-8', 'ops.js': 'text/javascript; charset=utf-8', 'ops.css': 'text/css; charset=utf-8' } as const;
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface OpsOptions extends ApiDeps {
  /** Base URL of the Temporal Web UI (links); default TEMPORAL_UI_URL; unset: no links. */
  temporalUiUrl?: string;
  /** Clock, for tests. */
  now?: () => Date;
}

// ---------------------------------------------------------------------------------------------
// The data

export interface OpsBankDay {
  bankCode: string;
  bankName: string;
  businessDate: string;
  /** open | closing | discrepancy | aggregated | delivered | overdue | settled */
  state: string;
  closedAt: string | null;
  accepted: { count: number; total: string };
  cancelled: { count: number; total: string };
  excluded: { count: number; total: string };
  settlement: null | {
    id: string;
    status: string;
    netTotal: string;
    lines: number;
    confirmedLines: number;
    discrepancies: unknown[];
    confirmDueDate: string | null;
    overdue: boolean;
    workflowId: string;
    ui: string | null;
  };
  /** The bank-day's workflows (payments, settlement, registers) in the Temporal UI. */
  ui: string | null;
}

export interface OpsOverview {
  generatedAt: string;
  today: string;
  refreshMs: number;
  temporalUi: string | null;
  bankDays: OpsBankDay[];
  overdue: Array<{ settlementId: string; confirmDueDate: string | null; netTotal: string; unconfirmedLines: number; ui: string | null }>;
  /** What needs an operator now: money posted on past days with no settlement, lists that cannot be built. */
  alerts: {
    unsettledDays: Array<UnsettledBankDay & { ui: string | null }>;
    settlements: Array<SettlementAlert & { ui: string | null }>;
  };
  rejections: {
    since: string;
    byCode: Array<{ code: string; count: number; today: number }>;
    recent: Array<{ at: string; bankCode: string; bankRef: string; code: string; message: string; workflowId: string; ui: string | null }>;
  };
  /** Complaints and corrections (api/ops-backoffice.ts). */
  backOffice: OpsBackOffice;
}

interface UiLinks {
  workflow(workflowId: string, runId?: string | null): string | null;
  list(query: string): string | null;
  root: string | null;
}

export function uiLinks(base: string | undefined, namespace: string): UiLinks {
  const root = base ? `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows` : null;
  return {
    root,
    workflow: (id, runId) => (root ? `${root}/${encodeURIComponent(id)}${runId ? `/${encodeURIComponent(runId)}/history` : ''}` : null),
    list: (query) => (root ? `${root}?query=${encodeURIComponent(query)}` : null),
  };
}

interface DayRow {
  bank_code: string;
  bank_name: string;
  business_date: string;
  closed_at: Date | null;
  accepted_count: number;
  accepted_total: string;
  cancelled_count: number;
  cancelled_total: string;
  excluded_count: number;
  excluded_total: string;
  settlement_id: string | null;
  status: string | null;
  net_total: string | null;
  discrepancies: unknown[] | null;
  confirm_due_date: string | null;
  workflow_id: string | null;
  run_id: string | null;
  lines: number;
  confirmed_lines: number;
}

/**
 * Every bank's bank-days from `today - OPS_RECENT_DAYS` on, plus a row for today's business date
 * of each bank that has none yet. Settled days read their totals from the settlement; open days
 * count their payments (an index-only scan of payments_bank_day).
 */
export async function loadOpsOverview(db: Db, now: Date, links: UiLinks): Promise<OpsOverview> {
  const today = toAlmaty(now).date;
  const since = addDays(today, -OPS_RECENT_DAYS);
  const { rows } = await db.raw<{ rows: DayRow[] }>(
    `WITH days AS (
       SELECT d.bank_code, d.business_date, d.closed_at FROM bank_days d WHERE d.business_date >= ?::date
       UNION
       SELECT b.code, ?::date, NULL FROM banks b
        WHERE NOT EXISTS (SELECT 1 FROM bank_days d WHERE d.bank_code = b.code AND d.business_date = ?::date)
     )
     SELECT days.bank_code, b.name AS bank_name, days.business_date, days.closed_at,
            COALESCE(p.accepted_count, 0) AS accepted_count, COALESCE(p.accepted_total, 0)::numeric(18,2)::text AS accepted_total,
            COALESCE(p.cancelled_count, 0) AS cancelled_count, COALESCE(p.cancelled_total, 0)::numeric(18,2)::text AS cancelled_total,
            COALESCE(p.excluded_count, 0) AS excluded_count, COALESCE(p.excluded_total, 0)::numeric(18,2)::text AS excluded_total,
            s.id AS settlement_id, s.status, s.net_total::text, s.discrepancies, s.confirm_due_date, s.workflow_id, s.run_id,
            COALESCE(l.lines, 0) AS lines, COALESCE(l.confirmed_lines, 0) AS confirmed_lines
       FROM days
       JOIN banks b ON b.code = days.bank_code
       LEFT JOIN settlements s ON s.bank_code = days.bank_code AND s.business_date = days.business_date
       LEFT JOIN LATERAL (
         SELECT count(*) FILTER (WHERE status = 'accepted')::int AS accepted_count, sum(amount) FILTER (WHERE status = 'accepted') AS accepted_total,
                count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled_count, sum(amount) FILTER (WHERE status = 'cancelled') AS cancelled_total,
                count(*) FILTER (WHERE status = 'excluded')::int AS excluded_count, sum(amount) FILTER (WHERE status = 'excluded') AS excluded_total
           FROM payments WHERE bank_code = days.bank_code AND business_date = days.business_date
       ) p ON true
       LEFT JOIN LATERAL (
         SELECT count(*)::int AS lines, (count(*) FILTER (WHERE confirmed_at IS NOT NULL))::int AS confirmed_lines
           FROM settlement_lines WHERE settlement_id = s.id
       ) l ON true
      ORDER BY days.business_date DESC, days.bank_code`,
    [since, today, today],
  );

  const bankDays: OpsBankDay[] = rows.map((r) => {
    const overdue = r.status === 'overdue' || (r.status === 'delivered' && r.confirm_due_date !== null && r.confirm_due_date < today);
    return {
      bankCode: r.bank_code,
      bankName: r.bank_name,
      businessDate: r.business_date,
      state: r.status ?? (r.closed_at ? 'closing' : 'open'),
      closedAt: r.closed_at?.toISOString() ?? null,
      accepted: { count: r.accepted_count, total: r.accepted_total },
      cancelled: { count: r.cancelled_count, total: r.cancelled_total },
      excluded: { count: r.excluded_count, total: r.excluded_total },
      settlement: r.settlement_id
        ? {
          id: r.settlement_id,
          status: r.status as string,
          netTotal: r.net_total as string,
          lines: r.lines,
          confirmedLines: r.confirmed_lines,
          discrepancies: r.discrepancies ?? [],
          confirmDueDate: r.confirm_due_date,
          overdue,
          workflowId: r.workflow_id as string,
          ui: links.workflow(r.workflow_id as string, r.run_id),
        }
        : null,
      ui: links.list(`BankCode = '${r.bank_code}' AND BusinessDate = '${r.business_date}'`),
    };
  });

  const overdue = bankDays
    .filter((d) => d.settlement?.overdue)
    .map((d) => ({
      settlementId: d.settlement?.id as string,
      confirmDueDate: d.settlement?.confirmDueDate ?? null,
      netTotal: d.settlement?.netTotal as string,
      unconfirmedLines: (d.settlement?.lines ?? 0) - (d.settlement?.confirmedLines ?? 0),
      ui: d.settlement?.ui ?? null,
    }));

  // Rejections have no business date (a rejected payment never gets one): by when they happened, in Almaty.
  const sinceInstant = almatyToUtc(since, '00:00');
  const todayInstant = almatyToUtc(today, '00:00');
  const byCode = await db.raw<{ rows: Array<{ code: string; count: number; today: number }> }>(
    `SELECT code, count(*)::int AS count, (count(*) FILTER (WHERE created_at >= ?))::int AS today
       FROM payment_rejections WHERE created_at >= ? GROUP BY code ORDER BY count(*) DESC, code`,
    [todayInstant.toISOString(), sinceInstant.toISOString()],
  );
  const recent = (await db('payment_rejections')
    .where('created_at', '>=', sinceInstant.toISOString())
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(OPS_REJECTIONS_LISTED_MAX)
    .select('created_at', 'bank_code', 'bank_ref', 'code', 'message', 'workflow_id', 'run_id')) as Array<{
      created_at: Date; bank_code: string; bank_ref: string; code: string; message: string; workflow_id: string; run_id: string;
    }>;

  const [unsettledDays, settlementAlerts] = await Promise.all([findUnsettledBankDays(db, today), findSettlementAlerts(db)]);

  return {
    generatedAt: now.toISOString(),
    today,
    refreshMs: OPS_REFRESH_MS,
    temporalUi: links.root,
    bankDays,
    overdue,
    backOffice: await loadBackOffice(db, now, (id) => links.workflow(id)),
    alerts: {
      unsettledDays: unsettledDays.map((d) => ({ ...d, ui: links.list(`BankCode = '${d.bankCode}' AND BusinessDate = '${d.businessDate}'`) })),
      settlements: settlementAlerts.map((a) => ({ ...a, ui: links.workflow(a.workflowId) })),
    },
    rejections: {
      since,
      byCode: byCode.rows,
      recent: recent.map((r) => ({
        at: r.created_at.toISOString(),
        bankCode: r.bank_code,
        bankRef: r.bank_ref,
        code: r.code,
        message: r.message,
        workflowId: r.workflow_id,
        ui: links.workflow(r.workflow_id, r.run_id),
      })),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Access

/** The cookie value for a token: an HMAC of it, so the cookie jar never holds the token itself. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('spc-ops-session-v1').digest('hex');
}

function sameSecret(a: string, b: string): boolean {
  // Compare digests: equal length whatever the input, and no early exit on the first difference.
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      // A malformed cookie (bad percent-encoding) is no session, not a server error.
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

type Access = 'ok' | 'closed' | 'denied';

function accessOf(request: FastifyRequest, token: string | undefined): Access {
  if (!token) return 'closed';
  const auth = request.headers.authorization;
  const bearer = typeof auth === 'string' ? /^Bearer (\S{1,256})$/i.exec(auth)?.[1] : undefined;
  if (bearer && sameSecret(bearer, token)) return 'ok';
  const cookie = cookieOf(request, OPS_COOKIE);
  if (cookie && sameSecret(cookie, sessionValue(token))) return 'ok';
  return 'denied';
}

function messagePage(title: string, text: string): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><link rel="stylesheet" href="/ops/ops.css"></head>`
    + `<body><main class="message"><h1>${esc(title)}</h1><p>${esc(text)}</p></main></body></html>\n`;
}

function refuse(reply: FastifyReply, access: Access, wantsHtml: boolean): FastifyReply {
  const [status, code, text] = access === 'closed'
    ? [503, 'OPS_CLOSED', 'The operator page is closed: set SPC_OPERATOR_TOKEN on the server and restart it.']
    : [401, 'UNAUTHORIZED', 'Operator token required: open /ops?token=<SPC_OPERATOR_TOKEN> once, or send Authorization: Bearer <token>.'];
  reply.code(status).header('cache-control', 'no-store');
  if (access === 'denied') reply.header('www-authenticate', 'Bearer realm="spc-ops"');
  if (wantsHtml) return reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(messagePage('SPC operators', text));
  return reply.type('application/json; charset=utf-8').send({ code, message: text });
}

// ---------------------------------------------------------------------------------------------
// Routes

export const opsRoutes: FastifyPluginAsync<OpsOptions> = async (app, opts) => {
  const files = new Map(Object.entries(OPS_FILES).map(([name, type]) => [name, { type, content: fs.readFileSync(path.join(STATIC_DIR, name)) }]));
  const token = opts.operatorToken;
  const now = opts.now ?? (() => new Date());
  const links = uiLinks(opts.temporalUiUrl ?? process.env.TEMPORAL_UI_URL, opts.client.options.namespace);
  let cached: { atMs: number; overview: Promise<OpsOverview> } | undefined;

  const sendFile = (reply: FastifyReply, name: keyof typeof OPS_FILES) => {
    const file = files.get(name) as { type: string; content: Buffer };
    return reply.type(file.type).header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').send(file.content);
  };

  app.get<{ Querystring: { token?: string } }>(
    '/ops',
    { schema: { hide: true, querystring: { type: 'object', properties: { token: { type: 'string', maxLength: TOKEN_CHARS_MAX } } } } },
    async (request, reply) => {
      const offered = request.query.token;
      if (offered !== undefined && token && sameSecret(offered, token)) {
        const secure = request.protocol === 'https' ? '; Secure' : '';
        return reply
          .header('set-cookie', `${OPS_COOKIE}=${sessionValue(token)}; Path=/ops; HttpOnly; SameSite=Strict; Max-Age=${OPS_SESSION_SECONDS}${secure}`)
          .header('cache-control', 'no-store')
          .header('referrer-policy', 'no-referrer')
          .redirect('/ops', 303);
      }
      const access = accessOf(request, token);
      if (access !== 'ok') return refuse(reply, access, true);
      return sendFile(reply, 'ops.html');
    },
  );

  for (const name of ['ops.js', 'ops.css'] as const) {
    // Assets hold no data: served to anyone, so the refusal page is styled too.
    app.get(`/ops/${name}`, { schema: { hide: true } }, async (_request, reply) => sendFile(reply, name));
  }

  app.get('/ops/api/overview', { schema: { hide: true } }, async (request, reply) => {
    const access = accessOf(request, token);
    if (access !== 'ok') return refuse(reply, access, false);
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
