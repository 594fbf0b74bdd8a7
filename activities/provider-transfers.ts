// Recording the transfers a provider reports received (POST /v1/provider/transfers, issue 19
// item 2). All or nothing in one transaction: an unknown bank, or a statement reference already
// reported with other content, refuses the whole report. A reference reported again with the same
// content is the same transfer (a repeated upload changes nothing).
import type { Knex } from 'knex';
import type { ReportedTransfer } from '../domain/provider-transfers';
import { unknownBankCodes } from '../db/queries/provider-transfers';
import { formatAmount, fromDb } from '../domain/money';

export class TransferRefused extends Error {
  override name = 'TransferRefused';
  constructor(readonly code: 'UNKNOWN_BANK' | 'STATEMENT_REF_CONFLICT', message: string, readonly details: Record<string, unknown>) {
    super(message);
  }
}

export interface RecordedTransfers {
  recorded: number;
  repeated: number;
}

export async function recordProviderTransfers(db: Knex, providerId: string, transfers: ReportedTransfer[]): Promise<RecordedTransfers> {
  return db.transaction(async (trx) => {
    const unknown = await unknownBankCodes(trx, transfers.map((t) => t.bankCode));
    if (unknown.length > 0) throw new TransferRefused('UNKNOWN_BANK', `unknown bank code(s): ${unknown.join(', ')}`, { bankCodes: unknown });
    let recorded = 0;
    let repeated = 0;
    for (const t of transfers) {
      const inserted = await trx.raw<{ rows: unknown[] }>(
        `INSERT INTO provider_transfers (provider_id, bank_code, business_date, amount, statement_ref, received_on)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (provider_id, statement_ref) DO NOTHING RETURNING id`,
        [providerId, t.bankCode, t.businessDate, t.amount, t.statementRef, t.receivedOn],
      );
      if (inserted.rows.length === 1) {
        recorded++;
        continue;
      }
      const existing = await trx('provider_transfers').where({ provider_id: providerId, statement_ref: t.statementRef }).first('bank_code', 'business_date', 'amount');
      if (!existing || existing.bank_code !== t.bankCode || existing.business_date !== t.businessDate || formatAmount(fromDb(existing.amount)) !== t.amount) {
        throw new TransferRefused('STATEMENT_REF_CONFLICT', `statement reference ${t.statementRef} was reported before with other content`, {
          statementRef: t.statementRef, reported: existing ? { bankCode: existing.bank_code, businessDate: existing.business_date, amount: formatAmount(fromDb(existing.amount)) } : null,
        });
      }
      repeated++;
    }
    return { recorded, repeated };
  });
}
