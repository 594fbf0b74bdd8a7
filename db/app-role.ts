// The application's Postgres roles. Migrations run as the database's owner; the API, the workers
// and the keeper connect as one of these, which the migrations create when missing and grant only
// what each process does (20261201000004_access for spc_app, 20261208002001_app_roles for the rest):
// - spc_api (SPC_API_DATABASE_URL): reads everything; appends what a bank's request records (its
//   key's actions, an uploaded register and its rows). No UPDATE anywhere.
// - spc_worker (SPC_WORKER_DATABASE_URL; the keeper too): reads everything; writes the state the
//   activities write (payments, ledger appends, settlements, registers' progress, webhook deliveries).
// - spc_app (SPC_APP_DATABASE_URL): the one role of before, the fallback of both URLs.
// None of them owns anything (so no ALTER TABLE ... DISABLE TRIGGER), has TRUNCATE or DELETE, or may
// write master data (banks, providers, services, the calendar), keys or webhook secrets: those are
// the operators' (the CLI, as the owner, audited in operator_audit). The migrations leave the roles
// NOLOGIN; a setup step that knows the password lets them log in.
// knex's own type (db/connection.ts's Db is the same).
import type { Knex as Db } from 'knex';
import { sessionRole } from './queries/session-role';
import { APP_ROLE, assertApplicationRole, type ApplicationRole } from './migrations/roles';

export { API_ROLE, APP_ROLE, APPLICATION_ROLES, WORKER_ROLE, assertApplicationRole, createAppRoleIfMissing, type ApplicationRole } from './migrations/roles';

/** Passwords set here are generated (base64url); anything else is refused rather than quoted. */
const PASSWORD_RE = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * Lets `role` log in with `password` (run as a role with CREATEROLE, after the migrations). Used
 * by `spc up` for its embedded Postgres and by the test harness; elsewhere the DBA does it.
 * Idempotent; the password never reaches a log (it is not a bind parameter, and Postgres logs no
 * utility statements by default).
 */
export async function enableAppRoleLogin(owner: Db, password: string, role: ApplicationRole = APP_ROLE): Promise<void> {
  assertApplicationRole(role);
  if (!PASSWORD_RE.test(password)) throw new Error('refusing an app role password that is not 16-128 base64url characters');
  const found = await owner.raw<{ rows: Array<{ rolcanlogin: boolean }> }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = ?', [role]);
  if (found.rows.length === 0) throw new Error(`role ${role} does not exist: run the migrations first (spc migrate)`);
  await owner.raw(`ALTER ROLE ${role} LOGIN PASSWORD '${password}'`);
}

/** The URL of `ownerUrl`'s database as `role` with `password`. */
export function appRoleUrl(ownerUrl: string, password: string, role: ApplicationRole = APP_ROLE): string {
  const url = new URL(ownerUrl);
  url.username = role;
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
  throw new OwnerSessionRefused(`${text}: refusing to start. Set SPC_API_DATABASE_URL / SPC_WORKER_DATABASE_URL (or SPC_APP_DATABASE_URL for both) to a restricted role (see "Running in production"), or SPC_DEV=1 for a development run`);
}
