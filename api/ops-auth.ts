// The operator page's sign-in (issue 16 item 6): a person signs in to /ops with their operator id
// and personal token (spco_…, db/operators.ts), and gets a server-side session, the cabinet's
// scheme (api/cabinet-auth.ts): a random token in an HttpOnly, SameSite=Strict cookie on /ops
// (Secure over https), stored as its SHA-256; 8 h from sign-in at most, 1 h without use at most;
// logout ends it at once, and so does disabling the operator. The same cookie is also set on
// /codec/ui, so that the Temporal Web UI of the same site, told to include credentials, decodes
// payloads as the signed-in person (api/routes/codec.ts); no other path receives it.
// - Sign-in failures (unknown id, wrong, revoked or expired token, disabled operator) are recorded
//   per client address (hashed) and counted: past OPS_SIGN_IN_FAILURES_PER_IP_MAX in
//   OPS_SIGN_IN_WINDOW_MS every try from that address is refused 429, the right token too.
// - CSRF: every POST carries the session's CSRF token (a form field `csrf` or X-CSRF-Token); the
//   sign-in form's comes from a pre-session cookie.
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/connection';
import { csrfTokenOf, sha256Hex } from '../db/cabinet';
import { recordOperatorAction } from '../db/operator-audit';
import { resolveOperatorToken, type OperatorIdentity } from '../db/operators';
import { endOpsSession, openOpsSession, recordOpsSignInFailure, touchOpsSession } from '../db/ops-sessions';
import { countOpsSignInFailures, findLiveOpsSession } from '../db/queries/ops-sessions';
import { operatorIdOf } from '../domain/operator-roles';
import { CSRF_HEADER, cookieToken } from './cabinet-auth';
import { ApiError } from './errors';
import { sameSecret } from './ops-access';

export const OPS_SESSION_COOKIE = 'spc_ops_session';
/** The paths the session cookie is sent to: the page, and the Web UI's codec endpoint. */
const OPS_SESSION_COOKIE_PATHS = ['/ops', '/codec/ui'];
export const OPS_PRE_SESSION_COOKIE = 'spc_ops_pre';
export const OPS_SESSION_LIFETIME_MS = 8 * 60 * 60_000;
export const OPS_SESSION_IDLE_MS = 60 * 60_000;
/** A session's last use is written at most this often: not a write per refresh of the page. */
const OPS_SESSION_TOUCH_MS = 60_000;
export const OPS_SIGN_IN_WINDOW_MS = 15 * 60_000;
export const OPS_SIGN_IN_FAILURES_PER_IP_MAX = 10;

export interface OpsSession extends OperatorIdentity {
  tokenSha256: string;
  csrfToken: string;
}

function cookie(request: FastifyRequest, name: string, value: string, maxAgeSeconds: number, cookiePath = '/ops'): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${name}=${value}; Path=${cookiePath}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

/** The session cookie on each of its paths (an empty value and 0: cleared on each). */
function sessionCookies(request: FastifyRequest, value: string, maxAgeSeconds: number): string[] {
  return OPS_SESSION_COOKIE_PATHS.map((cookiePath) => cookie(request, OPS_SESSION_COOKIE, value, maxAgeSeconds, cookiePath));
}

/** The CSRF token a POST sent: the form's field or the header. */
function sentCsrf(request: FastifyRequest): string | undefined {
  const header = request.headers[CSRF_HEADER];
  if (typeof header === 'string') return header;
  const body = request.body as Record<string, unknown> | undefined;
  return body && typeof body.csrf === 'string' ? body.csrf : undefined;
}

function requireCsrf(request: FastifyRequest, expected: string): void {
  const sent = sentCsrf(request);
  if (!sent || !sameSecret(sent, expected)) throw new ApiError(403, 'CSRF_FAILED', 'the form\'s CSRF token is missing or wrong: reload the page');
}

/** The signed-in operator, or null. */
export async function currentOpsSession(db: Db, request: FastifyRequest): Promise<OpsSession | null> {
  const token = cookieToken(request, OPS_SESSION_COOKIE);
  if (!token) return null;
  const tokenSha256 = sha256Hex(token);
  const now = new Date();
  const row = await findLiveOpsSession(db, tokenSha256, now, new Date(now.getTime() - OPS_SESSION_IDLE_MS));
  const csrfToken = csrfTokenOf(token);
  if (!row || row.csrfSha256 !== sha256Hex(csrfToken)) return null;
  if (now.getTime() - row.lastSeenAt.getTime() > OPS_SESSION_TOUCH_MS) await touchOpsSession(db, tokenSha256);
  return { id: row.operatorId, role: row.role, displayName: row.displayName, tokenSha256, csrfToken };
}

