// The cabinet's sign-in by a one-time link mailed to a confirmed address (issue 20 item 3;
// docs/households.md, "Sign-in link").
// - Request (POST /cabinet/api/sign-in-link {email}, the sign-in form's CSRF): the answer is the
//   same 202 whether the address is known or not. The links are issued and mailed after the answer
//   (in the background, awaited when the server closes), so neither the answer nor its timing tells
//   whether the address is subscribed. Limits per hashed address and per hashed client address
//   count every accepted request, known address or not: a 429 says nothing either.
// - An address confirmed for several accounts gets one mail with one link per account, each link
//   bound to its account (and to the subscription: unsubscribing voids its unused links).
// - Use: GET shows a page with a button (mail scanners prefetch GETs); only the POST with the
//   page's CSRF field uses the token and opens the session, recorded as sign_in_method 'link'.
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/connection';
import { sha256Hex } from '../db/cabinet';
import {
  consumeSignInLink, countSignInLinkRequests, findConfirmedSubscriptions, issueSignInLinks, recordSignInLinkRequest, signInLinkState, type SignInLinkState,
} from '../db/cabinet-sign-in-links';
import { MailSubscriptionError, normalizeEmail } from '../db/mail-subscriptions';
import { clientIpSha256, requirePreSessionCsrf, SESSION_LIFETIME_MS, setSessionCookies } from './cabinet-auth';
import type { CabinetMail } from './cabinet-email';
import { signInLinkMail } from './cabinet-link-mail';
import { ApiError } from './errors';

/** How long a mailed link works: long enough to open the mail, short enough that an old mailbox holds nothing usable. */
export const SIGN_IN_LINK_LIFETIME_MS = 15 * 60_000;
export const SIGN_IN_LINK_REQUESTS_WINDOW_MS = 60 * 60_000;
/** Requests per address in the window: a lost mail is asked again, a mailbox is not flooded. */
export const SIGN_IN_LINK_REQUESTS_PER_ADDRESS_MAX = 3;
/** Higher than per address: a block of flats behind one NAT asks from one address. */
export const SIGN_IN_LINK_REQUESTS_PER_IP_MAX = 20;
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** The answer to every accepted request, known address or not. */
export const SIGN_IN_LINK_REQUESTED = { code: 'SIGN_IN_LINK_REQUESTED', message: 'if the address is confirmed for a personal account, a sign-in link is on its way: check the mailbox' } as const;

export interface SignInLinkDeps {
  db: Db;
  mail: CabinetMail | undefined;
  log: FastifyBaseLogger;
  /** Mails in flight after their answer; the server awaits them when it closes. */
  pending: Set<Promise<void>>;
}

function addressOf(email: string): string {
  try {
    return normalizeEmail(email);
  } catch (err) {
    if (err instanceof MailSubscriptionError) throw new ApiError(422, err.code, err.message);
    throw err;
  }
}

async function assertWithinLimits(db: Db, emailSha256: string, ipSha256: string): Promise<void> {
  const since = new Date(Date.now() - SIGN_IN_LINK_REQUESTS_WINDOW_MS);
  const counts = await countSignInLinkRequests(db, emailSha256, ipSha256, since);
  const oldest = counts.email >= SIGN_IN_LINK_REQUESTS_PER_ADDRESS_MAX ? counts.oldestAt.email
    : counts.ip >= SIGN_IN_LINK_REQUESTS_PER_IP_MAX ? counts.oldestAt.ip : undefined;
  if (oldest === undefined) return;
  const retryAfterSeconds = Math.max(1, Math.ceil(((oldest ?? new Date()).getTime() + SIGN_IN_LINK_REQUESTS_WINDOW_MS - Date.now()) / 1000));
  throw new ApiError(429, 'SIGN_IN_LINK_LIMITED', `too many sign-in links asked for: try again in ${Math.ceil(retryAfterSeconds / 60)} min`, { retryAfterSeconds });
}

async function mailLinks(deps: SignInLinkDeps, mail: CabinetMail, address: string): Promise<void> {
  const subscriptions = await findConfirmedSubscriptions(deps.db, address);
  if (subscriptions.length === 0) return;
  const issued = await issueSignInLinks(deps.db, subscriptions, SIGN_IN_LINK_LIFETIME_MS);
  const sent = await mail.mailer.send(signInLinkMail(mail.links, address, issued, SIGN_IN_LINK_LIFETIME_MS / 60_000));
  // Neither the address nor the token is logged: the relay's code says enough to look into it.
  if (!sent.ok) deps.log.warn({ smtpCode: sent.code, permanent: sent.permanent }, 'cabinet sign-in link mail not sent');
}

/** Checks the request and answers it; the mail, when the address is known, goes out after the answer. */
export async function requestSignInLink(deps: SignInLinkDeps, request: FastifyRequest, email: string): Promise<typeof SIGN_IN_LINK_REQUESTED> {
  requirePreSessionCsrf(request);
  const mail = deps.mail;
  if (!mail) throw new ApiError(503, 'MAIL_UNAVAILABLE', 'the SPC cannot send mail right now: try again later');
  const address = addressOf(email);
  const emailSha256 = sha256Hex(`cabinet-email:${address}`);
  const ipSha256 = clientIpSha256(request);
  await assertWithinLimits(deps.db, emailSha256, ipSha256);
  await recordSignInLinkRequest(deps.db, emailSha256, ipSha256);
  const job: Promise<void> = mailLinks(deps, mail, address)
    .catch((err: unknown) => deps.log.error({ err: err instanceof Error ? err.name : 'error' }, 'cabinet sign-in link not issued'))
    .finally(() => deps.pending.delete(job));
  deps.pending.add(job);
  return SIGN_IN_LINK_REQUESTED;
}

/** The token of a link's URL or form, hashed; null when it does not have a token's shape. */
export function linkTokenSha256(token: string | undefined): string | null {
  return typeof token === 'string' && TOKEN_RE.test(token) ? sha256Hex(token) : null;
}

/** What the link's GET page shows: the button, or why the link does not work. */
export async function linkStateOf(db: Db, token: string | undefined): Promise<SignInLinkState> {
  const tokenSha256 = linkTokenSha256(token);
  return tokenSha256 === null ? 'LINK_UNKNOWN' : signInLinkState(db, tokenSha256);
}

/** Uses the link (the POST of its page): a session and its cookie, or the reason it is refused. */
export async function signInWithLink(db: Db, request: FastifyRequest, reply: FastifyReply, token: string | undefined, csrf: string | undefined): Promise<{ ok: true } | { refused: Exclude<SignInLinkState, 'usable'> }> {
  requirePreSessionCsrf(request, csrf ?? '');
  const tokenSha256 = linkTokenSha256(token);
  if (tokenSha256 === null) return { refused: 'LINK_UNKNOWN' };
  const used = await consumeSignInLink(db, tokenSha256, SESSION_LIFETIME_MS);
  if ('refused' in used) return used;
  setSessionCookies(request, reply, used.session.token);
  return { ok: true };
}
