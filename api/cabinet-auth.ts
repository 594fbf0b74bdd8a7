// The cabinet's sign-in and sessions (issue 20 item 3). A household signs in with its personal
// account number and the access code printed on its invoice (domain/access-code.ts).
// - Lock-out: wrong codes are recorded per account and per client address (hashed); past
//   SIGN_IN_FAILURES_PER_ACCOUNT_MAX (or ..._PER_IP_MAX from one address) within
//   SIGN_IN_LOCKOUT_WINDOW_MS, every try is refused 429 SIGN_IN_LOCKED, the right code too,
//   until the oldest failure leaves the window. The count is read before the code is checked, so
//   parallel tries may pass the bound by the number in flight, never by more.
// - Sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure over https), stored
//   as its SHA-256 with an expiry; logout ends it at once.
// - CSRF: every POST carries X-CSRF-Token, derived from the session's token (db/cabinet.ts); the
//   sign-in form's comes from a pre-session cookie of the same kind.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/connection';
import { csrfTokenOf, openSession, recordSignInFailure, sha256Hex } from '../db/cabinet';
import { countSignInFailures, findAccessCodeHash, findLiveSession, oldestFailureSince } from '../db/queries/cabinet';
import { accessCodeMatches, DUMMY_ACCESS_CODE_HASH } from '../domain/access-code';
import { ACCOUNT_RE } from '../domain/payment-types';
import { ApiError } from './errors';

export const SESSION_COOKIE = 'spc_cabinet';
export const PRE_SESSION_COOKIE = 'spc_cabinet_pre';
export const CSRF_HEADER = 'x-csrf-token';
/** A session lasts this long from sign-in; a household signs in again after it. */
export const SESSION_LIFETIME_MS = 30 * 60_000;
export const SIGN_IN_LOCKOUT_WINDOW_MS = 15 * 60_000;
export const SIGN_IN_FAILURES_PER_ACCOUNT_MAX = 5;
/** Higher than per account: a block of flats behind one NAT signs in from one address. */
export const SIGN_IN_FAILURES_PER_IP_MAX = 20;
const COOKIE_HEADER_CHARS_MAX = 4096;
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export interface CabinetSession {
  account: string;
  tokenSha256: string;
  csrfToken: string;
}

/** One cookie's value from the Cookie header, when it has the shape of a token. */
export function cookieToken(request: FastifyRequest, name: string): string | null {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length > COOKIE_HEADER_CHARS_MAX) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      const value = rest.join('=');
      return TOKEN_RE.test(value) ? value : null;
    }
  }
  return null;
}

