// A provider's webhook (issue 19): where its daily register is pushed (provider_webhooks.url) and the
// secrets the pushes are signed with (provider_webhook_secrets), by the same rules as a bank's
// (db/webhook-secrets.ts: one URL rule, one signature, one rotation with a grace period). Set by
// `spc provider webhook set` or by the provider itself (PUT /v1/provider/webhook). A secret is
// returned once, to whoever set the first URL or rotated.
import type { Db } from './connection';
import { WEBHOOK_SECRET_GRACE_MS, WebhookSettingError, checkedWebhookUrl, hasCurrentSecret, ownerSigningSecrets, rotateOwnerSecret } from './webhook-secrets';

export interface ProviderWebhook {
  providerId: string;
  url: string | null;
  updatedAt: string | null;
  /** Secrets signing now (the current one and any in its grace period); never the secrets themselves. */
  signingSecrets: number;
}

async function assertProvider(db: Db, providerId: string): Promise<void> {
  if (!(await db('providers').where({ id: providerId }).first('id'))) {
    throw new WebhookSettingError(`provider ${JSON.stringify(providerId)} is not registered at the SPC`, 'PROVIDER_NOT_FOUND');
  }
}

const owner = (providerId: string) => ({ kind: 'provider' as const, id: providerId });

/** The secrets a push to the provider is signed with now (current first). */
export function providerSigningSecrets(db: Db, providerId: string): Promise<string[]> {
  return ownerSigningSecrets(db, owner(providerId));
}

/** The provider's webhook URL, or null when it has none (it pulls its registers). */
export async function providerWebhookUrl(db: Db, providerId: string): Promise<string | null> {
  const row = await db('provider_webhooks').where({ provider_id: providerId }).first('url');
  return (row?.url as string | null | undefined) ?? null;
}

export async function describeProviderWebhook(db: Db, providerId: string): Promise<ProviderWebhook> {
  await assertProvider(db, providerId);
  const row = await db('provider_webhooks').where({ provider_id: providerId }).first('url', 'updated_at');
  return {
    providerId, url: row?.url ?? null, updatedAt: row?.updated_at ? (row.updated_at as Date).toISOString() : null,
    signingSecrets: (await providerSigningSecrets(db, providerId)).length,
  };
}

/** A new current secret (returned once); the previous one signs beside it for `graceMs`. */
export async function rotateProviderWebhookSecret(db: Db, providerId: string, graceMs = WEBHOOK_SECRET_GRACE_MS): Promise<string> {
  await assertProvider(db, providerId);
  return rotateOwnerSecret(db, owner(providerId), graceMs);
}

/** Sets (or with null clears) the URL, checked and normalised; a provider without a current secret gets one (`secret`, returned once). */
export async function setProviderWebhook(db: Db, providerId: string, url: string | null): Promise<{ url: string | null; secret?: string }> {
  await assertProvider(db, providerId);
  const normalised = url === null ? null : checkedWebhookUrl(url);
  await db.raw(
    `INSERT INTO provider_webhooks (provider_id, url) VALUES (?, ?)
     ON CONFLICT (provider_id) DO UPDATE SET url = EXCLUDED.url, updated_at = now()`,
    [providerId, normalised],
  );
  if (normalised === null || (await hasCurrentSecret(db, owner(providerId)))) return { url: normalised };
  return { url: normalised, secret: await rotateProviderWebhookSecret(db, providerId) };
}
