// Activities of the mail delivery (workflows/mail-delivery.ts): plan the period's mails, then send
// them a batch at a time over SMTP, each with its invoice's PDF.
//
// At most once per (invoice, address), even across a worker crash: planning inserts one row per
// pair (primary key, ON CONFLICT DO NOTHING), and a row is marked 'sending' in its own commit
// before its mail goes out. A row found still 'sending' by the next batch was being sent when its
// worker died: it may or may not have reached the relay, so it is recorded 'uncertain' and never
// sent again (an operator sees it in `spc mail status`). The Message-ID is fixed per pair, so a
// recipient's system can tell a repeat should an operator send one by hand.
//
// Replies: 2xx sent; 5xx permanent, recorded with its code; 4xx and network faults postponed with
// exponential backoff, and recorded as failed after MAIL_ATTEMPTS_MAX tries. The rate is bounded
// (SPC_MAIL_RATE_PER_S) and MAIL_SENDS_IN_FLIGHT mails go out side by side.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import { loadPeriodInvoiceLines } from '../db/queries/invoices';
import { MAIL_RELAY_UNSET, type MailBatchResult, type MailDeliverySummary } from '../domain/mail-delivery-types';
import { mailDeliveryCounts } from '../db/queries/mail-deliveries';
import type { HouseholdConfig } from '../infra/config';
import { PdfRenderPool } from '../infra/pdf-render-pool';
import { createMailer, type Mailer, type OutgoingMail, type SendOutcome } from '../infra/mailer';
import { printInvoiceOf, type Requisites } from './invoice-print-view';

/** Rows one batch activity takes: a few seconds of sending at the default rate. */
export const MAIL_BATCH_ROWS = 200;
/** Rows claimed, rendered and sent together: also at most what a worker's death leaves uncertain. */
export const MAIL_SENDS_IN_FLIGHT = 16;
export const MAIL_ATTEMPTS_MAX = 6;
/** A batch heartbeats at least this often, well inside the workflow's heartbeat timeout (10 s). */
export const MAIL_ALIVE_HEARTBEAT_MS = 2_000;
export const MAIL_BACKOFF = { firstMs: 30_000, factor: 2, maxMs: 30 * 60_000 } as const;

interface ReadyRow {
  invoice_id: string;
  email: string;
  message_id: string;
  attempts: number;
  account_number: string;
  unsubscribe_token: string;
}

export interface MailActivityConfig {
  households: HouseholdConfig;
  requisites: Requisites;
  /** Tests pass their own relay's mailer; default: SPC_SMTP_URL's. */
  mailer?: Mailer;
}

export function backoffMs(attempts: number): number {
  return Math.min(MAIL_BACKOFF.maxMs, MAIL_BACKOFF.firstMs * MAIL_BACKOFF.factor ** Math.max(0, attempts - 1));
}

/** Spaces sends 1/rate apart, over all batches of this worker. */
function pacer(ratePerSecond: number): () => Promise<void> {
  let nextSlotMs = 0;
  return async () => {
    const now = Date.now();
    const slot = Math.max(now, nextSlotMs);
    nextSlotMs = slot + 1000 / ratePerSecond;
    if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
  };
}

