// Rejected payments as the operator page shows them. Rejections have no business date (a rejected
// payment never gets one): they are counted by when they happened.
import type { Knex } from 'knex';

export interface RejectionCount {
  code: string;
  count: number;
  /** Of those, since `todayStart`. */
  today: number;
}

export interface RejectionRow {
  created_at: Date;
  bank_code: string;
  bank_ref: string;
  code: string;
  message: string;
  workflow_id: string;
  run_id: string;
}

/** Rejections since `since` by code, most frequent first. */
export async function countRejectionsByCode(db: Knex, since: Date, todayStart: Date): Promise<RejectionCount[]> {
  const { rows } = await db.raw<{ rows: RejectionCount[] }>(
    `SELECT code, count(*)::int AS count, (count(*) FILTER (WHERE created_at >= ?))::int AS today
       FROM payment_rejections WHERE created_at >= ? GROUP BY code ORDER BY count(*) DESC, code`,
    [todayStart.toISOString(), since.toISOString()],
  );
  return rows;
}

/** The latest `limit` rejections since `since`, newest first. */
export async function findRecentRejections(db: Knex, since: Date, limit: number): Promise<RejectionRow[]> {
  return (await db('payment_rejections')
    .where('created_at', '>=', since.toISOString())
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .select('created_at', 'bank_code', 'bank_ref', 'code', 'message', 'workflow_id', 'run_id')) as RejectionRow[];
}
