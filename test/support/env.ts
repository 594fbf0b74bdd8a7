// Helpers for integration tests: a fresh migrated database per test file, and the shared Temporal dev
// server that test/support/global-setup.ts started for the run.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { createAppDb, createDb, dropDatabase, ensureDatabase, migrateLatest, withDatabase } from '../../db/connection';
import { API_ROLE, WORKER_ROLE, appRoleUrl } from '../../db/app-role';

export const TEST_NAMESPACE = 'default';
/** Test databases are named spc_t_<hex>, so a leftover one is easy to find and drop. */
export const TEST_DATABASE_PREFIX = 'spc_t_';

export interface TestDatabase {
  /** The owner's pool: fixtures, assertions, anything a test does behind the SPC's back. */
  db: Knex;
  url: string;
  /**
   * The application's pool, as the API and the workers have it in production: the restricted
   * role spc_app (db/app-role.ts) with the session bounds. The harness gives it to the worker and
   * the API, so the suite proves the application works without owning its tables.
   */
  appDb: Knex;
  appUrl: string;
  /** The API's own role (spc_api): what the test API server connects as. */
  apiDb: Knex;
  /** The worker's own role (spc_worker): what the test workers connect as. */
  workerDb: Knex;
  workerUrl: string;
  /** Closes the pool and drops the database (WITH (FORCE): stray connections are cut). */
  drop(): Promise<void>;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through jest's "integration" project, whose globalSetup sets it.`);
  return value;
}

export function testAdminDbUrl(): string {
  return requiredEnv('SPC_TEST_ADMIN_DB_URL');
}

/** The password global-setup gave the app role for this run. */
export function testAppRolePassword(): string {
  return requiredEnv('SPC_TEST_APP_ROLE_PASSWORD');
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = testAdminDbUrl();
  const name = `${TEST_DATABASE_PREFIX}${randomBytes(6).toString('hex')}`;
  await ensureDatabase(adminUrl, name);
  const url = withDatabase(adminUrl, name);
  const db = createDb(url);
  try {
    await migrateLatest(db);
  } catch (err) {
    await db.destroy();
    await dropDatabase(adminUrl, name);
    throw err;
  }
  const appUrl = appRoleUrl(url, testAppRolePassword());
  const appDb = createAppDb(appUrl);
  const apiDb = createAppDb(appRoleUrl(url, testAppRolePassword(), API_ROLE));
  const workerUrl = appRoleUrl(url, testAppRolePassword(), WORKER_ROLE);
  const workerDb = createAppDb(workerUrl);
  let dropped = false;
  return {
    db,
    url,
    appDb,
    appUrl,
    apiDb,
    workerDb,
    workerUrl,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await appDb.destroy();
      await apiDb.destroy();
      await workerDb.destroy();
      await db.destroy();
      await dropDatabase(adminUrl, name);
    },
  };
}

/**
 * A test database for the enclosing describe (or file): made and prepared in beforeAll, dropped in
 * afterAll. The handle reads through to it, so `database.db` works in every test and hook after the
 * prepare step; touched outside them it says so instead of handing out undefined.
 */
export function withTestDatabase(prepare?: (database: TestDatabase) => Promise<unknown>): TestDatabase {
  let current: TestDatabase | undefined;
  const get = (): TestDatabase => {
    if (!current) throw new Error('withTestDatabase: the database exists only inside tests and hooks, after its beforeAll');
    return current;
  };
  beforeAll(async () => {
    current = await createTestDatabase();
    await prepare?.(current);
  });
  afterAll(async () => {
    await current?.drop();
  });
  return {
    get db() { return get().db; },
    get url() { return get().url; },
    get appDb() { return get().appDb; },
    get appUrl() { return get().appUrl; },
    get apiDb() { return get().apiDb; },
    get workerDb() { return get().workerDb; },
    get workerUrl() { return get().workerUrl; },
    drop: () => get().drop(),
  };
}

export function testTemporalAddress(): string {
  return requiredEnv('TEMPORAL_ADDRESS');
}

/** A task queue no other test polls, so workers of different tests never take each other's tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
