// Who may read the operator page's data, /ops/api/overview: a signed-in operator (a session of
// api/ops-auth.ts), a script of a person sending their personal token (spco_…) as Bearer, or a
// script sending the shared SPC_OPS_PAGE_TOKEN as Bearer. The shared token opens no browser
// session and is never taken from a URL (issue 16 item 6): a browser signs in as a person.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/connection';
import { looksLikeOperatorToken, resolveOperatorToken } from '../db/operators';

/** The page's own files only: no inline script, no framing, forms post to /ops only. */
export const OPS_CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function sameSecret(a: string, b: string): boolean {
  // Compare digests: equal length whatever the input, and no early exit on the first difference.
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

export type Access = 'ok' | 'denied';

function bearerOf(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  return typeof auth === 'string' ? /^Bearer (\S{1,256})$/i.exec(auth)?.[1] : undefined;
}

/** A script's access: the shared token or an operator's own token as Bearer. */
export async function bearerAccessOf(request: FastifyRequest, sharedToken: string | undefined, db: Db): Promise<Access> {
  const bearer = bearerOf(request);
  if (!bearer) return 'denied';
  if (sharedToken && sameSecret(bearer, sharedToken)) return 'ok';
  if (looksLikeOperatorToken(bearer) && (await resolveOperatorToken(db, bearer))) return 'ok';
  return 'denied';
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** The answer to a script without access: 401 {code, message}. */
export function refuseAccess(reply: FastifyReply): FastifyReply {
  return reply.code(401).header('cache-control', 'no-store').header('www-authenticate', 'Bearer realm="spc-ops"')
    .type('application/json; charset=utf-8')
    .send({ code: 'UNAUTHORIZED', message: 'Sign in on /ops, or send Authorization: Bearer <your personal token or SPC_OPS_PAGE_TOKEN>.' });
}

/** The sign-in form of /ops, with an error when the last try failed. */
export function signInPage(csrf: string, error?: string): string {
  const problem = error ? `<p id="sign-in-error" class="error" role="alert">${escapeHtml(error)}</p>` : '';
  return '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPC operators: sign in</title><link rel="stylesheet" href="/ops/ops.css"></head>'
    + `<body><main class="message"><h1>SPC operators</h1>${problem}`
    + '<form id="sign-in" method="post" action="/ops/sign-in" autocomplete="off">'
    + `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`
    + '<p><label>Operator id <input name="operator" required maxlength="64" autocomplete="username"></label></p>'
    + '<p><label>Personal token <input name="token" type="password" required maxlength="256" autocomplete="current-password"></label></p>'
    + '<p><button type="submit">Sign in</button></p>'
    + '<p><small>Your token: <code>spc operator token create</code> (an admin gives you an account); the first admin\'s, <code>ops</code>, is in <code>.data/operator-token</code> after <code>spc up</code>.</small></p>'
    + '</form></main></body></html>\n';
}
