// The corrections read model: the corrections row the correction workflow writes
// (activities/correction.ts) with its adjustments still to settle, read by the CLI, /ops and the
// complaints through client/corrections.ts.
import type { Knex } from 'knex';

/** The highest correction number of a payment so far (0: none), from which the next one is numbered. */
export async function lastCorrectionNumber(db: Knex, bankCode: string, bankRef: string): Promise<number> {
  const last = await db('corrections').where({ bank_code: bankCode, bank_ref: bankRef }).max<{ n: number | null }[]>({ n: 'n' });
  return Number(last[0]?.n ?? 0);
}

/** A correction's status alone, if there is such a correction. */
export async function correctionStatusOf(db: Knex, id: string): Promise<string | undefined> {
  return ((await db('corrections').where({ id }).first('status')) as { status: string } | undefined)?.status;
}

/** The workflow id of the correction with this id or this sequence number (its `K<seq>` reference), if any. */
export async function findCorrectionId(db: Knex, by: { id: string } | { seq: string }): Promise<string | null> {
  const row = (await db('corrections').where(by).first('id')) as { id: string } | undefined;
  return row?.id ?? null;
}

export interface CorrectionRow {
  id: string;
  ref: string;
  bankCode: string;
  bankRef: string;
  kind: string;
  status: string;
  mode: string | null;
  amount: string;
  accountFrom: string;
  accountTo: string | null;
  proposedBy: string;
  decidedBy: string | null;
  complaintId: string | null;
  createdAt: string;
  appliedAt: string | null;
  pendingAdjustments: number;
}

/** Corrections, newest first, at most `limit` (the caller bounds it), each with its adjustments not yet in a settlement. */
export async function listCorrectionRows(db: Knex, filter: { bankCode?: string; status?: string; limit: number }): Promise<CorrectionRow[]> {
  const q = db('corrections as c').orderBy('c.seq', 'desc').limit(filter.limit)
    .select('c.*', db.raw('(SELECT count(*)::int FROM adjustments a WHERE a.correction_id = c.id AND a.settlement_id IS NULL) AS pending'));
  if (filter.bankCode) q.where('c.bank_code', filter.bankCode);
  if (filter.status) q.where('c.status', filter.status);
  const rows = await q;
  return rows.map((r) => ({
    id: r.id, ref: `K${r.seq}`, bankCode: r.bank_code, bankRef: r.bank_ref, kind: r.kind, status: r.status, mode: r.mode, amount: r.amount,
    accountFrom: r.account_from, accountTo: r.account_to, proposedBy: r.proposed_by, decidedBy: r.decided_by, complaintId: r.complaint_id,
    createdAt: (r.created_at as Date).toISOString(), appliedAt: r.applied_at ? (r.applied_at as Date).toISOString() : null, pendingAdjustments: Number(r.pending),
  }));
}
