// The application's Postgres role. Migrations run as the database's owner; the API and the workers
// connect as APP_ROLE, which the access migration (20261201000004) creates when missing and grants
// what the application does: read, insert and update, never TRUNCATE or DELETE, only SELECT and
// INSERT on the ledger and audit tables, and no ownership (so no ALTER TABLE ... DISABLE TRIGGER).
// The migration leaves the role NOLOGIN; a setup step that knows the password lets it log in.
// knex's own type (db/connection.ts's Db is the same): a migration imports this file, and migrations import nothing of the application.
import type { Knex as Db } from 'knex';
import { sessionRole } from './queries/session-role';

export const APP_ROLE = 'spc_app';
/** Passwords set here are generated (base64url); anything else is refused rather than quoted. */
const PASSWORD_RE = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * Creates APP_ROLE (NOLOGIN) unless it exists. Roles are cluster-wide, so parallel migrations of
 * several databases (test files, several installations on one cluster) may race: the loser's
 * duplicate error is swallowed. Needs CREATEROLE; where the owner has none, the DBA creates the role.
 */
export async function createAppRoleIfMissing(owner: Pick<Db, 'raw'>): Promise<void> {
  await owner.raw(`
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
        CREATE ROLE ${APP_ROLE} NOLOGIN;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END $$;
  `);
}

/**
 * Lets APP_ROLE log in with `password` (run as a role with CREATEROLE, after the migrations). Used
 * by `spc up` for its embedded Postgres and by the test harness; elsewhere the DBA does it.
 * Idempotent; the password never reaches a log (it is not a bind parameter, and Postgres logs no
 * utility statements by default).
 */
export async function enableAppRoleLogin(owner: Db, password: string): Promise<void> {
  if (!PASSWORD_RE.test(password)) throw new Error('refusing an app role password that is not 16-128 base64url characters');
  const role = await owner.raw<{ rows: Array<{ rolcanlogin: boolean }> }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = ?', [APP_ROLE]);
  if (role.rows.length === 0) throw new Error(`role ${APP_ROLE} does not exist: run the migrations first (spc migrate)`);
  await owner.raw(`ALTER ROLE ${APP_ROLE} LOGIN PASSWORD '${password}'`);
}

/** The URL of `ownerUrl`'s database as APP_ROLE with `password`. */
export function appRoleUrl(ownerUrl: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = password;
  return url.toString();
}

/** Thrown at start when the API or a worker would connect as a role that owns the data (issue 16, item 8). */
export class OwnerSessionRefused extends Error {
  override name = 'CliError';
  readonly exitCode = 1;
}

/**
 * Fails closed: the API, the worker and the keeper refuse to run as a superuser or as the owner of
 * the database or its tables (who could disable the ledger's triggers or rewrite master data),
 * unless this is a development run (SPC_DEV=1; `spc up` on its embedded Postgres sets it). Returns
 * a warning for the development case, nothing when the role is a restricted one.
 */
export async function refuseOwnerSessions(db: Db, process: string, devRun: boolean): Promise<string | undefined> {
  const role = await sessionRole(db);
  const why = role.superuser ? 'a superuser' : role.databaseOwner ? 'the database\'s owner' : role.ownsTables ? 'the owner of its tables' : undefined;
  if (!why) return undefined;
  const text = `${process} connects to Postgres as ${role.user}, ${why}`;
  if (devRun) return `${text}: allowed because SPC_DEV=1 (a development run)`;
  throw new OwnerSessionRefused(`${text}: refusing to start. Set SPC_APP_DATABASE_URL to the restricted role (see "Running in production"), or SPC_DEV=1 for a development run`);
}
