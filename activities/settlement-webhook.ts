// Pushes a settlement's payment list to the bank's webhook (banks.webhook_url), when it has one.
// One attempt per activity run: a failed attempt is recorded in webhook_deliveries and thrown, and
// the activity's retry policy (durable timers with backoff, no attempt limit) tries again, so a
// bank that is down for hours loses nothing. Every attempt carries the same Idempotency-Key (the
// settlement id): if the bank got a request whose answer we lost, it recognises the repeat.
// Every push is signed (activities/webhook-post.ts); one that may not go (plain http:// to another
// machine, no secret) is recorded as refused in webhook_deliveries.last_error, shown by
// `spc settlement show`, and the workflow's webhook state says 'refused': no retry loop.
import type { ActivityDeps } from './deps';
import { isoSeconds } from './settlement-support';
import { SETTLEMENT_FILE_CONTENT_TYPES } from './settlement-files';
import type { SettlementFileFormat, WebhookState } from '../domain/settlement-types';
import { postWebhook, webhookRefusal } from './webhook-post';
import { signingSecrets } from '../db/webhook-secrets';
import { recordWebhookAttempt } from './webhook-attempt-record';

export { WEBHOOK_REQUEST_TIMEOUT_MS } from './webhook-post';
export const WEBHOOK_EVENT = 'settlement.payment_list';

export interface WebhookPayload {
  event: typeof WEBHOOK_EVENT;
  settlementId: string;
  bankCode: string;
  businessDate: string;
  executionDate: string;
  msgId: string;
  paymentCount: number;
  total: string;
  lineCount: number;
  files: Array<{ format: SettlementFileFormat; contentType: string; sha256: string; contentBase64: string }>;
}

/** Thrown when the bank's webhook did not take the list; the activity's retry policy tries again. */
export class WebhookDeliveryError extends Error {
  override name = 'WebhookDeliveryError';
  constructor(readonly url: string, readonly attempt: number, readonly status: number | null, detail: string) {
    super(`webhook ${url} attempt ${attempt} failed: ${detail}; retrying with backoff`);
  }
}

export function createSettlementWebhookActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function deliverSettlementWebhook(input: { settlementId: string }): Promise<WebhookState> {
    const s = await db('settlements as s')
      .join('banks as b', 'b.code', 's.bank_code')
      .where('s.id', input.settlementId)
      .first('s.id', 's.bank_code', 's.business_date', 's.execution_date', 's.msg_id', 's.payment_count', 's.reversal_count', 's.net_total', 'b.webhook_url');
    if (!s) throw new Error(`no settlement ${input.settlementId}`);
    const done = await db('webhook_deliveries').where({ settlement_id: input.settlementId }).first('url', 'attempts', 'delivered_at');
    if (done?.delivered_at) return { status: 'delivered', url: done.url, attempts: done.attempts, deliveredAt: isoSeconds(done.delivered_at) };
    // The bank's current URL: a bank that fixes its endpoint while we retry gets the list there.
    const url: string | null = s.webhook_url;
    if (!url) return { status: 'not_configured' };

    await db.raw(
      'INSERT INTO webhook_deliveries (settlement_id, url) VALUES (?, ?) ON CONFLICT (settlement_id) DO UPDATE SET url = EXCLUDED.url',
      [input.settlementId, url],
    );
    const secrets = await signingSecrets(db, s.bank_code);
    const refusal = webhookRefusal(url, secrets);
    if (refusal) {
      await db('webhook_deliveries').where({ settlement_id: input.settlementId }).update({ last_status: null, last_error: refusal });
      return { status: 'refused', url, error: refusal };
    }
    const files = await db('settlement_files').where({ settlement_id: input.settlementId }).orderBy('format', 'desc').select('format', 'sha256', 'content');
    const lineCount = await db('settlement_lines').where({ settlement_id: input.settlementId }).count<{ n: string }[]>({ n: '*' });
    const payload: WebhookPayload = {
      event: WEBHOOK_EVENT,
      settlementId: s.id,
      bankCode: s.bank_code,
      businessDate: s.business_date,
      executionDate: s.execution_date,
      msgId: s.msg_id,
      paymentCount: Number(s.payment_count) - Number(s.reversal_count),
      total: s.net_total,
      lineCount: Number(lineCount[0]?.n ?? 0),
      files: files.map((f) => ({
        format: f.format,
        contentType: SETTLEMENT_FILE_CONTENT_TYPES[f.format as SettlementFileFormat],
        sha256: f.sha256,
        contentBase64: (f.content as Buffer).toString('base64'),
      })),
    };

    const attempt = await postWebhook(url, input.settlementId, { 'x-spc-settlement-id': input.settlementId }, payload, secrets);
    const row = await recordWebhookAttempt(db, 'settlement', input.settlementId, attempt);
    if (attempt.error !== null) {
      deps.metrics.webhookFailures.inc({ bank: s.bank_code, kind: 'settlement' });
      throw new WebhookDeliveryError(url, row.attempts, attempt.status, attempt.error);
    }
    return { status: 'delivered', url, attempts: row.attempts, deliveredAt: isoSeconds(row.deliveredAt) };
  }

  return { deliverSettlementWebhook };
}
