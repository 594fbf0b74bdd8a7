// The complaints read model: the complaints row the complaint workflow writes (activities/complaint.ts),
// read by every entrance (the bank API, the CLI, /ops) through client/complaints.ts. Rows come back
// whole; domain/complaint-view.ts turns them into what the entrances show.
import type { Knex } from 'knex';

/** A complaints row, every column (domain/complaint-view.ts reads it). */
export type ComplaintRecord = Record<string, unknown> & { id: string; status: string };

/** Statuses of a complaint that still needs someone. */
export const OPEN_COMPLAINT_STATUSES = ['open', 'assigned', 'escalated'] as const;

/** One complaint; with `bankCode`, only that bank's. */
export async function findComplaintRecord(db: Knex, id: string, bankCode?: string): Promise<ComplaintRecord | undefined> {
  const q = db('complaints').where({ id });
  if (bankCode) q.andWhere({ bank_code: bankCode });
  return (await q.first()) as ComplaintRecord | undefined;
}

/** A complaint's status alone, if there is such a complaint. */
export async function complaintStatusOf(db: Knex, id: string): Promise<string | undefined> {
  return ((await db('complaints').where({ id }).first('status')) as { status: string } | undefined)?.status;
}

/** PAYMENT_NOT_POSTED complaints a bank raised from `since` on (its daily quota's count). */
export async function countNotPostedComplaintsSince(db: Knex, bankCode: string, since: Date): Promise<number> {
  const raised = await db('complaints').where({ bank_code: bankCode, disposition: 'PAYMENT_NOT_POSTED' }).andWhere('created_at', '>=', since).count<{ n: string }[]>({ n: '*' });
  return Number(raised[0]?.n ?? 0);
}

/** Complaints newest first, at most `limit` (the caller bounds it); of one bank and one status if given. */
export async function listComplaintRecords(db: Knex, filter: { bankCode?: string; status?: string; limit: number }): Promise<ComplaintRecord[]> {
  const q = db('complaints').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }]).limit(filter.limit);
  if (filter.bankCode) q.where({ bank_code: filter.bankCode });
  if (filter.status) q.where({ status: filter.status });
  return (await q) as ComplaintRecord[];
}

/** The ids of complaints that still need someone, the nearest deadline first, at most `limit`. */
export async function openComplaintIds(db: Knex, limit: number): Promise<string[]> {
  const rows = (await db('complaints').whereIn('status', [...OPEN_COMPLAINT_STATUSES]).orderBy('deadline_at').limit(limit).select('id')) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}
