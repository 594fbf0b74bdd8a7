// A bank's webhook: its URL (banks.webhook_url) and the shared secret its pushes are signed with
// (bank_webhook_secrets; signing in domain/webhook-signature.ts, where a URL may point in
// domain/webhook-url.ts). The receiver needs the secret itself to check a signature, so it is
// stored as it is, not hashed: in a table of its own that the
// application's role may only read (db/app-role.ts), never in a workflow's input or history, never
// in a log. It is shown once, by the CLI that creates it. Rotation: a new secret signs from now on,
// the previous one keeps signing beside it for WEBHOOK_SECRET_GRACE_MS, so the bank switches its
// verifier without losing a push.
import { randomBytes } from 'node:crypto';
import type { Db } from './connection';
import { webhookUrlRefusal, type WebhookUrlRefusalCode } from '../domain/webhook-url';

export const WEBHOOK_SECRET_PREFIX = 'spcwh_';
export const WEBHOOK_SECRET_BYTES = 32;
/** After a rotation the previous secret signs too, this long. */
export const WEBHOOK_SECRET_GRACE_MS = 24 * 60 * 60_000;

/** Thrown when a webhook URL breaks the rule of domain/webhook-url.ts, or the bank (provider) is unknown. */
export class WebhookSettingError extends Error {
  override name = 'WebhookSettingError';
  constructor(message: string, readonly code: WebhookUrlRefusalCode | 'BANK_NOT_FOUND' | 'PROVIDER_NOT_FOUND') {
    super(message);
  }
}

function generateSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(WEBHOOK_SECRET_BYTES).toString('base64url')}`;
}

async function assertBank(db: Db, bankCode: string): Promise<void> {
  if (!(await db('banks').where({ code: bankCode }).first('code'))) throw new WebhookSettingError(`bank ${JSON.stringify(bankCode)} is not registered at the SPC: see \`spc bank list\``, 'BANK_NOT_FOUND');
}

/** Whose secrets: a bank's (bank_webhook_secrets) or a provider's (provider_webhook_secrets, db/provider-webhooks.ts). */
export type WebhookSecretOwner = { kind: 'bank'; id: string } | { kind: 'provider'; id: string };
const SECRET_TABLES = {
  bank: { table: 'bank_webhook_secrets', column: 'bank_code' },
  provider: { table: 'provider_webhook_secrets', column: 'provider_id' },
} as const;

/** The secrets a push is signed with now: the current one first, then any still in their grace period. */
export async function ownerSigningSecrets(db: Db, owner: WebhookSecretOwner): Promise<string[]> {
  const { table, column } = SECRET_TABLES[owner.kind];
  const rows = await db(table)
    .where({ [column]: owner.id })
    .andWhere((q) => q.whereNull('retired_at').orWhere('retired_at', '>', db.fn.now()))
    .orderByRaw('retired_at IS NOT NULL, id DESC')
    .select('secret');
  return rows.map((r) => r.secret as string);
}

/** A new current secret (returned once); the previous one signs beside it for `graceMs`. The owner is checked by the caller. */
export async function rotateOwnerSecret(db: Db, owner: WebhookSecretOwner, graceMs = WEBHOOK_SECRET_GRACE_MS): Promise<string> {
  const { table, column } = SECRET_TABLES[owner.kind];
  const secret = generateSecret();
  await db.transaction(async (trx) => {
    await trx(table)
      .where({ [column]: owner.id })
      .whereNull('retired_at')
      .update({ retired_at: trx.raw('now() + ?::interval', [`${Math.max(0, Math.floor(graceMs / 1000))} seconds`]) });
    await trx(table).insert({ [column]: owner.id, secret });
  });
  return secret;
}

/** True when the owner has a current (not retired) secret. */
export async function hasCurrentSecret(db: Db, owner: WebhookSecretOwner): Promise<boolean> {
  const { table, column } = SECRET_TABLES[owner.kind];
  return Boolean(await db(table).where({ [column]: owner.id }).whereNull('retired_at').first('id'));
}

/** The bank's signing secrets now (ownerSigningSecrets). */
export async function signingSecrets(db: Db, bankCode: string): Promise<string[]> {
  return ownerSigningSecrets(db, { kind: 'bank', id: bankCode });
}

/** A new current secret for the bank (returned once); the previous one signs beside it for `graceMs`. */
export async function rotateWebhookSecret(db: Db, bankCode: string, graceMs = WEBHOOK_SECRET_GRACE_MS): Promise<string> {
  await assertBank(db, bankCode);
  return rotateOwnerSecret(db, { kind: 'bank', id: bankCode }, graceMs);
}

/** The URL as stored (normalised), or WebhookSettingError when domain/webhook-url.ts refuses it. */
export function checkedWebhookUrl(url: string): string {
  const refusal = webhookUrlRefusal(url);
  if (refusal) throw new WebhookSettingError(`webhook URL refused (${refusal.code}): ${refusal.reason}`, refusal.code);
  return new URL(url).href;
}

/**
 * Sets (or with null clears) the bank's webhook URL. The URL is checked and stored normalised; a
 * bank without a current secret gets one, returned once (`secret`), since no push goes unsigned.
 */
export async function setBankWebhook(db: Db, bankCode: string, url: string | null): Promise<{ url: string | null; secret?: string }> {
  await assertBank(db, bankCode);
  if (url === null) {
    await db('banks').where({ code: bankCode }).update({ webhook_url: null });
    return { url: null };
  }
  const normalised = checkedWebhookUrl(url);
  await db('banks').where({ code: bankCode }).update({ webhook_url: normalised });
  return (await hasCurrentSecret(db, { kind: 'bank', id: bankCode })) ? { url: normalised } : { url: normalised, secret: await rotateWebhookSecret(db, bankCode) };
}
