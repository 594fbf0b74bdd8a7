// Operator accounts and tokens as admins list them (`spc operator list`, `spc operator token list`):
// never the hash; the secret is never stored at all (db/operators.ts).
import type { Knex } from 'knex';

/** An SPC has tens of operators; the cap keeps a listing bounded all the same. */
export const OPERATORS_LISTED_MAX = 1000;

export interface OperatorListing {
  id: string;
  displayName: string;
  role: string;
  createdAt: Date;
  disabledAt: Date | null;
  activeTokens: number;
}

export async function listOperators(db: Knex): Promise<OperatorListing[]> {
  const rows = await db('operators as o')
    .leftJoin('operator_tokens as t', (j) => j.on('t.operator_id', 'o.id').andOnNull('t.revoked_at').andOn('t.expires_at', '>', db.raw('now()')))
    .groupBy('o.id')
    .orderBy('o.id')
    .limit(OPERATORS_LISTED_MAX)
    .select('o.id', 'o.display_name', 'o.role', 'o.created_at', 'o.disabled_at', db.raw('count(t.id)::int AS active_tokens'));
  return rows.map((r) => ({ id: r.id, displayName: r.display_name, role: r.role, createdAt: r.created_at, disabledAt: r.disabled_at, activeTokens: r.active_tokens }));
}

export interface OperatorTokenListing {
  id: string;
  operatorId: string;
  prefix: string;
  label: string | null;
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export async function listOperatorTokens(db: Knex, operatorId?: string): Promise<OperatorTokenListing[]> {
  const query = db('operator_tokens').orderBy('id').limit(OPERATORS_LISTED_MAX).select('id', 'operator_id', 'token_prefix', 'label', 'created_at', 'expires_at', 'revoked_at');
  if (operatorId) query.where({ operator_id: operatorId });
  return (await query).map((r) => ({
    id: String(r.id), operatorId: r.operator_id, prefix: r.token_prefix, label: r.label, createdAt: r.created_at, expiresAt: r.expires_at, revokedAt: r.revoked_at,
  }));
}
