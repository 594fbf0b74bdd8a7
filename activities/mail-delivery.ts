// Activities of the mail delivery (workflows/mail-delivery.ts): plan the period's mails, then send
// them a batch at a time over SMTP, each with its invoice's PDF. The delivery runs MAIL_LANES lanes
// side by side (a share of the rows each, db/mail-deliveries.ts), so every worker's render threads
// and SMTP connections are busy, and a dead worker stops only its own lanes until they are taken over.
//
// At most once per (invoice, address), even across a worker crash: planning inserts one row per
// pair (primary key, ON CONFLICT DO NOTHING), and a row is marked 'sending' in its own commit
// before its mail goes out. A row found still 'sending' by the next batch of its lane was being sent
// when its worker died: it may or may not have reached the relay, so it is recorded 'uncertain' and
// never sent again (an operator sees it in `spc mail status`). The Message-ID is fixed per pair, so a
// recipient's system can tell a repeat should an operator send one by hand.
//
// Replies: 2xx sent; 5xx permanent, recorded with its code; 4xx and network faults postponed with
// exponential backoff, and recorded as failed after MAIL_ATTEMPTS_MAX tries. The rate is bounded
// (SPC_MAIL_RATE_PER_S, per worker) and MAIL_SENDS_IN_FLIGHT mails of a lane go out side by side.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import { loadPeriodInvoiceLines } from '../db/queries/invoices';
import { MAIL_RELAY_UNSET, type MailBatchResult, type MailDeliverySummary } from '../domain/mail-delivery-types';
import { mailDeliveryCounts } from '../db/queries/mail-deliveries';
import {
  claimMailRows, laneWaiting, markLaneUncertain, markMailFailed, markMailSent, planMailDeliveries, postponeMail, readyMailRows, skipUnsubscribed,
  type MailLane, type MailRowKey, type ReadyMailRow,
} from '../db/mail-deliveries';
import type { HouseholdConfig } from '../infra/config';
import { PdfRenderPool } from '../infra/pdf-render-pool';
import { createMailer, type Mailer, type OutgoingMail, type SendOutcome } from '../infra/mailer';
import { printInvoiceOf, type Requisites } from './invoice-print-view';

/** Rows one batch activity takes: a few seconds of sending at the default rate. */
export const MAIL_BATCH_ROWS = 200;
/** Rows of a lane claimed, rendered and sent together: also at most what a worker's death leaves uncertain per lane. */
export const MAIL_SENDS_IN_FLIGHT = 16;
export const MAIL_ATTEMPTS_MAX = 6;
/** A batch heartbeats at least this often, well inside the workflow's heartbeat timeout. */
export const MAIL_ALIVE_HEARTBEAT_MS = 2_000;
export const MAIL_BACKOFF = { firstMs: 30_000, factor: 2, maxMs: 30 * 60_000 } as const;

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
export function invoiceMail(households: HouseholdConfig, row: ReadyMailRow, pdf: Buffer, inv: ReturnType<typeof printInvoiceOf>): OutgoingMail {
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

/** Writes what a failed send came to: failed (5xx, or out of attempts) or postponed with backoff. */
async function recordFailure(deps: Pick<ActivityDeps, 'db' | 'clock'>, row: ReadyMailRow, outcome: Extract<SendOutcome, { ok: false }>): Promise<'failed' | 'retrying'> {
  const key: MailRowKey = { invoice_id: row.invoice_id, email: row.email };
  const now = deps.clock();
  const attempts = row.attempts + 1;
  if (outcome.permanent || attempts >= MAIL_ATTEMPTS_MAX) {
    await markMailFailed(deps.db, key, outcome.code, outcome.message, now);
    return 'failed';
  }
  await postponeMail(deps.db, key, outcome.code, outcome.message, new Date(now.getTime() + backoffMs(attempts)));
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
    return { planned: await planMailDeliveries(deps.db, input.period, domain) };
  }

  /** Claims, renders and sends one group of rows; returns what became of each. */
  async function sendGroup(period: string, group: ReadyMailRow[]): Promise<Array<keyof MailBatchResult>> {
    const mine = new Set((await claimMailRows(deps.db, period, group)).map((c) => `${c.invoice_id}\u0000${c.email}`));
    const rows = group.filter((r) => mine.has(`${r.invoice_id}\u0000${r.email}`));
    const lines = await loadPeriodInvoiceLines(deps.db, [...new Set(rows.map((r) => r.account_number))], period);
    const outcomes = await Promise.all(rows.map(async (row) => {
      const inv = printInvoiceOf(lines.get(row.account_number) ?? [], config.requisites);
      const pdf = await (pool ??= new PdfRenderPool()).render([inv], period);
      await pace();
      return mailerOf().send(invoiceMail(households, row, pdf, inv));
    }));
    // The sent rows in one statement; a failure (rare) in its own.
    await markMailSent(deps.db, rows.filter((_, i) => outcomes[i]?.ok), deps.clock());
    return Promise.all(rows.map(async (row, i) => {
      const outcome = outcomes[i] as SendOutcome;
      return outcome.ok ? 'sent' : recordFailure(deps, row, outcome);
    }));
  }

  /** Up to MAIL_BATCH_ROWS of a lane's ready rows (all rows when no lane is given: deliveries started before lanes). */
  async function sendMailBatch(input: { period: string } & Partial<MailLane>): Promise<MailBatchResult> {
    const { period } = input;
    const lane: MailLane = { lane: input.lane ?? 0, lanes: input.lanes ?? 1 };
    mailerOf(); // no relay configured: refused before any row is claimed
    const now = deps.clock();
    const result: MailBatchResult = { sent: 0, failed: 0, retrying: 0, skipped: 0, uncertain: 0, more: false, nextAttemptAt: null };
    result.uncertain = await markLaneUncertain(deps.db, period, lane, now);
    result.skipped = await skipUnsubscribed(deps.db, period, lane, now);
    const ready = await readyMailRows(deps.db, period, lane, now, MAIL_BATCH_ROWS);
    // Alive while a group renders and sends on a loaded machine: a batch that missed the heartbeat
    // timeout would be started again beside itself, and the new one would record this one's
    // in-flight rows as uncertain.
    const ctx = Context.current();
    let done = 0;
    const alive = setInterval(() => ctx.heartbeat({ done }), MAIL_ALIVE_HEARTBEAT_MS);
    try {
      for (let i = 0; i < ready.length; i += MAIL_SENDS_IN_FLIGHT) {
        for (const outcome of await sendGroup(period, ready.slice(i, i + MAIL_SENDS_IN_FLIGHT))) (result[outcome] as number)++;
        done = i + MAIL_SENDS_IN_FLIGHT;
        ctx.heartbeat({ done });
      }
    } finally {
      clearInterval(alive);
    }
    const waiting = await laneWaiting(deps.db, period, lane, deps.clock());
    result.more = waiting.ready > 0;
    result.nextAttemptAt = waiting.pending > 0 && waiting.next ? waiting.next.toISOString() : null;
    return result;
  }

  async function summarizeMailDelivery(input: { period: string }): Promise<MailDeliverySummary> {
    return { period: input.period, byState: await mailDeliveryCounts(deps.db, input.period) };
  }

  return { planMailDelivery, sendMailBatch, summarizeMailDelivery };
}

export type MailDeliveryActivities = ReturnType<typeof createMailDeliveryActivities>;
