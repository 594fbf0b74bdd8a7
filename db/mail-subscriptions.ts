// E-mail subscriptions of personal accounts (issue 20 item 2), double opt-in: subscribe() stores the
// address with the SHA-256 of a fresh confirmation token and mails the link; only confirm(token)
// makes the address receive invoices. unsubscribe(token) stops them (the link in every invoice
// mail). The cabinet's form calls subscribe(); the links are GET /mail/confirm and /mail/unsubscribe.
import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Mailer } from '../infra/mailer';
import { accountExists } from './queries/accounts';

/** How long a confirmation link works. */
export const CONFIRM_TOKEN_TTL_MS = 7 * 24 * 60 * 60_000;
/** Confirmation links an account may have mailed in a day (the cabinet's form): a household subscribes once, a hijacked session must not mail strangers. */
export const CONFIRMATIONS_PER_ACCOUNT_PER_DAY_MAX = 5;
/** A new link to the same address only after this: a lost mail is asked again, one address is not flooded. */
export const CONFIRM_RESEND_AFTER_MS = 10 * 60_000;
const DAY_MS = 24 * 60 * 60_000;
/** A sane address: one @, no spaces or angle brackets, a dot in the domain; RFC 5321's 254 characters at most. */
const EMAIL_RE = /^[^\s@<>"',;]{1,64}@[^\s@<>"',;]+\.[^\s@<>"',;]{2,}$/;
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export type SubscriptionErrorCode = 'EMAIL_INVALID' | 'ACCOUNT_NOT_FOUND' | 'TOKEN_UNKNOWN' | 'TOKEN_EXPIRED' | 'EMAIL_LIMIT_REACHED' | 'MAIL_NOT_SENT';

/** Thrown when a subscription step is refused; `code` is the machine-readable reason. */
export class MailSubscriptionError extends Error {
  override name = 'MailSubscriptionError';
  constructor(readonly code: SubscriptionErrorCode, message: string) {
    super(message);
  }
}

export interface SubscriptionLinks {
  publicUrl: string;
  mailFrom: string;
}

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
const newToken = () => randomBytes(32).toString('base64url');

export function normalizeEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (e.length > 254 || !EMAIL_RE.test(e)) throw new MailSubscriptionError('EMAIL_INVALID', 'the e-mail address is not valid: give one like name@example.kz');
  return e;
}

/**
 * Refuses a new confirmation link (EMAIL_LIMIT_REACHED) when the account had CONFIRMATIONS_PER_ACCOUNT_PER_DAY_MAX
 * links issued in the last day, or this address one within CONFIRM_RESEND_AFTER_MS. A link's issue time is its
 * expiry less the TTL, so the check needs no column of its own. Two requests at the same instant may both pass:
 * the limit is against abuse, not an exact count.
 */
export async function assertConfirmationAllowed(db: Knex, account: string, address: string, now = new Date()): Promise<void> {
  const issuedAfter = (ms: number) => new Date(now.getTime() - ms + CONFIRM_TOKEN_TTL_MS);
  const row = await db('mail_subscriptions').where({ account_number: account }).first<{ today: string; same: string }>(
    db.raw('count(*) FILTER (WHERE confirm_expires_at > ?) AS today', [issuedAfter(DAY_MS)]),
    db.raw('count(*) FILTER (WHERE email = ? AND confirm_expires_at > ?) AS same', [address, issuedAfter(CONFIRM_RESEND_AFTER_MS)]),
  );
  if (Number(row?.same ?? 0) > 0) throw new MailSubscriptionError('EMAIL_LIMIT_REACHED', 'a confirmation link went to this address a few minutes ago: check the mailbox (and spam) or try again later');
  if (Number(row?.today ?? 0) >= CONFIRMATIONS_PER_ACCOUNT_PER_DAY_MAX) {
    throw new MailSubscriptionError('EMAIL_LIMIT_REACHED', `at most ${CONFIRMATIONS_PER_ACCOUNT_PER_DAY_MAX} confirmation links a day per account: try again tomorrow`);
  }
}

export type SubscriptionState = 'pending' | 'confirmed' | 'unsubscribed';

