// Provider API keys on the real Postgres (db/provider-keys.ts, migration 20261207005001): a key is
// shown once and stored only as its SHA-256; it names one provider; revoked and expired keys resolve
// to nothing; a bank key never passes for a provider key; the application's role may read the keys
// but never issue or change one.
import { createHash } from 'node:crypto';
import { createProviderKey, ProviderKeyError, resolveProviderKey, revokeProviderKey } from '../../db/provider-keys';
import { seedReferenceData } from '../../db/seed/reference';
import { withTestDatabase } from '../support/env';

const database = withTestDatabase((d) => seedReferenceData(d.db));

async function someProviders(): Promise<[string, string]> {
  const rows = await database.db('providers').orderBy('id').limit(2).pluck('id');
  expect(rows).toHaveLength(2);
  return [rows[0], rows[1]];
}

it('stores only the hash, resolves the key to its own provider and scopes, and nothing else', async () => {
  const [first, second] = await someProviders();
  const created = await createProviderKey(database.db, first, { scopes: ['readings', 'charges'], label: 'billing system' });
  expect(created.key).toMatch(/^spcp_[A-Za-z0-9_-]{43}$/);
  expect(created.key.startsWith(created.prefix)).toBe(true);

  const stored = await database.db('provider_api_keys').where({ id: created.id }).first();
  expect(stored.key_sha256).toBe(createHash('sha256').update(created.key).digest('hex'));
  expect(JSON.stringify(stored)).not.toContain(created.key);

  expect(await resolveProviderKey(database.appDb, created.key)).toEqual({ keyId: created.id, providerId: first, scopes: ['readings', 'charges'] });
  const other = await createProviderKey(database.db, second);
  expect((await resolveProviderKey(database.appDb, other.key))?.providerId).toBe(second);
  // One character changed, a bank-style key and a made-up one resolve to nobody.
  const tampered = `${created.key.slice(0, -1)}${created.key.endsWith('A') ? 'B' : 'A'}`;
  expect(await resolveProviderKey(database.appDb, tampered)).toBeNull();
  expect(await resolveProviderKey(database.appDb, `spck_${created.key.slice(5)}`)).toBeNull();
  expect(await resolveProviderKey(database.appDb, 'spcp_short')).toBeNull();
});

it('revokes by prefix (twice is harmless) and lets an expired key resolve to nothing', async () => {
  const [first] = await someProviders();
  const created = await createProviderKey(database.db, first);
  await revokeProviderKey(database.db, created.prefix);
  const revokedAt = (await database.db('provider_api_keys').where({ id: created.id }).first('revoked_at')).revoked_at;
  expect(revokedAt).not.toBeNull();
  await revokeProviderKey(database.db, created.id);
  expect((await database.db('provider_api_keys').where({ id: created.id }).first('revoked_at')).revoked_at).toEqual(revokedAt);
  expect(await resolveProviderKey(database.appDb, created.key)).toBeNull();

  const expiring = await createProviderKey(database.db, first, { expiresAt: new Date(Date.now() + 60_000) });
  expect(await resolveProviderKey(database.appDb, expiring.key)).not.toBeNull();
  await database.db('provider_api_keys').where({ id: expiring.id }).update({ expires_at: database.db.raw("now() - interval '1 second'") });
  expect(await resolveProviderKey(database.appDb, expiring.key)).toBeNull();
});

it('refuses an unknown provider, no scope, a past expiry, and writes nothing', async () => {
  const [first] = await someProviders();
  const before = await database.db('provider_api_keys').count<{ count: string }[]>('* as count');
  await expect(createProviderKey(database.db, 'NO_SUCH_PROVIDER')).rejects.toThrow(ProviderKeyError);
  await expect(createProviderKey(database.db, first, { scopes: [] })).rejects.toThrow(ProviderKeyError);
  await expect(createProviderKey(database.db, first, { expiresAt: new Date(Date.now() - 1000) })).rejects.toThrow(ProviderKeyError);
  expect(await database.db('provider_api_keys').count<{ count: string }[]>('* as count')).toEqual(before);
});

it('lets the application role read provider keys but never issue or change one', async () => {
  const [first] = await someProviders();
  await expect(createProviderKey(database.appDb, first)).rejects.toThrow(/permission denied/);
  const created = await createProviderKey(database.db, first);
  await expect(database.appDb('provider_api_keys').where({ id: created.id }).update({ revoked_at: null, provider_id: first }))
    .rejects.toThrow(/permission denied/);
});