function cookie(request: FastifyRequest, name: string, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  return `${name}=${value}; Path=/cabinet; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
}

function sameText(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

function requireCsrf(request: FastifyRequest, expected: string): void {
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameText(sent, expected)) {
    throw new ApiError(403, 'CSRF_FAILED', 'the form\'s CSRF token is missing or wrong: reload the page');
  }
}

/** The signed-in household, or null. */
export async function currentSession(db: Db, request: FastifyRequest): Promise<CabinetSession | null> {
  const token = cookieToken(request, SESSION_COOKIE);
  if (!token) return null;
  const tokenSha256 = sha256Hex(token);
  const row = await findLiveSession(db, tokenSha256, new Date());
  if (!row || row.csrf_sha256 !== sha256Hex(csrfTokenOf(token))) return null;
  return { account: row.account_number, tokenSha256, csrfToken: csrfTokenOf(token) };
}

/** The signed-in household, checked for CSRF on a POST; 401 NOT_SIGNED_IN otherwise. */
export async function requireSession(db: Db, request: FastifyRequest): Promise<CabinetSession> {
  const session = await currentSession(db, request);
  if (!session) throw new ApiError(401, 'NOT_SIGNED_IN', 'sign in with the personal account number and the access code on the invoice');
  if (request.method !== 'GET' && request.method !== 'HEAD') requireCsrf(request, session.csrfToken);
  return session;
}

/** The pre-session token of the sign-in form: the cookie's, or a new one set on the reply. */
export function preSessionCsrf(request: FastifyRequest, reply: FastifyReply): string {
  let token = cookieToken(request, PRE_SESSION_COOKIE);
  if (!token) {
    token = randomBytes(32).toString('base64url');
    reply.header('set-cookie', cookie(request, PRE_SESSION_COOKIE, token, SESSION_LIFETIME_MS / 1000));
  }
  return csrfTokenOf(token);
}

async function lockedFor(db: Db, account: string, ipSha256: string, since: Date): Promise<number | null> {
  const counts = await countSignInFailures(db, account, ipSha256, since);
  const which = counts.account >= SIGN_IN_FAILURES_PER_ACCOUNT_MAX ? (['account_number', account] as const)
    : counts.ip >= SIGN_IN_FAILURES_PER_IP_MAX ? (['ip_sha256', ipSha256] as const) : null;
  if (!which) return null;
  const oldest = await oldestFailureSince(db, which[0], which[1], since);
  const until = (oldest ?? new Date()).getTime() + SIGN_IN_LOCKOUT_WINDOW_MS;
  return Math.max(1, Math.ceil((until - Date.now()) / 1000));
}

function lockedError(retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'SIGN_IN_LOCKED', `too many wrong access codes: try again in ${Math.ceil(retryAfterSeconds / 60)} min`, { retryAfterSeconds });
}

/**
 * The sign-in forms' CSRF check: the token sent (the X-CSRF-Token header, or a plain form's field
 * when given) must be the one derived from the pre-session cookie; 403 CSRF_FAILED otherwise.
 */
export function requirePreSessionCsrf(request: FastifyRequest, formField?: string): void {
  const preToken = cookieToken(request, PRE_SESSION_COOKIE);
  if (!preToken) throw new ApiError(403, 'CSRF_FAILED', 'the sign-in form has expired: reload the page');
  if (formField === undefined) {
    requireCsrf(request, csrfTokenOf(preToken));
  } else if (!sameText(formField, csrfTokenOf(preToken))) {
    throw new ApiError(403, 'CSRF_FAILED', 'the form\'s CSRF token is missing or wrong: reload the page');
  }
}

/** The hashed client address the limits count by; the address itself is stored nowhere. */
export const clientIpSha256 = (request: FastifyRequest): string => sha256Hex(`cabinet-ip:${request.ip}`);

/** Sets the new session's cookie on the reply and drops the pre-session one. */
export function setSessionCookies(request: FastifyRequest, reply: FastifyReply, sessionToken: string): void {
  reply.header('set-cookie', [
    cookie(request, SESSION_COOKIE, sessionToken, SESSION_LIFETIME_MS / 1000),
    cookie(request, PRE_SESSION_COOKIE, '', 0),
  ]);
}

/** Checks the code and opens a session (its cookie set on the reply); 401 SIGN_IN_FAILED or 429 SIGN_IN_LOCKED. */
export async function signIn(db: Db, request: FastifyRequest, reply: FastifyReply, account: string, code: string): Promise<{ account: string; csrfToken: string }> {
  requirePreSessionCsrf(request);
  const ipSha256 = clientIpSha256(request);
  const since = new Date(Date.now() - SIGN_IN_LOCKOUT_WINDOW_MS);
  const locked = await lockedFor(db, account, ipSha256, since);
  if (locked !== null) throw lockedError(locked);
  const stored = ACCOUNT_RE.test(account) ? await findAccessCodeHash(db, account) : null;
  // A missing account or code costs the same scrypt as a wrong one: timing tells nothing.
  const matches = (await accessCodeMatches(code, stored ?? DUMMY_ACCESS_CODE_HASH)) && stored !== null;
  if (!matches) {
    await recordSignInFailure(db, account, ipSha256);
    const nowLocked = await lockedFor(db, account, ipSha256, since);
    if (nowLocked !== null) throw lockedError(nowLocked);
    throw new ApiError(401, 'SIGN_IN_FAILED', 'the personal account number or the access code is wrong: both are printed on the invoice');
  }
  const session = await openSession(db, account, SESSION_LIFETIME_MS, 'code');
  setSessionCookies(request, reply, session.token);
  return { account, csrfToken: session.csrfToken };
}

export function clearSessionCookie(request: FastifyRequest): string {
  return cookie(request, SESSION_COOKIE, '', 0);
}