/** Addresses an account subscribed, newest first (at most `limit`), with their state; for the account's own cabinet only. */
export async function listAccountSubscriptions(db: Knex, account: string, limit = 10): Promise<Array<{ email: string; state: SubscriptionState }>> {
  const rows = await db('mail_subscriptions').where({ account_number: account }).orderBy('id', 'desc').limit(limit)
    .select<Array<{ email: string; confirmed_at: Date | null; unsubscribed_at: Date | null }>>('email', 'confirmed_at', 'unsubscribed_at');
  return rows.map((r) => ({ email: r.email, state: r.unsubscribed_at ? 'unsubscribed' : r.confirmed_at ? 'confirmed' : 'pending' }));
}

/** Stores (or refreshes) the subscription and mails the confirmation link; returns the subscription's id. */
export async function subscribe(db: Knex, mailer: Mailer, links: SubscriptionLinks, account: string, email: string, now = new Date()): Promise<{ id: string }> {
  const address = normalizeEmail(email);
  if (!(await accountExists(db, account))) throw new MailSubscriptionError('ACCOUNT_NOT_FOUND', `personal account ${account} is not in the SPC database`);
  const token = newToken();
  const [row] = await db('mail_subscriptions')
    .insert({ account_number: account, email: address, confirm_token_sha256: sha256Hex(token), confirm_expires_at: new Date(now.getTime() + CONFIRM_TOKEN_TTL_MS), unsubscribe_token: newToken() })
    .onConflict(['account_number', 'email'])
    .merge(['confirm_token_sha256', 'confirm_expires_at'])
    .returning<Array<{ id: string }>>('id');
  if (!row) throw new Error('invariant: subscription upsert returned no row');
  const url = `${links.publicUrl}/mail/confirm?token=${token}`;
  const sent = await mailer.send({
    from: links.mailFrom, to: address, messageId: `<confirm-${sha256Hex(token).slice(0, 24)}@${links.mailFrom.split('@')[1] ?? 'spc.local'}>`,
    subject: 'Подтвердите подписку на счета / Шоттарға жазылуды растаңыз',
    text: [
      `Чтобы получать счета по лицевому счёту ${account} на этот адрес, откройте ссылку:`,
      `Дербес шот ${account} бойынша шоттарды осы мекенжайға алу үшін сілтемені ашыңыз:`,
      url, '', 'Если вы не подписывались, ничего не делайте. / Егер жазылмаған болсаңыз, ештеңе жасамаңыз.',
    ].join('\n'),
  });
  if (!sent.ok) throw new MailSubscriptionError('MAIL_NOT_SENT', `the confirmation mail was not sent (${sent.code ?? 'no reply'}): ${sent.message}`);
  return { id: String(row.id) };
}

async function byToken(db: Knex, column: 'confirm_token_sha256' | 'unsubscribe_token', value: string) {
  return db('mail_subscriptions').where(column, value).first<{ id: string; account_number: string; email: string; confirm_expires_at: Date; confirmed_at: Date | null } | undefined>();
}

function checkToken(token: string): void {
  if (!TOKEN_RE.test(token)) throw new MailSubscriptionError('TOKEN_UNKNOWN', 'the link is not complete: open it exactly as it came in the mail');
}

/** Confirms the address of a confirmation link: invoices go to it from the next delivery run on. */
export async function confirm(db: Knex, token: string, now = new Date()): Promise<{ account: string }> {
  checkToken(token);
  const row = await byToken(db, 'confirm_token_sha256', sha256Hex(token));
  if (!row) throw new MailSubscriptionError('TOKEN_UNKNOWN', 'this confirmation link is not known (a newer one replaces it): subscribe again');
  if (row.confirmed_at === null && row.confirm_expires_at.getTime() < now.getTime()) throw new MailSubscriptionError('TOKEN_EXPIRED', 'this confirmation link has expired: subscribe again');
  await db('mail_subscriptions').where({ id: row.id }).update({ confirmed_at: row.confirmed_at ?? now, unsubscribed_at: null });
  return { account: row.account_number };
}

/** Stops invoice mail to the address of an unsubscribe link; repeating it is harmless. */
export async function unsubscribe(db: Knex, token: string, now = new Date()): Promise<{ account: string }> {
  checkToken(token);
  const row = await byToken(db, 'unsubscribe_token', token);
  if (!row) throw new MailSubscriptionError('TOKEN_UNKNOWN', 'this unsubscribe link is not known');
  await db('mail_subscriptions').where({ id: row.id }).whereNull('unsubscribed_at').update({ unsubscribed_at: now });
  return { account: row.account_number };
}
