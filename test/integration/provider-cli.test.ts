// `spc provider key create|list|revoke` run as the real CLI against real Postgres: the key is
// printed once and resolves to its provider and scopes; the list never shows a secret; revoking
// by prefix stops the key; every create and revoke (also the refused ones) is in operator_audit;
// bad input exits non-zero with a message and writes nothing.
import { resolveProviderKey } from '../../db/provider-keys';
import { seedReferenceData } from '../../db/seed/reference';
import { createTestDatabase, type TestDatabase } from '../support/env';
import { asOperator } from '../support/operators';
import { runSpc } from './audit-helpers';

jest.setTimeout(300_000);

let database: TestDatabase;
let env: Record<string, string | undefined>;
/** The environments of two authenticated operators. */
let aigerim: Record<string, string | undefined>;
let daniyar: Record<string, string | undefined>;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedReferenceData(database.db);
  env = { DATABASE_URL: database.url, SPC_OPERATOR: undefined };
  aigerim = { ...env, ...(await asOperator(database.db, 'aigerim')) };
  daniyar = { ...env, ...(await asOperator(database.db, 'daniyar')) };
});

afterAll(async () => {
  await database?.drop();
});

const audit = () => database.db('operator_audit').where('action', 'like', 'provider.%').orderBy('id').select('operator', 'action', 'args', 'outcome');

it('creates a key shown once, lists it without the secret, revokes it by prefix, and audits each step', async () => {
  const created = await runSpc(['provider', 'key', 'create', '--provider', 'ALMATY_SU', '--scopes', 'readings,charges', '--expires-days', '30', '--label', 'billing', '--operator', 'aigerim'], aigerim);
  expect(created.code).toBe(0);
  const key = created.stdout.trim();
  expect(key).toMatch(/^spcp_[A-Za-z0-9_-]{43}$/);
  expect(created.stderr).toMatch(/^created key \d+ \(prefix spcp_\S{8}\) for provider ALMATY_SU, scopes readings,charges, expires \S+; it is shown once/);
  const identity = await resolveProviderKey(database.appDb, key);
  expect(identity).toMatchObject({ providerId: 'ALMATY_SU', scopes: ['readings', 'charges'] });

  const listed = await runSpc(['provider', 'key', 'list', '--provider', 'ALMATY_SU', '--json'], env);
  expect(listed.code).toBe(0);
  expect(listed.stdout).not.toContain(key);
  const rows = JSON.parse(listed.stdout);
  expect(rows).toEqual([expect.objectContaining({ id: identity?.keyId, providerId: 'ALMATY_SU', prefix: key.slice(0, 13), scopes: 'readings,charges', label: 'billing', revokedAt: null })]);
  const expiresInDays = (Date.parse(rows[0].expiresAt) - Date.now()) / 86_400_000;
  expect(expiresInDays).toBeGreaterThan(29.9);
  expect(expiresInDays).toBeLessThanOrEqual(30);
  expect(JSON.parse((await runSpc(['provider', 'key', 'list', '--provider', 'ALTS', '--json'], env)).stdout)).toEqual([]);

  const revoked = await runSpc(['provider', 'key', 'revoke', key.slice(0, 13), '--operator', 'daniyar'], daniyar);
  expect({ code: revoked.code, stdout: revoked.stdout }).toEqual({ code: 0, stdout: `revoked key ${identity?.keyId} of ALMATY_SU\n` });
  expect(await resolveProviderKey(database.appDb, key)).toBeNull();
  expect(JSON.parse((await runSpc(['provider', 'key', 'list', '--json'], env)).stdout)[0].revokedAt).not.toBeNull();

  const trail = await audit();
  expect(trail.map((r) => [r.operator, r.action, r.outcome])).toEqual([['aigerim', 'provider.key.create', 'ok'], ['daniyar', 'provider.key.revoke', 'ok']]);
  expect(JSON.stringify(trail)).not.toContain(key);
  expect(trail[0].args).toMatchObject({ provider: 'ALMATY_SU', keyId: identity?.keyId, scopes: ['readings', 'charges'] });
});

it('refuses bad input with a message and a non-zero exit, writing no key', async () => {
  const keysBefore = await database.db('provider_api_keys').count<{ count: string }[]>('* as count');
  const noOperator = await runSpc(['provider', 'key', 'create', '--provider', 'ALMATY_SU'], env);
  expect(noOperator.code).toBe(1);
  expect(noOperator.stderr).toMatch(/^spc: OPERATOR_UNAUTHENTICATED: provider key create is an operator action/);
  // A flag names nobody: it must be the token's operator.
  const someoneElse = await runSpc(['provider', 'key', 'create', '--provider', 'ALMATY_SU', '--operator', 'daniyar'], aigerim);
  expect(someoneElse).toMatchObject({ code: 1, stderr: expect.stringMatching(/^spc: OPERATOR_MISMATCH: --operator daniyar is not you/) });

  const badScope = await runSpc(['provider', 'key', 'create', '--provider', 'ALMATY_SU', '--scopes', 'readings,payments', '--operator', 'aigerim'], aigerim);
  expect(badScope.code).toBe(1);
  expect(badScope.stderr).toMatch(/^spc: --scopes readings,payments: give one or more of readings, charges, registers, transfers/);

  const badDays = await runSpc(['provider', 'key', 'create', '--provider', 'ALMATY_SU', '--expires-days', '0', '--operator', 'aigerim'], aigerim);
  expect(badDays.code).toBe(1);
  expect(badDays.stderr).toMatch(/^spc: --expires-days 0: give a whole number of days/);

  const auditBefore = (await audit()).length;
  const unknown = await runSpc(['provider', 'key', 'create', '--provider', 'NO_SUCH', '--operator', 'aigerim'], aigerim);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toBe('spc: provider "NO_SUCH" is not registered at the SPC\n');
  const noKey = await runSpc(['provider', 'key', 'revoke', 'spcp_nothing1', '--operator', 'aigerim'], aigerim);
  expect(noKey.code).toBe(1);
  expect(noKey.stderr).toMatch(/^spc: 0 provider keys match "spcp_nothing1"/);

  expect(await database.db('provider_api_keys').count<{ count: string }[]>('* as count')).toEqual(keysBefore);
  const refused = (await audit()).slice(auditBefore);
  expect(refused.map((r) => [r.action, r.outcome])).toEqual([
    ['provider.key.create', 'refused: provider "NO_SUCH" is not registered at the SPC'],
    ['provider.key.revoke', 'refused: no such key'],
  ]);
});
