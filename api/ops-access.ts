// Who may open the operator page, /ops: the holder of the operator token (SPC_OPS_PAGE_TOKEN), or
// a script sending an operator's personal token (spco_…) as Bearer.
// Scripts send `Authorization: Bearer <token>`; a browser opens /ops?token=<token> once, gets an
// HttpOnly, SameSite=Strict cookie holding a value derived from the token (never the token itself)
// and is redirected to /ops, so the token leaves the address bar and the history at once. Without a
// configured token the page is closed.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/connection';
import { looksLikeOperatorToken, resolveOperatorToken } from '../db/operators';

export const OPS_COOKIE = 'spc_ops';
/** How long a browser stays signed in to /ops. */
export const OPS_SESSION_SECONDS = 12 * 60 * 60;
/** The page's own files only: no inline script, no framing, no form posts. */
export const OPS_CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The cookie value for a token: an HMAC of it, so the cookie jar never holds the token itself. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('spc-ops-session-v1').digest('hex');
}

export function sameSecret(a: string, b: string): boolean {
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

export type Access = 'ok' | 'closed' | 'denied';

export function accessOf(request: FastifyRequest, token: string | undefined): Access {
  if (!token) return 'closed';
  const bearer = bearerOf(request);
  if (bearer && sameSecret(bearer, token)) return 'ok';
  const cookie = cookieOf(request, OPS_COOKIE);
  if (cookie && sameSecret(cookie, sessionValue(token))) return 'ok';
  return 'denied';
}

function bearerOf(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  return typeof auth === 'string' ? /^Bearer (\S{1,256})$/i.exec(auth)?.[1] : undefined;
}

/**
 * Access by the shared token or its cookie, or by an operator's own token (`Authorization: Bearer
 * spco_…`, issue 16 item 6): a script of a person, valid while their token and account are.
 */
export async function operatorAccessOf(request: FastifyRequest, token: string | undefined, db: Db): Promise<Access> {
  const shared = accessOf(request, token);
  if (shared === 'ok') return shared;
  const bearer = bearerOf(request);
  if (bearer && looksLikeOperatorToken(bearer) && (await resolveOperatorToken(db, bearer))) return 'ok';
  return shared;
}

/** The Set-Cookie value of a fresh session for `token`. */
export function sessionCookie(token: string, secure: boolean): string {
  return `${OPS_COOKIE}=${sessionValue(token)}; Path=/ops; HttpOnly; SameSite=Strict; Max-Age=${OPS_SESSION_SECONDS}${secure ? '; Secure' : ''}`;
}

function messagePage(title: string, text: string): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><link rel="stylesheet" href="/ops/ops.css"></head>`
    + `<body><main class="message"><h1>${esc(title)}</h1><p>${esc(text)}</p></main></body></html>\n`;
}

/** The answer to a request without access: a page for a browser, {code, message} for a script. */
export function refuseAccess(reply: FastifyReply, access: Exclude<Access, 'ok'>, wantsHtml: boolean): FastifyReply {
  const [status, code, text] = access === 'closed'
    ? [503, 'OPS_CLOSED', 'The operator page is closed: set SPC_OPS_PAGE_TOKEN on the server and restart it.']
    : [401, 'UNAUTHORIZED', 'Operator token required: open /ops?token=<SPC_OPS_PAGE_TOKEN> once, or send Authorization: Bearer <token>.'];
  reply.code(status).header('cache-control', 'no-store');
  if (access === 'denied') reply.header('www-authenticate', 'Bearer realm="spc-ops"');
  if (wantsHtml) return reply.type('text/html; charset=utf-8').header('content-security-policy', OPS_CSP).send(messagePage('SPC operators', text));
  return reply.type('application/json; charset=utf-8').send({ code, message: text });
}
