// Access on the real Postgres: what the application's role (spc_app, db/app-role.ts) may and may
// not do, the session bounds of its pool, the webhook URL rule as the database enforces it, the
// webhook secrets' rotation, and the access migration's promise that keys issued before it keep
// every scope.
import { randomBytes } from 'node:crypto';
import { createDb, dropDatabase, ensureDatabase, withDatabase } from '../../db/connection';
import { migrationSource } from '../../db/migrations';
import { WebhookSettingError, rotateWebhookSecret, setBankWebhook, signingSecrets } from '../../db/webhook-secrets';
import { ALL_API_SCOPES } from '../../domain/api-scopes';
import { createWorld } from '../support/fixtures';
import { createTestDatabase, testAdminDbUrl, type TestDatabase } from '../support/env';
import { asOperator } from '../support/operators';
import { runSpc } from './audit-helpers';
import { OwnerSessionRefused, refuseOwnerSessions } from '../../db/app-role';

jest.setTimeout(300_000);

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await createWorld(database.db);
});

afterAll(async () => {
  await database?.drop();
});

describe('the application role', () => {
  it('connects as spc_app, owns nothing, and has the session bounds', async () => {
    const who = await database.appDb.raw("SELECT current_user AS user, current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle");
    expect(who.rows[0]).toEqual({ user: 'spc_app', statement: '1min', idle: '1min' });
    const owned = await database.db.raw("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tableowner = 'spc_app'");
    expect(owned.rows[0].n).toBe(0);
  });

  it('cannot truncate the ledger, disable its triggers or switch them off for its session', async () => {
    const app = database.appDb;
    await expect(app.raw('TRUNCATE ledger_postings')).rejects.toThrow(/permission denied/);
    await expect(app.raw('TRUNCATE payments CASCADE')).rejects.toThrow(/permission denied/);
    await expect(app.raw('ALTER TABLE ledger_postings DISABLE TRIGGER ALL')).rejects.toThrow(/must be owner/);
    await expect(app.raw('ALTER TABLE ledger_transactions DISABLE TRIGGER ledger_transactions_append_only')).rejects.toThrow(/must be owner/);
    await expect(app.raw('SET session_replication_role = replica')).rejects.toThrow(/permission denied/);
    await expect(app.raw('DROP TABLE ledger_postings')).rejects.toThrow(/must be owner/);
  });

  it('appends to the ledger and the audit trails but cannot rewrite them, and only reads keys and webhook secrets', async () => {
    const app = database.appDb;
    await expect(app.raw('UPDATE ledger_postings SET debit = debit')).rejects.toThrow(/permission denied/);
    await expect(app.raw('DELETE FROM ledger_transactions')).rejects.toThrow(/permission denied/);
    await app('operator_audit').insert({ operator: 'access-test', action: 'test', args: '{}' });
    await expect(app.raw("UPDATE operator_audit SET outcome = 'rewritten'")).rejects.toThrow(/permission denied/);
    await expect(app.raw('DELETE FROM operator_audit')).rejects.toThrow(/permission denied/);
    await expect(app('bank_api_keys').insert({ bank_code: 'HSBK', key_prefix: 'spck_x', key_sha256: '0'.repeat(64), scopes: ['pay'] })).rejects.toThrow(/permission denied/);
    await expect(app.raw("UPDATE bank_webhook_secrets SET secret = secret")).rejects.toThrow(/permission denied/);
    // Operator accounts and tokens are the owner's (spc operator …): the application only reads them to authenticate.
    await expect(app('operators').insert({ id: 'mallory', display_name: 'Mallory', role: 'admin' })).rejects.toThrow(/permission denied/);
    await expect(app.raw("UPDATE operators SET role = 'admin'")).rejects.toThrow(/permission denied/);
    await expect(app('operator_tokens').insert({ operator_id: 'x', token_prefix: 'spco_x', token_sha256: '0'.repeat(64), expires_at: new Date(Date.now() + 60_000) })).rejects.toThrow(/permission denied/);
    await expect(app.raw('UPDATE operator_tokens SET revoked_at = NULL')).rejects.toThrow(/permission denied/);
    await expect(app('operator_tokens').count()).resolves.toBeDefined();
    await expect(app('knex_migrations').insert({ name: 'x', batch: 1, migration_time: new Date() })).rejects.toThrow(/permission denied/);
    // What the application does do: read master data and write its own rows.
    expect((await app('banks').count({ n: '*' }).first())?.n).toBe('5');
    await app('bank_days').insert({ bank_code: 'HSBK', business_date: '2026-01-05' });
    await app('bank_days').where({ bank_code: 'HSBK', business_date: '2026-01-05' }).update({ closed_at: new Date() });
  });
});

