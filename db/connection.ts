// One knex pool per process. NUMERIC and BIGINT stay strings (pg's default), DATE stays a
// 'YYYY-MM-DD' string: a JS Date would shift it by the process time zone.
import knexFactory, { Knex } from 'knex';
import { types } from 'pg';
import { migrationSource } from './migrations';

const PG_DATE_OID = 1082;
types.setTypeParser(PG_DATE_OID, (value: string) => value);

/** Pool bounds: a worker's Postgres connections, set explicitly rather than left to defaults. */
export const DB_POOL_MIN = 2;
export const DB_POOL_MAX = 20;

export type Db = Knex;

export function createDb(databaseUrl: string, poolMax = DB_POOL_MAX): Db {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: databaseUrl, application_name: 'spc' },
    pool: { min: Math.min(DB_POOL_MIN, poolMax), max: poolMax },
    acquireConnectionTimeout: 30_000,
  });
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
