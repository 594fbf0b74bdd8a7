// The application's Postgres role names and their creation, for the migrations that create and
// grant them (db/app-role.ts says what each role may do). Here, beside the migrations, because a
// migration imports nothing of the application: what it runs must not change when the code does.
import type { Knex } from 'knex';

export const APP_ROLE = 'spc_app';
export const API_ROLE = 'spc_api';
export const WORKER_ROLE = 'spc_worker';
export const APPLICATION_ROLES = [APP_ROLE, API_ROLE, WORKER_ROLE] as const;
export type ApplicationRole = (typeof APPLICATION_ROLES)[number];
export function assertApplicationRole(role: string): asserts role is ApplicationRole {
  if (!(APPLICATION_ROLES as readonly string[]).includes(role)) throw new Error(`invariant: ${role} is not an application role`);
}

/**
 * Creates `role` (NOLOGIN) unless it exists. Roles are cluster-wide, so parallel migrations of
 * several databases (test files, several installations on one cluster) may race: the loser's
 * duplicate error is swallowed. Needs CREATEROLE; where the owner has none, the DBA creates the role.
 */
export async function createAppRoleIfMissing(owner: Pick<Knex, 'raw'>, role: ApplicationRole = APP_ROLE): Promise<void> {
  assertApplicationRole(role);
  await owner.raw(`
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
        CREATE ROLE ${role} NOLOGIN;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END $$;
  `);
}