describe('who gets paid is not the application\'s to change (issue 16, item 7)', () => {
  const roles = () => [['spc_app', database.appDb], ['spc_api', database.apiDb], ['spc_worker', database.workerDb]] as const;

  it('gives the API and the worker roles of their own, owning nothing', async () => {
    expect((await database.apiDb.raw('SELECT current_user AS u')).rows[0].u).toBe('spc_api');
    expect((await database.workerDb.raw('SELECT current_user AS u')).rows[0].u).toBe('spc_worker');
    for (const [name, db] of roles()) expect([name, await refuseOwnerSessions(db, name, false)]).toEqual([name, undefined]);
  });

  it('refuses every application role a write to master data: IBANs, BICs, settlement accounts, webhook URLs, services, the calendar', async () => {
    const { id: PROVIDER, iban } = (await database.db('providers').orderBy('id').first('id', 'iban')) as { id: string; iban: string };
    for (const [name, db] of roles()) {
      const attempts: Array<[string, () => Promise<unknown>]> = [
        ['provider IBAN', () => db.raw("UPDATE providers SET iban = 'KZ000000000000000000' WHERE id = ?", [PROVIDER])],
        ['provider BIC', () => db.raw("UPDATE providers SET bic = bic WHERE id = ?", [PROVIDER])],
        ['new provider', () => db('providers').insert({ id: 'EVIL', name: 'x', bin: '000000000000', iban, bic: 'HSBKKZKX', knp: '856', kbe: '17' })],
        ['settlement IBAN', () => db.raw("UPDATE banks SET settlement_iban = settlement_iban WHERE code = 'HSBK'")],
        ['webhook URL', () => db.raw("UPDATE banks SET webhook_url = 'https://evil.example/' WHERE code = 'HSBK'")],
        ['service provider', () => db.raw("UPDATE services SET provider_id = provider_id")],
        ['calendar', () => db('calendar_days').insert({ day: '2099-01-01', kind: 'workday', name: 'x' })],
        ['a key', () => db.raw('UPDATE bank_api_keys SET revoked_at = NULL')],
        ['a webhook secret', () => db('bank_webhook_secrets').insert({ bank_code: 'HSBK', secret: `spcwh_${'a'.repeat(43)}` })],
      ];
      for (const [what, attempt] of attempts) await expect(attempt().then(() => `${name} changed ${what}`)).rejects.toThrow(/permission denied/);
    }
    expect((await database.db('providers').where({ id: PROVIDER }).first('iban')).iban).toBe(iban);
    // The owner (the CLI) still can: the operators' path, audited by cli/operator-action.ts.
    await database.db.raw("UPDATE banks SET cutoff_local = cutoff_local WHERE code = 'HSBK'");
  });

  it('gives the API no UPDATE at all and only its appends, and the worker what the activities write', async () => {
    await expect(database.apiDb.raw("UPDATE payments SET status = 'cancelled'")).rejects.toThrow(/permission denied/);
    await expect(database.apiDb.raw("UPDATE registers SET status = 'done'")).rejects.toThrow(/permission denied/);
    await expect(database.apiDb.raw("UPDATE settlements SET status = 'settled'")).rejects.toThrow(/permission denied/);
    await expect(database.apiDb('bank_days').insert({ bank_code: 'HSBK', business_date: '2026-02-02' })).rejects.toThrow(/permission denied/);
    // /ops records what a signed-in operator does (migration 20261208010001): the API appends to the trail, never rewrites it.
    await expect(database.apiDb.raw("UPDATE operator_audit SET outcome = 'x'")).rejects.toThrow(/permission denied/);
    await expect(database.apiDb.raw('DELETE FROM register_rows')).rejects.toThrow(/permission denied/);
    await expect(database.workerDb.raw("UPDATE ledger_postings SET debit = debit")).rejects.toThrow(/permission denied/);
    await expect(database.workerDb('api_key_actions').insert({ key_id: 1, bank_code: 'HSBK', action: 'payment.submit', subject: 'x', outcome: 'ok' })).rejects.toThrow(/permission denied/);
    await expect(database.workerDb.raw('TRUNCATE payments CASCADE')).rejects.toThrow(/permission denied/);
    await database.workerDb('bank_days').insert({ bank_code: 'HSBK', business_date: '2026-02-02' });
    await database.workerDb('bank_days').where({ bank_code: 'HSBK', business_date: '2026-02-02' }).update({ closed_at: new Date() });
  });

  it('keeps an issued payment list as it was issued: no role updates, deletes or truncates it, the owner neither', async () => {
    const id = 'HSBK:2026-02-03';
    await database.db('settlements').insert({ id, bank_code: 'HSBK', business_date: '2026-02-03', status: 'delivered', workflow_id: 'access-test' });
    await database.workerDb('settlement_files').insert({ settlement_id: id, format: 'csv', content: Buffer.from('TOTAL;0.00\n'), sha256: 'a'.repeat(64) });
    for (const [, db] of roles()) {
      await expect(db.raw("UPDATE settlement_files SET content = 'x'::bytea")).rejects.toThrow(/permission denied/);
      await expect(db.raw('DELETE FROM settlement_files')).rejects.toThrow(/permission denied/);
    }
    await expect(database.db.raw("UPDATE settlement_files SET content = 'x'::bytea WHERE settlement_id = ?", [id])).rejects.toThrow(/settlement_files is immutable/);
    await expect(database.db.raw('DELETE FROM settlement_files WHERE settlement_id = ?', [id])).rejects.toThrow(/settlement_files is immutable/);
    await expect(database.db.raw('TRUNCATE settlement_files')).rejects.toThrow(/settlement_files is immutable/);
    expect(await database.db('settlement_files').where({ settlement_id: id }).first('sha256')).toEqual({ sha256: 'a'.repeat(64) });
  });
});

