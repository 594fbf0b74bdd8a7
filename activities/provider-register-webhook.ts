// Pushes one provider's daily register to the provider's webhook (provider_webhooks.url), when it has
// one: the banks' settlement webhook (activities/settlement-webhook.ts) for the other end of the
// payment list. One attempt per activity run, recorded in provider_register_deliveries and thrown
// when it failed, so the activity's retry policy (durable timers, backoff bounded by its maximum
// interval) tries again; every attempt carries the register id as Idempotency-Key. Signed with the
// provider's secrets and refused like a bank's push (activities/webhook-post.ts): a refusal is
// recorded and not retried. The files travel as the stored bytes, base64: byte-identical to what
// GET /v1/provider/registers/:id/register.csv|camt054.xml answers, with the same SHA-256. A register
// whose body would pass PROVIDER_PUSH_BODY_BYTES_MAX goes as a signed provider.register_notice instead
// (reason REGISTER_TOO_LARGE): each file's name, type, size, SHA-256 and pull URL, no contents.
import type { ActivityDeps } from './deps';
import { isoSeconds } from './settlement-support';
import { postWebhook, webhookRefusal } from './webhook-post';
import { recordWebhookAttempt } from './webhook-attempt-record';
import { WebhookDeliveryError } from './settlement-webhook';
import { providerSigningSecrets, providerWebhookUrl } from '../db/provider-webhooks';
import { PROVIDER_REGISTER_CONTENT_TYPES, type ProviderRegisterFormat } from '../domain/provider-register';
import { formatAmount, fromDb } from '../domain/money';
import {
  PROVIDER_REGISTER_FILE_NAMES, PROVIDER_REGISTER_NOTICE_EVENT, REGISTER_TOO_LARGE, pushBodyBytes, registerFilePath, registerPushMode,
} from '../domain/provider-register-push';
import { providerPushConfigFromEnv, type ProviderPushConfig } from '../infra/config';

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

export interface ProviderRegisterNoticeFile { format: ProviderRegisterFormat; name: string; contentType: string; bytes: number; sha256: string; path: string; url: string }

/** Pushed instead of the files when the body with them would pass PROVIDER_PUSH_BODY_BYTES_MAX (domain/provider-register-push.ts). */
export interface ProviderRegisterNoticePayload {
  event: typeof PROVIDER_REGISTER_NOTICE_EVENT;
  reason: typeof REGISTER_TOO_LARGE;
  registerId: string;
  providerId: string;
  businessDate: string;
  version: number;
  lineCount: number;
  total: string;
  /** The bytes the body with the files would have had, and the bound it passed. */
  bodyBytes: number;
  bodyBytesMax: number;
  files: ProviderRegisterNoticeFile[];
}

interface RegisterRow { id: string; provider_id: string; business_date: string; version: number | string; line_count: number | string; total: string }
interface FileInfo { format: ProviderRegisterFormat; sha256: string; bytes: number }

/** The push's body: the files inline when they fit the bound, else the notice. Reads the contents only to inline them. */
async function registerPushPayload(db: ActivityDeps['db'], r: RegisterRow, push: ProviderPushConfig): Promise<ProviderRegisterPayload | ProviderRegisterNoticePayload> {
  const files = (await db('provider_register_files').where({ register_id: r.id }).orderBy('format')
    .select('format', 'sha256', db.raw('octet_length(content)::bigint AS bytes'))).map((f): FileInfo => ({ format: f.format, sha256: f.sha256, bytes: Number(f.bytes) }));
  const head = {
    registerId: r.id, providerId: r.provider_id, businessDate: r.business_date, version: Number(r.version), lineCount: Number(r.line_count), total: formatAmount(fromDb(r.total)),
  };
  const envelope: ProviderRegisterPayload = {
    event: PROVIDER_REGISTER_EVENT, ...head,
    files: files.map((f) => ({ format: f.format, contentType: PROVIDER_REGISTER_CONTENT_TYPES[f.format], sha256: f.sha256, contentBase64: '' })),
  };
  const bodyBytes = pushBodyBytes(Buffer.byteLength(JSON.stringify(envelope)), files.map((f) => f.bytes));
  if (registerPushMode(bodyBytes, push.bodyBytesMax) === 'notice') {
    return {
      event: PROVIDER_REGISTER_NOTICE_EVENT, reason: REGISTER_TOO_LARGE, ...head, bodyBytes, bodyBytesMax: push.bodyBytesMax,
      files: files.map((f) => {
        const filePath = registerFilePath(r.id, f.format);
        return { format: f.format, name: PROVIDER_REGISTER_FILE_NAMES[f.format], contentType: PROVIDER_REGISTER_CONTENT_TYPES[f.format], bytes: f.bytes, sha256: f.sha256, path: filePath, url: `${push.publicUrl}${filePath}` };
      }),
    };
  }
  const contents = await db('provider_register_files').where({ register_id: r.id }).orderBy('format').select('format', 'content');
  for (const f of envelope.files) {
    const content = contents.find((c) => c.format === f.format)?.content as Buffer | undefined;
    if (!content) throw new Error(`invariant: the ${f.format} file of register ${r.id} vanished while its push was built`);
    f.contentBase64 = content.toString('base64');
  }
  // The decision above rests on this figure: a body larger than predicted could pass the bound unseen.
  const built = Buffer.byteLength(JSON.stringify(envelope));
  if (built !== bodyBytes) throw new Error(`invariant: the push body of register ${r.id} is ${built} bytes, ${bodyBytes} were predicted`);
  return envelope;
}

export function createProviderRegisterWebhookActivities(deps: ActivityDeps, push: ProviderPushConfig = providerPushConfigFromEnv()) {
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
    const payload = await registerPushPayload(db, r as RegisterRow, push);
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
