// The cabinet's e-mail subscription form (issue 20 item 2): the session's account subscribes an
// address to its invoices, double opt-in (db/mail-subscriptions.ts mails the confirmation link; the
// link is GET /mail/confirm). An address already confirmed gets no new mail.
import type { Db } from '../db/connection';
import {
  MailSubscriptionError, assertConfirmationAllowed, listAccountSubscriptions, normalizeEmail, subscribe, type SubscriptionLinks, type SubscriptionState,
} from '../db/mail-subscriptions';
import type { Mailer } from '../infra/mailer';
import { ApiError } from './errors';

/** How the API sends the confirmation mail; unset in ApiDeps: the form answers 503 MAIL_UNAVAILABLE. */
export interface CabinetMail {
  mailer: Mailer;
  links: SubscriptionLinks;
}

const STATUS_BY_CODE: Record<string, number> = { EMAIL_INVALID: 422, ACCOUNT_NOT_FOUND: 404, EMAIL_LIMIT_REACHED: 429, MAIL_NOT_SENT: 503 };

export async function subscribeCabinetEmail(db: Db, mail: CabinetMail | undefined, account: string, email: string): Promise<{ created: boolean; email: string; state: SubscriptionState }> {
  try {
    const address = normalizeEmail(email);
    const known = (await listAccountSubscriptions(db, account)).find((s) => s.email === address);
    if (known?.state === 'confirmed') return { created: false, email: address, state: 'confirmed' };
    if (!mail) throw new ApiError(503, 'MAIL_UNAVAILABLE', 'the SPC cannot send mail right now: try again later');
    await assertConfirmationAllowed(db, account, address);
    await subscribe(db, mail.mailer, mail.links, account, address);
    return { created: true, email: address, state: 'pending' };
  } catch (err) {
    if (err instanceof MailSubscriptionError) {
      // The relay's reply (its host, its wording) is not echoed to the household.
      const message = err.code === 'MAIL_NOT_SENT' ? 'the confirmation mail could not be sent: try again later' : err.message;
      throw new ApiError(STATUS_BY_CODE[err.code] ?? 422, err.code === 'MAIL_NOT_SENT' ? 'MAIL_UNAVAILABLE' : err.code, message);
    }
    throw err;
  }
}