describe('the production start fails closed', () => {
  const ownerEnv = () => ({ DATABASE_URL: database.url, SPC_APP_DATABASE_URL: undefined, SPC_DEV: undefined, TEMPORAL_ADDRESS: '127.0.0.1:1', PORT: '0' });

  it('refuses to start the worker, the API and the keeper as the database owner without SPC_DEV=1', async () => {
    for (const process of ['worker', 'api', 'keeper']) {
      const result = await runSpc([process], ownerEnv());
      expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining(`spc ${process} connects to Postgres as postgres, a superuser: refusing to start`) });
    }
    // Naming the owner as the application's URL is no way around it.
    const named = await runSpc(['worker'], { ...ownerEnv(), SPC_APP_DATABASE_URL: database.url });
    expect(named).toMatchObject({ code: 1, stderr: expect.stringContaining('refusing to start') });
  });

  it('lets the restricted role start, and the owner only in a development run', async () => {
    expect(await refuseOwnerSessions(database.appDb, 'spc worker', false)).toBeUndefined();
    await expect(refuseOwnerSessions(database.db, 'spc worker', false)).rejects.toBeInstanceOf(OwnerSessionRefused);
    expect(await refuseOwnerSessions(database.db, 'spc worker', true)).toMatch(/allowed because SPC_DEV=1/);
  });
});

describe('webhooks in the database', () => {
  it('refuses a plain http:// webhook URL to another machine, whatever writes it', async () => {
    const set = (url: string) => database.db('banks').where({ code: 'CASP' }).update({ webhook_url: url });
    for (const bad of ['http://bank.example/hooks', 'http://localhost.evil.example/', 'http://127.0.0.1.evil.example/', 'http://127.0.0.1@evil.example/', 'ftp://bank.example/x']) {
      await expect(set(bad)).rejects.toThrow(/banks_webhook_url_secure/);
    }
    for (const good of ['https://bank.example/hooks', 'http://127.0.0.1:8080/spc', 'http://localhost/spc', 'http://[::1]:9000/x', 'http://127.10.0.1']) {
      await set(good);
    }
    await database.db('banks').where({ code: 'CASP' }).update({ webhook_url: null });
  });

  it('sets a URL with a secret shown once, refuses an insecure one, and signs with both secrets during a rotation', async () => {
    await expect(setBankWebhook(database.db, 'KCJB', 'http://bank.example/x')).rejects.toBeInstanceOf(WebhookSettingError);
    await expect(setBankWebhook(database.db, 'KCJB', 'https://[fd00::5]/x')).rejects.toMatchObject({ code: 'WEBHOOK_URL_PRIVATE_ADDRESS' });
    await expect(setBankWebhook(database.db, 'NOPE', 'https://bank.example/x')).rejects.toBeInstanceOf(WebhookSettingError);
    const first = await setBankWebhook(database.db, 'KCJB', 'https://bank.example/spc');
    expect(first).toEqual({ url: 'https://bank.example/spc', secret: expect.stringMatching(/^spcwh_[A-Za-z0-9_-]{43}$/) });
    expect(await setBankWebhook(database.db, 'KCJB', 'https://bank.example/spc2')).toEqual({ url: 'https://bank.example/spc2' });
    expect(await signingSecrets(database.appDb, 'KCJB')).toEqual([first.secret]);
    const second = await rotateWebhookSecret(database.db, 'KCJB');
    expect(await signingSecrets(database.appDb, 'KCJB')).toEqual([second, first.secret]);
    const third = await rotateWebhookSecret(database.db, 'KCJB', 0);
    expect(await signingSecrets(database.appDb, 'KCJB')).toEqual([third, first.secret]);
    await setBankWebhook(database.db, 'KCJB', null);
  });
});

