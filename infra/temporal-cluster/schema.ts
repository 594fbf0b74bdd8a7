// Temporal's two databases (default store and visibility) on Postgres, created and migrated by
// Temporal's own SQL tool, so the schema is exactly the one the server binary expects.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import type { ClusterBinaries } from './binaries';
import { LOG_TAIL_CHARS, TemporalClusterError } from './errors';

const execFileAsync = promisify(execFile);
export const SQL_PLUGIN = 'postgres12';
/** Schemas embedded in the SQL tool (the same files as schema/postgresql/v12 in the module source). */
const SCHEMA_NAMES = { default: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' } as const;

export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ClusterDatabases {
  default: string;
  visibility: string;
}

/** Database names of a cluster: temporal_<name> and temporal_<name>_visibility. */
export function clusterDatabases(name: string): ClusterDatabases {
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(name)) throw new TemporalClusterError(`cluster name ${JSON.stringify(name)} must be lower-case letters, digits and _ (it names databases)`);
  return { default: `temporal_${name}`, visibility: `temporal_${name}_visibility` };
}

export function postgresEndpointOf(url: string): PostgresEndpoint {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 5432), user: decodeURIComponent(u.username || 'postgres'), password: decodeURIComponent(u.password) };
}

async function databaseExists(pg: PostgresEndpoint, name: string): Promise<boolean> {
  const client = new PgClient({ ...pg, database: 'postgres' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return (rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

async function sqlTool(binary: string, pg: PostgresEndpoint, database: string, args: string[]): Promise<void> {
  // Global flags go before the subcommand; the tool's defaults are MySQL's, hence the explicit plugin.
  const argv = ['--plugin', SQL_PLUGIN, '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--db', database, ...args];
  try {
    // A child process inherits the environment (PATH, HOME, proxies); nothing is read from it here.
    // eslint-disable-next-line no-restricted-properties
    await execFileAsync(binary, argv, { env: { ...process.env, SQL_PLUGIN, SQL_HOST: pg.host, SQL_PORT: String(pg.port), SQL_USER: pg.user, SQL_PASSWORD: pg.password } });
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new TemporalClusterError(`temporal-sql-tool ${args.join(' ')} on ${database} failed: ${(e.stderr || e.stdout || e.message).slice(-LOG_TAIL_CHARS)}`);
  }
}

/** Creates both databases when missing and brings their schemas to the version the binary expects. */
export async function setupClusterSchema(binaries: ClusterBinaries, pg: PostgresEndpoint, dbs: ClusterDatabases, log: (m: string) => void): Promise<void> {
  for (const [kind, database] of Object.entries(dbs) as Array<[keyof ClusterDatabases, string]>) {
    if (!(await databaseExists(pg, database))) {
      await sqlTool(binaries.sqlTool, pg, database, ['create-database']);
      await sqlTool(binaries.sqlTool, pg, database, ['setup-schema', '-v', '0.0']);
      log(`created database ${database}`);
    }
    // Idempotent: applies only the versions the database lacks (also after a server upgrade).
    await sqlTool(binaries.sqlTool, pg, database, ['update-schema', '--schema-name', SCHEMA_NAMES[kind]]);
  }
}

/** Drops a cluster's databases (tests); the server must be stopped. */
export async function dropClusterDatabases(pg: PostgresEndpoint, dbs: ClusterDatabases): Promise<void> {
  const client = new PgClient({ ...pg, database: 'postgres' });
  await client.connect();
  try {
    for (const database of Object.values(dbs)) await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
