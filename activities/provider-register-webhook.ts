// Pushes one provider's daily register to the provider's webhook (provider_webhooks.url), when it has
// one: the banks' settlement webhook (activities/settlement-webhook.ts) for the other end of the
// payment list. One attempt per activity run, recorded in provider_register_deliveries and thrown
// when it failed, so the activity's retry policy (durable timers, backoff bounded by its maximum
// interval) tries again; every attempt carries the register id as Idempotency-Key. Signed with the
// provider's secrets and refused like a bank's push (activities/webhook-post.ts): a refusal is
// recorded and not retried. The files travel as the stored bytes, base64: byte-identical to what
// GET /v1/provider/registers/:id/register.csv|camt054.xml answers, with the same SHA-256.
import type { ActivityDeps } from './deps';
import { isoSeconds } from './settlement-support';
import { postWebhook, webhookRefusal } from './webhook-post';
import { recordWebhookAttempt } from './webhook-attempt-record';
import { WebhookDeliveryError } from './settlement-webhook';
import { providerSigningSecrets, providerWebhookUrl } from '../db/provider-webhooks';
import { PROVIDER_REGISTER_CONTENT_TYPES, type ProviderRegisterFormat } from '../domain/provider-register';
import { formatAmount, fromDb } from '../domain/money';

export const PROVIDER_REGISTER_EVENT = 'provider.register';

export interface ProviderRegisterPayload {
  event: typeof PROVIDER_REGISTER_EVENT;
  registerId: string;
  providerId: string;
  businessDate: string;
  version: number;
  lineCount: number;
  total: string;
  files: Array<{ format: ProviderRegisterFormat; contentType: string; sha256: string; contentBase64: string }>;
}

export type ProviderRegisterDelivery =
  | { status: 'delivered'; url: string; attempts: number; deliveredAt: string }
  | { status: 'not_configured' }
  | { status: 'refused'; url: string; error: string };

export function createProviderRegisterWebhookActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function deliverProviderRegisterWebhook(input: { registerId: string }): Promise<ProviderRegisterDelivery> {
    const r = await db('provider_registers').where({ id: input.registerId }).first('id', 'provider_id', 'business_date', 'version', 'line_count', 'total');
    if (!r) throw new Error(`no provider register ${input.registerId}`);
    const done = await db('provider_register_deliveries').where({ register_id: r.id }).first('url', 'attempts', 'delivered_at');
    if (done?.delivered_at) return { status: 'delivered', url: done.url, attempts: done.attempts, deliveredAt: isoSeconds(done.delivered_at) as string };
    // The provider's current URL: one that fixes its endpoint while we retry gets the register there.
    const url = await providerWebhookUrl(db, r.provider_id);
    if (!url) return { status: 'not_configured' };
    await db.raw(
      `INSERT INTO provider_register_deliveries (register_id, provider_id, url) VALUES (?, ?, ?)
       ON CONFLICT (register_id) DO UPDATE SET url = EXCLUDED.url`,
      [r.id, r.provider_id, url],
    );
    const secrets = await providerSigningSecrets(db, r.provider_id);
    const refusal = webhookRefusal(url, secrets, 'provider');
    if (refusal) {
      await db('provider_register_deliveries').where({ register_id: r.id }).update({ last_status: null, last_error: refusal });
      return { status: 'refused', url, error: refusal };
    }
    const files = await db('provider_register_files').where({ register_id: r.id }).orderBy('format').select('format', 'sha256', 'content');
    const payload: ProviderRegisterPayload = {
      event: PROVIDER_REGISTER_EVENT, registerId: r.id, providerId: r.provider_id, businessDate: r.business_date, version: Number(r.version),
      lineCount: Number(r.line_count), total: formatAmount(fromDb(r.total)),
      files: files.map((f) => ({
        format: f.format, contentType: PROVIDER_REGISTER_CONTENT_TYPES[f.format as ProviderRegisterFormat], sha256: f.sha256, contentBase64: (f.content as Buffer).toString('base64'),
      })),
    };
    const attempt = await postWebhook(url, r.id, { 'x-spc-register-id': r.id }, payload, secrets);
    const row = await recordWebhookAttempt(db, 'provider_register', r.id, attempt);
    if (attempt.error !== null) {
      deps.metrics.webhookFailures.inc({ provider: r.provider_id, kind: 'provider_register' });
      throw new WebhookDeliveryError(url, row.attempts, attempt.status, attempt.error);
    }
    return { status: 'delivered', url, attempts: row.attempts, deliveredAt: isoSeconds(row.deliveredAt) as string };
  }

  return { deliverProviderRegisterWebhook };
}
