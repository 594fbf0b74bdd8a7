// The open TRANSFER_NOT_RECEIVED cases (issue 19): complaints raised by the transfer check
// (client/transfer-cases.ts) that nobody has resolved yet, with the list line they are about and
// what the provider reports received by now. Shown on /ops and by `spc provider transfers cases`.
// Reads only.
import type { Knex } from 'knex';
import { formatAmount, fromDb } from '../../domain/money';
import { openDifference } from '../../domain/provider-transfers';

/** Rows one answer holds; the oldest deadlines first. */
export const TRANSFER_CASES_LISTED_MAX = 200;

export interface OpenTransferCase {
  complaintId: string;
  bankCode: string;
  providerId: string;
  businessDate: string;
  status: string;
  assignee: string | null;
  deadlineAt: string;
  raisedAt: string;
  /** The list line to the provider; null when the line is gone (never: lines are not deleted). */
  expected: string | null;
  received: string;
  difference: string;
  workflowId: string;
}

export async function findOpenTransferCases(db: Knex, opts: { providerId?: string; limit?: number } = {}): Promise<OpenTransferCase[]> {
  const limit = Math.min(opts.limit ?? TRANSFER_CASES_LISTED_MAX, TRANSFER_CASES_LISTED_MAX);
  const providerFilter = opts.providerId === undefined ? '' : 'AND c.provider_id = ?';
  const { rows } = await db.raw<{ rows: Array<{ id: string; bank_code: string; provider_id: string; business_date: string; status: string; assignee: string | null; deadline_at: Date; created_at: Date; expected: string | null; received: string; workflow_id: string }> }>(
    `WITH c AS (
       SELECT id, bank_code, split_part(bank_ref, '/', 1) AS provider_id, split_part(bank_ref, '/', 2) AS business_date,
              status, assignee, deadline_at, created_at, workflow_id
         FROM complaints
        WHERE disposition = 'TRANSFER_NOT_RECEIVED' AND status IN ('open', 'assigned', 'escalated')
     )
     SELECT c.*,
            (SELECT sl.amount FROM settlement_lines sl
              WHERE sl.settlement_id = c.bank_code || ':' || c.business_date AND sl.provider_id = c.provider_id) AS expected,
            COALESCE((SELECT sum(t.amount) FROM provider_transfers t
                       WHERE t.provider_id = c.provider_id AND t.bank_code = c.bank_code AND t.business_date::text = c.business_date), 0) AS received
       FROM c WHERE true ${providerFilter}
      ORDER BY c.deadline_at, c.id LIMIT ${limit}`,
    opts.providerId === undefined ? [] : [opts.providerId],
  );
  return rows.map((r) => {
    const expected = r.expected === null ? null : formatAmount(fromDb(r.expected));
    const received = formatAmount(fromDb(r.received));
    return {
      complaintId: r.id, bankCode: r.bank_code, providerId: r.provider_id, businessDate: r.business_date, status: r.status, assignee: r.assignee,
      deadlineAt: r.deadline_at.toISOString(), raisedAt: r.created_at.toISOString(), expected, received, difference: openDifference(expected, received), workflowId: r.workflow_id,
    };
  });
}
