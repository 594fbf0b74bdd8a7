// Who a pool's sessions are in Postgres: the role, and whether it may do more than the application
// should (superuser, the database's owner, or the owner of any table in the schema). The fail-closed
// start (db/app-role.ts, refuseOwnerSessions) reads it.
import type { Db } from '../connection';

export interface SessionRole {
  user: string;
  superuser: boolean;
  databaseOwner: boolean;
  ownsTables: boolean;
}

export async function sessionRole(db: Db): Promise<SessionRole> {
  const result = await db.raw<{ rows: SessionRole[] }>(`
    SELECT current_user AS "user", r.rolsuper AS "superuser", (d.datdba = r.oid) AS "databaseOwner",
           EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relowner = r.oid) AS "ownsTables"
      FROM pg_roles r, pg_database d
     WHERE r.rolname = current_user AND d.datname = current_database()`);
  const row = result.rows[0];
  if (!row) throw new Error('invariant: current_user has no pg_roles row');
  return row;
}
