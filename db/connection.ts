// One knex pool per process. NUMERIC and BIGINT stay strings (pg's default), DATE stays a
// 'YYYY-MM-DD' string: a JS Date would shift it by the process time zone.
import knexFactory, { Knex } from 'knex';
import { types } from 'pg';
import { migrationSource } from './migrations';
import { ACCESS_SETTINGS_DEFAULT, type DbTimeouts } from '../infra/config';

// The setting's type is infra/config.ts's (configuration stands on the ground floor); kept here for importers.
export type { DbTimeouts };

const PG_DATE_OID = 1082;
types.setTypeParser(PG_DATE_OID, (value: string) => value);

/** Pool bounds: a worker's Postgres connections, set explicitly rather than left to defaults. */
export const DB_POOL_MIN = 2;
export const DB_POOL_MAX = 20;

/** A connection from the pool must be had within this time; past it the caller answers 503. */
export const DB_ACQUIRE_TIMEOUT_MS = 30_000;
/**
 * Bounds of the application's sessions (API and workers; infra/config.ts reads overrides). The
 * longest statement the application runs is a peak day's aggregation (about 10 s for a million
 * payments here); migrations, seeding and the CLI's audits run on owner pools without these bounds.
 */
export const DB_TIMEOUTS_DEFAULT: DbTimeouts = {
  statementTimeoutMs: ACCESS_SETTINGS_DEFAULT.statementTimeoutMs,
  idleInTransactionTimeoutMs: ACCESS_SETTINGS_DEFAULT.idleInTransactionTimeoutMs,
};

export type Db = Knex;

/**
 * Session settings of every pool. JIT compilation is off: Postgres compiles a statement whose
 * estimated cost passes jit_above_cost, and the read model's invoice query for a register batch of
 * 1,000 accounts passes it (cost about 180,000). Measured on a 20,000-account database: 206 ms of
 * JIT for a 180 ms query, on every batch. The SPC's statements are short index lookups and
 * set-based writes, where compiling never pays back.
 */
const SESSION_OPTIONS = '-c jit=off';

/** A pool; with `timeouts`, every session gets them as startup parameters (no extra round trip). */
export function createDb(databaseUrl: string, poolMax = DB_POOL_MAX, timeouts?: DbTimeouts): Db {
  return knexFactory({
    client: 'pg',
    connection: {
      connectionString: databaseUrl,
      application_name: 'spc',
      options: SESSION_OPTIONS,
      ...(timeouts ? { statement_timeout: timeouts.statementTimeoutMs, idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs } : {}),
    },
    pool: { min: Math.min(DB_POOL_MIN, poolMax), max: poolMax },
    acquireConnectionTimeout: DB_ACQUIRE_TIMEOUT_MS,
  });
}

/** The pool of the API and the workers: the application's role (db/app-role.ts) with the session bounds. */
export function createAppDb(appDatabaseUrl: string, timeouts: DbTimeouts = DB_TIMEOUTS_DEFAULT, poolMax = DB_POOL_MAX): Db {
  return createDb(appDatabaseUrl, poolMax, timeouts);
}

/** The readiness probes' check of Postgres (GET /readyz of the API, of the worker and the keeper): one trivial round trip. */
export async function pingDb(db: Db): Promise<void> {
  await db.raw('SELECT 1');
}

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

/** Creates a database if it does not exist (used by tests and `spc up`); the URL's own database is left alone. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`refusing database name ${name}`);
  const admin = createDb(adminUrl, 1);
  try {
    const found = await admin.raw('SELECT 1 FROM pg_database WHERE datname = ?', [name]);
    if (found.rows.length === 0) await admin.raw(`CREATE DATABASE ${name}`);
  } finally {
    await admin.destroy();
  }
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`refusing database name ${name}`);
  const admin = createDb(adminUrl, 1);
  try {
    await admin.raw(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.destroy();
  }
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
