// Provider API keys (issue 18 item 1, issue 19): like bank keys (db/bank-keys.ts) — a random 32-byte
// secret shown once, stored only as its SHA-256, a short clear prefix to list and revoke by —
// but a scheme of their own (spcp_), so that neither kind of key can pass for the other, and
// scopes of their own. Issued and revoked by operators (the CLI, as the database owner).
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './connection';

export const PROVIDER_KEY_SCHEME = 'spcp_';
const PROVIDER_KEY_RE = /^spcp_[A-Za-z0-9_-]{43}$/;
const PROVIDER_KEY_PREFIX_CHARS = PROVIDER_KEY_SCHEME.length + 8;
const LABEL_CHARS_MAX = 100;

/** The migration's CHECK lists the same scopes (20261207005001_provider_intake). */
export const PROVIDER_SCOPES = {
  readings: "download the period's readings of the provider's metered services",
  charges: 'upload charges and follow the uploads',
  registers: 'download daily payment registers',
  transfers: 'report the transfers received',
} as const;
export type ProviderScope = keyof typeof PROVIDER_SCOPES;
export const ALL_PROVIDER_SCOPES = Object.keys(PROVIDER_SCOPES) as ProviderScope[];

export function looksLikeProviderKey(key: string): boolean {
  return PROVIDER_KEY_RE.test(key);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface CreatedProviderKey {
  id: string;
  providerId: string;
  prefix: string;
  scopes: ProviderScope[];
  expiresAt: Date | null;
  /** The secret: shown once, never stored. */
  key: string;
}

export class ProviderKeyError extends Error {
  override name = 'ProviderKeyError';
}

export async function createProviderKey(
  db: Db, providerId: string, opts: { scopes?: ProviderScope[]; expiresAt?: Date; label?: string } = {},
): Promise<CreatedProviderKey> {
  const scopes = [...(opts.scopes ?? ALL_PROVIDER_SCOPES)];
  if (scopes.length === 0) throw new ProviderKeyError('a key needs at least one scope');
  if (opts.expiresAt && !(opts.expiresAt.getTime() > Date.now())) throw new ProviderKeyError('the expiry is not in the future');
  const provider = await db('providers').where({ id: providerId }).first('id');
  if (!provider) throw new ProviderKeyError(`provider ${JSON.stringify(providerId)} is not registered at the SPC`);
  const key = `${PROVIDER_KEY_SCHEME}${randomBytes(32).toString('base64url')}`;
  const prefix = key.slice(0, PROVIDER_KEY_PREFIX_CHARS);
  const [row] = await db('provider_api_keys')
    .insert({
      provider_id: providerId, key_prefix: prefix, key_sha256: sha256Hex(key), scopes,
      label: opts.label?.trim().slice(0, LABEL_CHARS_MAX) || null, expires_at: opts.expiresAt ?? null,
    })
    .returning(['id']);
  return { id: String(row.id), providerId, prefix, scopes, expiresAt: opts.expiresAt ?? null, key };
}

/** Revokes by id or prefix; revoking twice keeps the first time. */
export async function revokeProviderKey(db: Db, selector: string): Promise<{ id: string; providerId: string }> {
  const byId = /^\d{1,18}$/.test(selector);
  const rows = await db('provider_api_keys').where(byId ? { id: selector } : { key_prefix: selector }).select('id', 'provider_id');
  if (rows.length !== 1) throw new ProviderKeyError(`${rows.length} provider keys match ${JSON.stringify(selector)}: give the id`);
  await db('provider_api_keys').where({ id: rows[0].id }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
  return { id: String(rows[0].id), providerId: rows[0].provider_id };
}

export interface ProviderKeyIdentity {
  keyId: string;
  providerId: string;
  scopes: ProviderScope[];
}

/** The provider a presented key belongs to, or null when it is unknown, revoked or expired. */
export async function resolveProviderKey(db: Db, key: string): Promise<ProviderKeyIdentity | null> {
  if (!looksLikeProviderKey(key)) return null;
  const row = await db('provider_api_keys')
    .where({ key_sha256: sha256Hex(key) })
    .whereNull('revoked_at')
    .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', db.fn.now()))
    .first('id', 'provider_id', 'scopes');
  return row ? { keyId: String(row.id), providerId: row.provider_id, scopes: row.scopes as ProviderScope[] } : null;
}
