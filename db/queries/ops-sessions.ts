// Reads of the operator page's sign-in (issue 16 item 6): the live session of a cookie, with its
// operator as they are now (a disabled operator's session is no session), and recent failures.
import type { Knex } from 'knex';
import { isOperatorRole, type OperatorRole } from '../../domain/operator-roles';

export interface OpsSessionRow {
  operatorId: string;
  role: OperatorRole;
  displayName: string;
  csrfSha256: string;
  lastSeenAt: Date;
}

/** The live session of a token: not ended, not expired, not idle past `idleSince`, its operator enabled. */
export async function findLiveOpsSession(db: Knex, tokenSha256: string, now: Date, idleSince: Date): Promise<OpsSessionRow | null> {
  const row = await db('ops_sessions as s')
    .join('operators as o', 'o.id', 's.operator_id')
    .where('s.token_sha256', tokenSha256).whereNull('s.ended_at')
    .where('s.expires_at', '>', now).where('s.last_seen_at', '>', idleSince)
    .whereNull('o.disabled_at')
    .first('o.id', 'o.role', 'o.display_name', 's.csrf_sha256', 's.last_seen_at');
  if (!row || !isOperatorRole(row.role)) return null;
  return { operatorId: row.id, role: row.role, displayName: row.display_name, csrfSha256: row.csrf_sha256, lastSeenAt: row.last_seen_at };
}

/** Wrong tokens from this (hashed) client address since `since`, and the oldest of them. */
export async function countOpsSignInFailures(db: Knex, ipSha256: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
  const row = await db('ops_sign_in_failures').where('ip_sha256', ipSha256).where('at', '>=', since)
    .first(db.raw('count(*) AS n'), db.raw('min(at) AS oldest'));
  return { count: Number(row?.n ?? 0), oldest: (row?.oldest as Date | null | undefined) ?? null };
}
