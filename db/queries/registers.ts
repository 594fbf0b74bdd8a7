// The day registers' read model: the registers row (its counts kept by the register workflow) and
// one page of its rows, for the bank API and the tests through client/registers.ts, and the demo.
import type { Knex } from 'knex';

export interface RegisterRecord {
  id: string;
  bank_code: string;
  business_date: string;
  file_sha256: string;
  declared_count: number;
  declared_total: string;
  row_count: number;
  rows_done: number;
  rows_accepted: number;
  rows_rejected: number;
  status: 'processing' | 'done';
  created_at: Date;
  workflow_id: string | null;
}

export type RegisterRowStatus = 'pending' | 'accepted' | 'rejected';

export interface RegisterRowRecord {
  line_no: number;
  bank_ref: string;
  account: string;
  amount: string;
  status: RegisterRowStatus;
  code: string | null;
  message: string | null;
}

/** The register this bank stored for a file of this hash, if any. */
export async function findRegisterByFile(db: Knex, bankCode: string, fileSha256: string): Promise<RegisterRecord | undefined> {
  return db<RegisterRecord>('registers').where({ bank_code: bankCode, file_sha256: fileSha256 }).first();
}

/** One register of one bank (another bank's is as good as absent). */
export async function findBankRegister(db: Knex, bankCode: string, registerId: string): Promise<RegisterRecord | undefined> {
  return db<RegisterRecord>('registers').where({ id: registerId, bank_code: bankCode }).first();
}

/** Up to `limit` rows of a register after line `after`, in line order; of one status if given. */
export async function registerRowsAfter(db: Knex, registerId: string, after: number, limit: number, status?: RegisterRowStatus): Promise<RegisterRowRecord[]> {
  const query = db('register_rows')
    .where({ register_id: registerId })
    .andWhere('line_no', '>', after)
    .orderBy('line_no')
    .limit(limit)
    .select('line_no', 'bank_ref', db.raw("request->>'account' AS account"), db.raw("request->>'amount' AS amount"), 'status', 'code', 'message');
  if (status) query.andWhere({ status });
  return (await query) as RegisterRowRecord[];
}

/** A bank's registers, newest first, at most `limit` (the caller bounds it); of one business date if given. */
export async function listBankRegisters(db: Knex, bankCode: string, limit: number, businessDate?: string): Promise<RegisterRecord[]> {
  const query = db<RegisterRecord>('registers').where({ bank_code: bankCode }).orderBy('created_at', 'desc').limit(limit);
  if (businessDate) query.andWhere({ business_date: businessDate });
  return query;
}

/** A register's status and counts by id alone (the operator's view; the bank's is findBankRegister). */
export async function registerProgress(db: Knex, registerId: string): Promise<Pick<RegisterRecord, 'status' | 'rows_accepted' | 'rows_rejected'> | undefined> {
  return db<RegisterRecord>('registers').where({ id: registerId }).first('status', 'rows_accepted', 'rows_rejected');
}

/** The business dates the register's accepted payments landed on. */
export async function registerBusinessDates(db: Knex, registerId: string): Promise<string[]> {
  const rows = (await db('payments').where({ register_id: registerId }).distinct('business_date')) as Array<{ business_date: string }>;
  return rows.map((r) => r.business_date);
}