describe('the operator CLI', () => {
  it('creates a cashier key that expires, and sets a webhook whose secret is printed once and never audited', async () => {
    const env = { DATABASE_URL: database.url, SPC_OPERATOR: 'aigerim', ...(await asOperator(database.db, 'aigerim')) };
    const created = await runSpc(['bank', 'key', 'create', '--bank', 'HSBK', '--label', 'desk 12', '--scopes', 'cashier', '--expires', '30d'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^spck_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('scopes lookup,pay,cancel, expires ');
    const row = await database.db('bank_api_keys').where({ key_prefix: key.slice(0, 13) }).first('scopes', 'expires_at');
    expect(row.scopes).toEqual(['lookup', 'pay', 'cancel']);
    expect(Math.abs(row.expires_at.getTime() - (Date.now() + 30 * 86_400_000))).toBeLessThan(120_000);
    expect((await runSpc(['bank', 'key', 'create', '--bank', 'HSBK', '--scopes', 'cashier,root'], env))).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown scope "root"') });

    const insecure = await runSpc(['bank', 'webhook', 'set', '--bank', 'IRTY', '--url', 'http://hooks.forte.example/spc'], env);
    expect(insecure).toMatchObject({ code: 1, stderr: expect.stringContaining('unencrypted') });
    const metadata = await runSpc(['bank', 'webhook', 'set', '--bank', 'IRTY', '--url', 'https://169.254.169.254/latest/meta-data/'], env);
    expect(metadata).toMatchObject({ code: 1, stdout: '', stderr: expect.stringContaining('webhook URL refused (WEBHOOK_URL_PRIVATE_ADDRESS)') });
    expect(await database.db('banks').where({ code: 'IRTY' }).first('webhook_url')).toEqual({ webhook_url: null });
    expect(await signingSecrets(database.db, 'IRTY')).toEqual([]);
    const set = await runSpc(['bank', 'webhook', 'set', '--bank', 'IRTY', '--url', 'https://hooks.forte.example/spc'], env);
    expect(set.code).toBe(0);
    const secret = set.stdout.trim();
    expect(secret).toMatch(/^spcwh_[A-Za-z0-9_-]{43}$/);
    expect(await signingSecrets(database.db, 'IRTY')).toEqual([secret]);
    const audit = await database.db('operator_audit').where('action', 'like', 'bank.%').orderBy('id').select('operator', 'action', 'args', 'outcome');
    expect(audit.map((a) => [a.operator, a.action, a.outcome])).toEqual([
      ['aigerim', 'bank.key.create', 'ok'],
      ['aigerim', 'bank.webhook.set', expect.stringContaining('refused: ')],
      ['aigerim', 'bank.webhook.set', expect.stringContaining('refused: webhook URL refused (WEBHOOK_URL_PRIVATE_ADDRESS)')],
      ['aigerim', 'bank.webhook.set', 'ok'],
    ]);
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(JSON.stringify(audit)).not.toContain(key);
  });
});

describe('the access migration', () => {
  it('gives keys issued before it every scope, and generates a signing secret for a bank that already had a webhook', async () => {
    const adminUrl = testAdminDbUrl();
    const name = `spc_t_${randomBytes(6).toString('hex')}`;
    await ensureDatabase(adminUrl, name);
    const db = createDb(withDatabase(adminUrl, name), 2);
    try {
      const all = await migrationSource.getMigrations([]);
      const access = all.indexOf('20261201000004_access');
      for (let i = 0; i < access; i++) await db.migrate.up({ migrationSource });
      await createWorld(db);
      await db('bank_api_keys').insert({ bank_code: 'HSBK', key_prefix: 'spck_old00000', key_sha256: 'a'.repeat(64) });
      await db('banks').where({ code: 'HSBK' }).update({ webhook_url: 'https://hsbk.example/spc' });
      await db.migrate.latest({ migrationSource });
      const key = await db('bank_api_keys').where({ key_prefix: 'spck_old00000' }).first('scopes', 'expires_at', 'rate_limit_per_minute');
      expect(key).toEqual({ scopes: ALL_API_SCOPES, expires_at: null, rate_limit_per_minute: null });
      expect(await signingSecrets(db, 'HSBK')).toEqual([expect.stringMatching(/^spcwh_[A-Za-z0-9_-]{43}$/)]);
      expect(await signingSecrets(db, 'CASP')).toEqual([]);
    } finally {
      await db.destroy();
      await dropDatabase(adminUrl, name);
    }
  });
});