/** The signed-in operator, checked for CSRF on a POST; 401 NOT_SIGNED_IN otherwise. */
export async function requireOpsSession(db: Db, request: FastifyRequest): Promise<OpsSession> {
  const session = await currentOpsSession(db, request);
  if (!session) throw new ApiError(401, 'NOT_SIGNED_IN', 'sign in on /ops with your operator id and personal token');
  if (request.method !== 'GET' && request.method !== 'HEAD') requireCsrf(request, session.csrfToken);
  return session;
}

/** The sign-in form's CSRF token: from the pre-session cookie, or a new one set on the reply. */
export function opsPreSessionCsrf(request: FastifyRequest, reply: FastifyReply): string {
  let token = cookieToken(request, OPS_PRE_SESSION_COOKIE);
  if (!token) {
    token = randomBytes(32).toString('base64url');
    reply.header('set-cookie', cookie(request, OPS_PRE_SESSION_COOKIE, token, OPS_SIGN_IN_WINDOW_MS / 1000));
  }
  return csrfTokenOf(token);
}

function lockedError(oldest: Date | null): ApiError {
  const until = (oldest ?? new Date()).getTime() + OPS_SIGN_IN_WINDOW_MS;
  const retryAfterSeconds = Math.max(1, Math.ceil((until - Date.now()) / 1000));
  return new ApiError(429, 'SIGN_IN_LOCKED', `too many failed sign-ins from this address: try again in ${Math.ceil(retryAfterSeconds / 60)} min`, { retryAfterSeconds });
}

/**
 * Checks the operator id and personal token and opens a session (its cookie set on the reply);
 * 403 CSRF_FAILED, 429 SIGN_IN_LOCKED or 401 SIGN_IN_FAILED (one message whatever was wrong).
 */
export async function opsSignIn(db: Db, request: FastifyRequest, reply: FastifyReply, login: string, token: string): Promise<OperatorIdentity> {
  const preToken = cookieToken(request, OPS_PRE_SESSION_COOKIE);
  if (!preToken) throw new ApiError(403, 'CSRF_FAILED', 'the sign-in form has expired: reload the page');
  requireCsrf(request, csrfTokenOf(preToken));
  const ipSha256 = sha256Hex(`ops-ip:${request.ip}`);
  const since = new Date(Date.now() - OPS_SIGN_IN_WINDOW_MS);
  const before = await countOpsSignInFailures(db, ipSha256, since);
  if (before.count >= OPS_SIGN_IN_FAILURES_PER_IP_MAX) throw lockedError(before.oldest);
  const claimed = operatorIdOf(login);
  const who = await resolveOperatorToken(db, token.trim());
  if (!who || who.id !== claimed) {
    await recordOpsSignInFailure(db, claimed, ipSha256);
    const after = await countOpsSignInFailures(db, ipSha256, since);
    if (after.count >= OPS_SIGN_IN_FAILURES_PER_IP_MAX) throw lockedError(after.oldest);
    throw new ApiError(401, 'SIGN_IN_FAILED', 'the operator id or the personal token is wrong, or the token is revoked or expired, or the operator is disabled');
  }
  const session = await openOpsSession(db, who.id, OPS_SESSION_LIFETIME_MS);
  reply.header('set-cookie', [...sessionCookies(request, session.token, OPS_SESSION_LIFETIME_MS / 1000), cookie(request, OPS_PRE_SESSION_COOKIE, '', 0)]);
  await recordOperatorAction(db, { operator: who.id, action: 'ops.sign-in', args: {} });
  return who;
}

/** Ends the signed-in session (CSRF checked) and clears its cookie. */
export async function opsSignOut(db: Db, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const session = await requireOpsSession(db, request);
  await endOpsSession(db, session.tokenSha256);
  await recordOperatorAction(db, { operator: session.id, action: 'ops.sign-out', args: {} });
  reply.header('set-cookie', sessionCookies(request, '', 0));
}