/** The invoice mail: a short text in Russian and Kazakh, the PDF, and the one-click unsubscribe headers (RFC 8058). */
export function invoiceMail(households: HouseholdConfig, row: ReadyRow, pdf: Buffer, inv: ReturnType<typeof printInvoiceOf>): OutgoingMail {
  const unsubscribeUrl = `${households.publicUrl}/mail/unsubscribe?token=${row.unsubscribe_token}`;
  return {
    from: households.mailFrom, to: row.email, messageId: row.message_id,
    subject: `Счёт за ${inv.period}, л/с ${inv.accountNumber} / ${inv.period} шоты`,
    headers: { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    text: [
      `Лицевой счёт ${inv.accountNumber}, период ${inv.period}.`,
      `Начислено к оплате: ${inv.totalDue} KZT. Оплачено: ${inv.totalPaid} KZT. Итого к оплате: ${inv.totalStillDue} KZT до ${inv.dueDate}.`,
      `Дербес шот ${inv.accountNumber}, кезең ${inv.period}. Барлығы төлеуге: ${inv.totalStillDue} KZT, ${inv.dueDate} дейін.`,
      'Счёт во вложении (PDF, QR-код для оплаты в приложении банка). / Шот тіркемеде (PDF).',
      '', `Отписаться / Жазылымнан бас тарту: ${unsubscribeUrl}`,
    ].join('\n'),
    attachments: [{ filename: `invoice-${inv.period}-${inv.accountNumber}.pdf`, content: pdf, contentType: 'application/pdf' }],
  };
}

/** Writes what a send came to: sent, failed (5xx, or out of attempts) or postponed with backoff. */
async function recordOutcome(deps: Pick<ActivityDeps, 'db' | 'clock'>, row: ReadyRow, outcome: SendOutcome): Promise<keyof MailBatchResult> {
  const key = { invoice_id: row.invoice_id, email: row.email, state: 'sending' };
  const now = deps.clock();
  if (outcome.ok) {
    await deps.db('mail_deliveries').where(key).update({ state: 'sent', smtp_code: 250, error: null, finished_at: now });
    return 'sent';
  }
  const attempts = row.attempts + 1;
  if (outcome.permanent || attempts >= MAIL_ATTEMPTS_MAX) {
    await deps.db('mail_deliveries').where(key).update({ state: 'failed', smtp_code: outcome.code, error: outcome.message, finished_at: now });
    return 'failed';
  }
  await deps.db('mail_deliveries').where(key).update({ state: 'pending', smtp_code: outcome.code, error: outcome.message, next_attempt_at: new Date(now.getTime() + backoffMs(attempts)) });
  return 'retrying';
}

export function createMailDeliveryActivities(deps: ActivityDeps, config: MailActivityConfig) {
  const { households } = config;
  const domain = households.mailFrom.split('@')[1] ?? 'spc.local';
  let mailer = config.mailer;
  const pace = pacer(households.mailRatePerSecond);
  // Each mail's PDF is rendered on the pool's threads (a core each), not on the thread that talks
  // SMTP and Postgres; started with the first batch, not with the worker.
  let pool: PdfRenderPool | undefined;
  const mailerOf = (): Mailer => {
    if (!mailer) {
      if (!households.smtpUrl) throw ApplicationFailure.nonRetryable('no SMTP relay: set SPC_SMTP_URL (spc up starts a local one)', MAIL_RELAY_UNSET);
      mailer = createMailer(households.smtpUrl);
    }
    return mailer;
  };

  /** One row per (invoice of the period, confirmed and still subscribed address); existing rows are kept as they are. */
  async function planMailDelivery(input: { period: string }): Promise<{ planned: number }> {
    const { rowCount } = await deps.db.raw(`
      INSERT INTO mail_deliveries (invoice_id, email, subscription_id, period, message_id, state)
      SELECT i.id, s.email, s.id, i.period,
             '<inv-' || i.id || '-' || left(encode(sha256(convert_to(s.email, 'UTF8')), 'hex'), 16) || '@' || ?::text || '>', 'pending'
        FROM invoices i
        JOIN mail_subscriptions s ON s.account_number = i.account_number AND s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL
       WHERE i.period = ?::date
      ON CONFLICT (invoice_id, email) DO NOTHING`, [domain, `${input.period}-01`]) as { rowCount: number };
    return { planned: rowCount };
  }

  /** Claims, renders and sends one group of rows; returns what became of each. */
  async function sendGroup(period: string, group: ReadyRow[]): Promise<Array<keyof MailBatchResult>> {
    const claimed = await deps.db('mail_deliveries').where({ period: `${period}-01`, state: 'pending' })
      .whereIn(['invoice_id', 'email'], group.map((r) => [r.invoice_id, r.email]))
      .update({ state: 'sending', attempts: deps.db.raw('attempts + 1') }).returning<Array<{ invoice_id: string; email: string }>>(['invoice_id', 'email']);
    const mine = new Set(claimed.map((c) => `${c.invoice_id}\u0000${c.email}`));
    const rows = group.filter((r) => mine.has(`${r.invoice_id}\u0000${r.email}`));
    const lines = await loadPeriodInvoiceLines(deps.db, [...new Set(rows.map((r) => r.account_number))], period);
    return Promise.all(rows.map(async (row) => {
      const inv = printInvoiceOf(lines.get(row.account_number) ?? [], config.requisites);
      const pdf = await (pool ??= new PdfRenderPool()).render([inv], period);
      await pace();
      return recordOutcome(deps, row, await mailerOf().send(invoiceMail(households, row, pdf, inv)));
    }));
  }

  async function sendMailBatch(input: { period: string }): Promise<MailBatchResult> {
    const period = `${input.period}-01`;
    const now = deps.clock();
    const result: MailBatchResult = { sent: 0, failed: 0, retrying: 0, skipped: 0, uncertain: 0, more: false, nextAttemptAt: null };
    result.uncertain = await deps.db('mail_deliveries').where({ period, state: 'sending' })
      .update({ state: 'uncertain', finished_at: now, error: 'the worker stopped while sending it; not sent again (at most once per address)' });
    result.skipped = await deps.db('mail_deliveries').where({ period, state: 'pending' })
      .whereIn('subscription_id', deps.db('mail_subscriptions').whereNotNull('unsubscribed_at').select('id'))
      .update({ state: 'skipped', finished_at: now, error: 'unsubscribed' });
    const ready = await deps.db('mail_deliveries as d').join('invoices as i', 'i.id', 'd.invoice_id').join('mail_subscriptions as s', 's.id', 'd.subscription_id')
      .where({ 'd.period': period, 'd.state': 'pending' }).where((q) => q.whereNull('d.next_attempt_at').orWhere('d.next_attempt_at', '<=', now))
      .orderBy(['d.invoice_id', 'd.email']).limit(MAIL_BATCH_ROWS)
      .select<ReadyRow[]>('d.invoice_id', 'd.email', 'd.message_id', 'd.attempts', 'i.account_number', 's.unsubscribe_token');
    // Alive while a group renders and sends on a loaded machine: a batch that missed the heartbeat
    // timeout would be started again beside itself, and the new one would record this one's
    // in-flight rows as uncertain.
    const ctx = Context.current();
    let done = 0;
    const alive = setInterval(() => ctx.heartbeat({ done }), MAIL_ALIVE_HEARTBEAT_MS);
    try {
      for (let i = 0; i < ready.length; i += MAIL_SENDS_IN_FLIGHT) {
        for (const outcome of await sendGroup(input.period, ready.slice(i, i + MAIL_SENDS_IN_FLIGHT))) (result[outcome] as number)++;
        done = i + MAIL_SENDS_IN_FLIGHT;
        ctx.heartbeat({ done });
      }
    } finally {
      clearInterval(alive);
    }
    const waiting = await deps.db('mail_deliveries').where({ period, state: 'pending' })
      .first<{ n: string; ready: string; next: Date | null }>(deps.db.raw('count(*) AS n'), deps.db.raw('count(*) FILTER (WHERE next_attempt_at IS NULL OR next_attempt_at <= ?) AS ready', [deps.clock()]), deps.db.raw('min(next_attempt_at) AS next'));
    result.more = Number(waiting?.ready ?? 0) > 0;
    result.nextAttemptAt = Number(waiting?.n ?? 0) > 0 && waiting?.next ? waiting.next.toISOString() : null;
    return result;
  }

  async function summarizeMailDelivery(input: { period: string }): Promise<MailDeliverySummary> {
    return { period: input.period, byState: await mailDeliveryCounts(deps.db, input.period) };
  }

  return { planMailDelivery, sendMailBatch, summarizeMailDelivery };
}

export type MailDeliveryActivities = ReturnType<typeof createMailDeliveryActivities>;
