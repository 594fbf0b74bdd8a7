// Provider API keys as operators list them (`spc provider key list`): prefix, scopes, label and
// the key's life; never the hash, and the secret is never stored at all (db/provider-keys.ts).
import type { Knex } from 'knex';

/** A provider has a handful of keys; the cap keeps a listing bounded all the same. */
export const PROVIDER_KEYS_LISTED_MAX = 1000;

export interface ProviderKeyListing {
  id: string;
  providerId: string;
  prefix: string;
  scopes: string;
  label: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export async function listProviderKeys(db: Knex, providerId?: string): Promise<ProviderKeyListing[]> {
  const query = db('provider_api_keys')
    .orderBy('id')
    .limit(PROVIDER_KEYS_LISTED_MAX)
    .select('id', 'provider_id', 'key_prefix', 'scopes', 'label', 'created_at', 'expires_at', 'revoked_at');
  if (providerId) query.where({ provider_id: providerId });
  const rows = await query;
  return rows.map((r) => ({
    id: String(r.id), providerId: r.provider_id, prefix: r.key_prefix, scopes: (r.scopes as string[]).join(','),
    label: r.label, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at,
  }));
}
