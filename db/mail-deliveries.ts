// The writes of a period's mail delivery (activities/mail-delivery.ts, issue 20 item 2): one row per
// (invoice, address), planned before any mail goes out, and the steps a row goes through:
// pending → sending (its own commit, before the mail leaves) → sent | failed | pending again with a
// backoff; a row found still 'sending' by the next batch of its lane is 'uncertain' and never sent
// again. A lane is a share of the period's rows (invoice id modulo the lane count): the delivery
// runs its lanes side by side, and only one batch of a lane runs at a time, so a lane's 'sending'
// rows are its own dead batch's.
import type { Knex } from 'knex';

/** A share of the period's rows; `{ lane: 0, lanes: 1 }` is all of them (deliveries started before lanes). */
export interface MailLane {
  lane: number;
  lanes: number;
}

export interface ReadyMailRow {
  invoice_id: string;
  email: string;
  message_id: string;
  attempts: number;
  account_number: string;
  unsubscribe_token: string;
}

export interface MailRowKey {
  invoice_id: string;
  email: string;
}

const periodDate = (period: string) => `${period}-01`;

function inLane(q: Knex.QueryBuilder, column: string, l: MailLane): Knex.QueryBuilder {
  return l.lanes > 1 ? q.whereRaw(`mod(${column}, ?) = ?`, [l.lanes, l.lane]) : q;
}

/** One row per (invoice of the period, confirmed and still subscribed address); existing rows are kept as they are. */
export async function planMailDeliveries(db: Knex, period: string, messageIdDomain: string): Promise<number> {
  const { rowCount } = await db.raw(`
    INSERT INTO mail_deliveries (invoice_id, email, subscription_id, period, message_id, state)
    SELECT i.id, s.email, s.id, i.period,
           '<inv-' || i.id || '-' || left(encode(sha256(convert_to(s.email, 'UTF8')), 'hex'), 16) || '@' || ?::text || '>', 'pending'
      FROM invoices i
      JOIN mail_subscriptions s ON s.account_number = i.account_number AND s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL
     WHERE i.period = ?::date
    ON CONFLICT (invoice_id, email) DO NOTHING`, [messageIdDomain, periodDate(period)]) as { rowCount: number };
  return rowCount;
}

/** The lane's rows a dead batch left 'sending': they may have reached the relay, so they are never sent again. */
export async function markLaneUncertain(db: Knex, period: string, l: MailLane, now: Date): Promise<number> {
  return inLane(db('mail_deliveries').where({ period: periodDate(period), state: 'sending' }), 'invoice_id', l)
    .update({ state: 'uncertain', finished_at: now, error: 'the worker stopped while sending it; not sent again (at most once per address)' });
}

/** The lane's pending rows whose address unsubscribed since the plan. */
export async function skipUnsubscribed(db: Knex, period: string, l: MailLane, now: Date): Promise<number> {
  return inLane(db('mail_deliveries').where({ period: periodDate(period), state: 'pending' }), 'invoice_id', l)
    .whereIn('subscription_id', db('mail_subscriptions').whereNotNull('unsubscribed_at').select('id'))
    .update({ state: 'skipped', finished_at: now, error: 'unsubscribed' });
}

/** Up to `limit` of the lane's rows that may be sent now, in key order (the partial index mail_deliveries_pending). */
export async function readyMailRows(db: Knex, period: string, l: MailLane, now: Date, limit: number): Promise<ReadyMailRow[]> {
  const q = db('mail_deliveries as d').join('invoices as i', 'i.id', 'd.invoice_id').join('mail_subscriptions as s', 's.id', 'd.subscription_id')
    .where({ 'd.period': periodDate(period), 'd.state': 'pending' }).where((w) => w.whereNull('d.next_attempt_at').orWhere('d.next_attempt_at', '<=', now));
  return inLane(q, 'd.invoice_id', l).orderBy(['d.invoice_id', 'd.email']).limit(limit)
    .select<ReadyMailRow[]>('d.invoice_id', 'd.email', 'd.message_id', 'd.attempts', 'i.account_number', 's.unsubscribe_token');
}

/** Marks the rows 'sending' in one commit, before any of them goes out; returns those it took (still pending). */
export async function claimMailRows(db: Knex, period: string, rows: readonly MailRowKey[]): Promise<MailRowKey[]> {
  if (rows.length === 0) return [];
  return db('mail_deliveries').where({ period: periodDate(period), state: 'pending' })
    .whereIn(['invoice_id', 'email'], rows.map((r) => [r.invoice_id, r.email]))
    .update({ state: 'sending', attempts: db.raw('attempts + 1') }).returning<MailRowKey[]>(['invoice_id', 'email']);
}

/** The relay took these mails (2xx): one statement for the group. */
export async function markMailSent(db: Knex, rows: readonly MailRowKey[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  await db('mail_deliveries').where({ state: 'sending' }).whereIn(['invoice_id', 'email'], rows.map((r) => [r.invoice_id, r.email]))
    .update({ state: 'sent', smtp_code: 250, error: null, finished_at: now });
}

/** Refused for good: a 5xx, or out of attempts. */
export async function markMailFailed(db: Knex, row: MailRowKey, code: number | null, error: string, now: Date): Promise<void> {
  await db('mail_deliveries').where({ ...row, state: 'sending' }).update({ state: 'failed', smtp_code: code, error, finished_at: now });
}

/** A 4xx or a network fault: pending again, not before `nextAttemptAt`. */
export async function postponeMail(db: Knex, row: MailRowKey, code: number | null, error: string, nextAttemptAt: Date): Promise<void> {
  await db('mail_deliveries').where({ ...row, state: 'sending' }).update({ state: 'pending', smtp_code: code, error, next_attempt_at: nextAttemptAt });
}

/** What the lane still has pending: ready now, and the earliest postponed row's time. */
export async function laneWaiting(db: Knex, period: string, l: MailLane, now: Date): Promise<{ pending: number; ready: number; next: Date | null }> {
  const row = await inLane(db('mail_deliveries').where({ period: periodDate(period), state: 'pending' }), 'invoice_id', l)
    .first<{ n: string; ready: string; next: Date | null }>(db.raw('count(*) AS n'), db.raw('count(*) FILTER (WHERE next_attempt_at IS NULL OR next_attempt_at <= ?) AS ready', [now]), db.raw('min(next_attempt_at) AS next'));
  return { pending: Number(row?.n ?? 0), ready: Number(row?.ready ?? 0), next: row?.next ?? null };
}
