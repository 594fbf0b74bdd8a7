// Storing a checked day register: its registers row and one register_rows row per line, each with
// the payment request it stands for, in one transaction. The file's SHA-256 is the idempotency key
// (unique bank_code + file_sha256): the same file stored again writes nothing. The register
// workflow (activities/register.ts) then posts the rows and counts them on the registers row.
import type { Db } from './connection';
import type { PaymentRequest } from '../domain/payment-types';

/** Rows per INSERT statement when storing a register (4 parameters each, far below Postgres' 65535). */
export const REGISTER_INSERT_BATCH_ROWS = 2_000;

export interface NewRegister {
  id: string;
  bankCode: string;
  businessDate: string;
  fileSha256: string;
  declaredCount: number;
  declaredTotal: string;
  workflowId: string;
}

export interface NewRegisterRow {
  lineNo: number;
  bankRef: string;
  request: PaymentRequest;
}

/**
 * Stores the register and its rows (`rowOf` gives each line's row, batch by batch); false when this
 * bank's file of this hash is stored already (nothing written).
 */
export async function storeRegister<R>(db: Db, register: NewRegister, rows: readonly R[], rowOf: (row: R) => NewRegisterRow): Promise<boolean> {
  return db.transaction(async (trx) => {
    const inserted = await trx('registers')
      .insert({
        id: register.id,
        bank_code: register.bankCode,
        business_date: register.businessDate,
        file_sha256: register.fileSha256,
        declared_count: register.declaredCount,
        declared_total: register.declaredTotal,
        row_count: rows.length,
        workflow_id: register.workflowId,
      })
      .onConflict(['bank_code', 'file_sha256'])
      .ignore()
      .returning(['id']);
    if (inserted.length === 0) return false;
    for (let i = 0; i < rows.length; i += REGISTER_INSERT_BATCH_ROWS) {
      const batch = rows.slice(i, i + REGISTER_INSERT_BATCH_ROWS);
      await trx('register_rows').insert(batch.map(rowOf).map((row) => ({ register_id: register.id, line_no: row.lineNo, bank_ref: row.bankRef, request: JSON.stringify(row.request) })));
    }
    return true;
  });
}
