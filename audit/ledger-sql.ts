// The SQL plumbing the ledger audit's checks share: the scope clause and a capped row read.
import type { Knex } from 'knex';

/** Breaches listed per check before the rest are only counted: a broken import can break a million rows. */
export const BREACHES_PER_CHECK_MAX = 1000;

export type Row = Record<string, string | number | null>;

/** `alias.business_date = date AND alias.bank_code = bank`, each only when given. */
export function scopeSql(scope: { date?: string; bank?: string }, alias: string, bankExpr = `${alias}.bank_code`): { sql: string; bindings: string[] } {
  const parts: string[] = [];
  const bindings: string[] = [];
  if (scope.date) {
    parts.push(`${alias}.business_date = ?::date`);
    bindings.push(scope.date);
  }
  if (scope.bank) {
    parts.push(`${bankExpr} = ?`);
    bindings.push(scope.bank);
  }
  return { sql: parts.length ? parts.join(' AND ') : 'true', bindings };
}

export async function rows(db: Knex, sql: string, bindings: readonly unknown[]): Promise<Row[]> {
  const result = await db.raw<{ rows: Row[] }>(`${sql}\nLIMIT ${BREACHES_PER_CHECK_MAX}`, bindings as Knex.RawBinding[]);
  return result.rows;
}

/** Statuses in which a settlement has computed its totals and lines. */
export const AGGREGATED_SQL = `('aggregated', 'delivered', 'overdue', 'settled')`;

/** How a breach names a payment: id, bank reference and day. */
export const paymentSubject = (r: Row) => `payment ${r.payment_id} ${r.bank_code}/${r.bank_ref} (${r.business_date})`;
