// The cabinet's one-time sign-in links (docs/households.md, "Sign-in link"): the SQL of
// api/cabinet-link.ts. A link is issued per account whose confirmed subscription has the address,
// stored as the SHA-256 of its token; consuming it is one UPDATE that only an unused, unexpired
// link of a still-confirmed subscription passes, and the session opens in the same transaction.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { openSession, sha256Hex, type OpenedSession } from './cabinet';

/** Accounts listed in one sign-in mail: an address confirmed for more is unusual, and a mail stays short. */
export const SIGN_IN_LINK_ACCOUNTS_MAX = 10;

export interface ConfirmedSubscription {
  subscriptionId: string;
  account: string;
}

/** The accounts whose subscription of `address` is confirmed and not unsubscribed, oldest first. */
export async function findConfirmedSubscriptions(db: Knex, address: string): Promise<ConfirmedSubscription[]> {
  const rows = await db('mail_subscriptions').where({ email: address }).whereNotNull('confirmed_at').whereNull('unsubscribed_at')
    .orderBy('id').limit(SIGN_IN_LINK_ACCOUNTS_MAX).select<Array<{ id: string; account_number: string }>>('id', 'account_number');
  return rows.map((r) => ({ subscriptionId: String(r.id), account: r.account_number }));
}

export interface IssuedLink {
  account: string;
  /** The token for the mail: never stored, never logged. */
  token: string;
}

/** One new link per subscription, valid for `lifetimeMs`. */
export async function issueSignInLinks(db: Knex, subscriptions: readonly ConfirmedSubscription[], lifetimeMs: number, now = new Date()): Promise<IssuedLink[]> {
  if (subscriptions.length === 0) return [];
  const issued = subscriptions.map((s) => ({ ...s, token: randomBytes(32).toString('base64url') }));
  await db('cabinet_sign_in_links').insert(issued.map((l) => ({
    token_sha256: sha256Hex(l.token), account_number: l.account, subscription_id: l.subscriptionId, created_at: now, expires_at: new Date(now.getTime() + lifetimeMs),
  })));
  return issued.map((l) => ({ account: l.account, token: l.token }));
}

/** Accepted requests of a link since `since`, for this hashed address and this hashed client address. */
export async function countSignInLinkRequests(db: Knex, emailSha256: string, ipSha256: string, since: Date): Promise<{ email: number; ip: number; oldestAt: { email: Date | null; ip: Date | null } }> {
  const { rows } = await db.raw<{ rows: Array<{ email: string; ip: string; email_oldest: Date | null; ip_oldest: Date | null }> }>(
    `SELECT count(*) FILTER (WHERE email_sha256 = ?) AS email, count(*) FILTER (WHERE ip_sha256 = ?) AS ip,
            min(at) FILTER (WHERE email_sha256 = ?) AS email_oldest, min(at) FILTER (WHERE ip_sha256 = ?) AS ip_oldest
       FROM cabinet_sign_in_link_requests WHERE (email_sha256 = ? OR ip_sha256 = ?) AND at >= ?`,
    [emailSha256, ipSha256, emailSha256, ipSha256, emailSha256, ipSha256, since],
  );
  const row = rows[0];
  return { email: Number(row?.email ?? 0), ip: Number(row?.ip ?? 0), oldestAt: { email: row?.email_oldest ?? null, ip: row?.ip_oldest ?? null } };
}

export async function recordSignInLinkRequest(db: Knex, emailSha256: string, ipSha256: string): Promise<void> {
  await db('cabinet_sign_in_link_requests').insert({ email_sha256: emailSha256, ip_sha256: ipSha256 });
}

/** Why a link does not sign in: not known (or mistyped), already used, past its expiry, or its subscription ended. */
export type SignInLinkState = 'usable' | 'LINK_UNKNOWN' | 'LINK_USED' | 'LINK_EXPIRED' | 'LINK_REVOKED';

/** What a link would do now, without using it (the confirmation page's GET). */
export async function signInLinkState(db: Knex, tokenSha256: string, now = new Date()): Promise<SignInLinkState> {
  const row = await db('cabinet_sign_in_links as l').join('mail_subscriptions as s', 's.id', 'l.subscription_id').where('l.token_sha256', tokenSha256)
    .first<{ expires_at: Date; used_at: Date | null; confirmed_at: Date | null; unsubscribed_at: Date | null } | undefined>('l.expires_at', 'l.used_at', 's.confirmed_at', 's.unsubscribed_at');
  if (!row) return 'LINK_UNKNOWN';
  if (row.used_at !== null) return 'LINK_USED';
  if (row.expires_at.getTime() <= now.getTime()) return 'LINK_EXPIRED';
  if (row.confirmed_at === null || row.unsubscribed_at !== null) return 'LINK_REVOKED';
  return 'usable';
}

/**
 * Uses the link and opens a session of its account, in one transaction: of two simultaneous uses
 * the UPDATE lets one through. Returns the session, or the reason the link is refused.
 */
export async function consumeSignInLink(db: Knex, tokenSha256: string, sessionLifetimeMs: number, now = new Date()): Promise<{ account: string; session: OpenedSession } | { refused: Exclude<SignInLinkState, 'usable'> }> {
  return db.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: Array<{ account_number: string }> }>(
      `UPDATE cabinet_sign_in_links AS l SET used_at = ?
        WHERE l.token_sha256 = ? AND l.used_at IS NULL AND l.expires_at > ?
          AND EXISTS (SELECT 1 FROM mail_subscriptions s WHERE s.id = l.subscription_id AND s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL)
        RETURNING l.account_number`,
      [now, tokenSha256, now],
    );
    const account = rows[0]?.account_number;
    if (account === undefined) {
      const state = await signInLinkState(trx, tokenSha256, now);
      return { refused: state === 'usable' ? 'LINK_UNKNOWN' : state };
    }
    return { account, session: await openSession(trx, account, sessionLifetimeMs, 'link') };
  });
}
