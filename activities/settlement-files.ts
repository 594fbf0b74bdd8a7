// The payment list of an aggregated settlement in both formats (pain.001 XML and CSV), stored in
// settlement_files with their SHA-256. Everything the files contain is fixed at aggregation
// (createdAt = aggregated_at, execution date, MsgId, lines), so regenerating them gives the same
// bytes; storing is idempotent and checks that a regenerated file still matches the stored one.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { ActivityDeps } from './deps';
import { buildPain001 } from '../domain/pain001';
import { PaymentListInvariantError, type PaymentListInput } from '../domain/payment-list';
import { ApplicationFailure } from '@temporalio/common';
import { buildSettlementCsv } from '../domain/settlement-csv';
import { formatAmount, fromDb } from '../domain/money';
import { confirmDeadlineAtOf, confirmDueDateFor, isoSeconds, withHeartbeat, type SettlementConfig } from './settlement-support';
import type { FilesResult, SettlementFileFormat, SettlementFileInfo } from '../domain/settlement-types';

/** Failure type of a settlement whose payment list cannot be built from the master data (non-retryable). */
export const PAYMENT_LIST_INVALID = 'PAYMENT_LIST_INVALID';

export const SETTLEMENT_FILE_FORMATS: readonly SettlementFileFormat[] = ['pain001', 'csv'];

export const SETTLEMENT_FILE_CONTENT_TYPES: Readonly<Record<SettlementFileFormat, string>> = {
  pain001: 'application/xml; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

export interface RenderedFile extends SettlementFileInfo {
  content: Buffer;
}

export function sha256Hex(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The list's input, read from the settlement, its lines and the master data; null when the day has no lines. */
export async function paymentListInputFor(db: Knex | Knex.Transaction, settlementId: string, config: SettlementConfig): Promise<PaymentListInput | null> {
  const s = await db('settlements as s')
    .join('banks as b', 'b.code', 's.bank_code')
    .where('s.id', settlementId)
    .first('s.id', 's.business_date', 's.execution_date', 's.msg_id', 's.aggregated_at', 'b.name', 'b.bin', 'b.settlement_iban', 'b.bic');
  if (!s) throw new Error(`no settlement ${settlementId}`);
  if (!s.aggregated_at) throw new Error(`settlement ${settlementId} is not aggregated yet: its list does not exist`);
  const lines = await db('settlement_lines as l')
    .join('providers as p', 'p.id', 'l.provider_id')
    .where('l.settlement_id', settlementId)
    .orderBy('l.line_no')
    .select('l.line_no', 'l.end_to_end_id', 'l.provider_id', 'p.name', 'p.bin', 'p.iban', 'p.bic', 'p.knp', 'p.kbe', 'l.amount', 'l.payment_count', 'l.adjustment_amount', 'l.adjustment_refs');
  if (lines.length === 0) return null;
  return {
    settlementId,
    msgId: s.msg_id,
    createdAt: isoSeconds(s.aggregated_at) as string,
    businessDate: s.business_date,
    executionDate: s.execution_date,
    initiatingParty: { name: config.spcName, bin: config.spcBin },
    debtor: { name: s.name, bin: s.bin, iban: s.settlement_iban, bic: s.bic },
    lines: lines.map((l) => ({
      lineNo: Number(l.line_no),
      endToEndId: l.end_to_end_id,
      providerId: l.provider_id,
      providerName: l.name,
      providerBin: l.bin,
      iban: l.iban,
      bic: l.bic,
      knp: l.knp,
      kbe: l.kbe,
      amount: formatAmount(fromDb(l.amount)),
      paymentCount: Number(l.payment_count),
      ...(l.adjustment_refs.length > 0 ? { adjustment: { amount: formatAmount(fromDb(l.adjustment_amount)), refs: l.adjustment_refs as string[] } } : {}),
    })),
  };
}

export function renderSettlementFiles(input: PaymentListInput): RenderedFile[] {
  return SETTLEMENT_FILE_FORMATS.map((format) => {
    const content = Buffer.from(format === 'pain001' ? buildPain001(input) : buildSettlementCsv(input), 'utf8');
    return { format, content, sha256: sha256Hex(content), bytes: content.length };
  });
}

/** Regenerates a settlement's files from the database (for checks and for operators); null when it has no lines. */
export async function regenerateSettlementFiles(db: Knex, settlementId: string, config: SettlementConfig): Promise<RenderedFile[] | null> {
  const input = await paymentListInputFor(db, settlementId, config);
  return input ? renderSettlementFiles(input) : null;
}

export function createSettlementFileActivities(deps: ActivityDeps, config: SettlementConfig) {
  const { db } = deps;

  /**
   * Builds and stores both files, then marks the settlement delivered: from then on the bank can
   * fetch its list through the bank API. A stored file is never replaced: it is what the bank got.
   */
  async function storeSettlementFiles(input: { settlementId: string }): Promise<FilesResult> {
    return withHeartbeat(`files of ${input.settlementId}`, async () => {
      const payload = await paymentListInputFor(db, input.settlementId, config);
      if (!payload) throw new Error(`invariant: settlement ${input.settlementId} has no lines, so it has no list to store`);
      let rendered: RenderedFile[];
      try {
        rendered = renderSettlementFiles(payload);
      } catch (err) {
        // Retrying cannot fix master data (a provider's IBAN or BIN): an operator must. Record why
        // on the settlement (shown on /ops) and fail for good, instead of retrying silently forever.
        if (!(err instanceof PaymentListInvariantError)) throw err;
        await db('settlements').where({ id: input.settlementId }).update({ alert: `payment list cannot be built: ${err.message}` });
        throw ApplicationFailure.create({ type: PAYMENT_LIST_INVALID, message: `${err.message}: fix the master data, then settle the day again`, nonRetryable: true });
      }
      return db.transaction(async (trx) => {
        for (const f of rendered) {
          await trx.raw('INSERT INTO settlement_files (settlement_id, format, content, sha256) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
            input.settlementId, f.format, f.content, f.sha256,
          ]);
        }
        const stored = await trx('settlement_files')
          .where({ settlement_id: input.settlementId })
          .select('format', 'sha256', trx.raw('octet_length(content)::int AS bytes'));
        for (const f of rendered) {
          const s = stored.find((x) => x.format === f.format);
          if (s && s.sha256 !== f.sha256) {
            // Master data (a provider's name or IBAN) changed since the file was stored; the stored file stays the record.
            console.warn(`settlement ${input.settlementId}: regenerated ${f.format} differs from the stored one (sha256 ${s.sha256}); keeping the stored file`);
          }
        }
        const updated = await trx.raw<{ rows: Array<{ delivered_at: Date; bank_code: string }> }>(
          `UPDATE settlements SET delivered_at = COALESCE(delivered_at, date_trunc('second', now())), alert = NULL,
                  status = CASE WHEN status = 'aggregated' THEN 'delivered' ELSE status END
            WHERE id = ? RETURNING delivered_at, bank_code`,
          [input.settlementId],
        );
        const delivered = updated.rows[0];
        if (!delivered) throw new Error(`invariant: settlement ${input.settlementId} has no row`);
        // The confirmation is due counted from delivery, not from the business date: the same
        // delivered_at gives the same date on every retry.
        const bank = await deps.reference.bank(delivered.bank_code);
        if (!bank) throw new Error(`bank ${delivered.bank_code} vanished from the reference data`);
        const confirmDueDate = confirmDueDateFor(delivered.delivered_at, bank.confirm_business_days, await deps.reference.calendar());
        await trx('settlements').where({ id: input.settlementId }).update({ confirm_due_date: confirmDueDate });
        return {
          files: SETTLEMENT_FILE_FORMATS.map((format) => {
            const s = stored.find((x) => x.format === format);
            if (!s) throw new Error(`invariant: ${format} file of ${input.settlementId} was not stored`);
            return { format, sha256: s.sha256, bytes: Number(s.bytes) };
          }),
          deliveredAt: isoSeconds(delivered.delivered_at) as string,
          confirmDueDate,
          confirmDeadlineAt: confirmDeadlineAtOf(confirmDueDate),
        };
      });
    });
  }

  return { storeSettlementFiles };
}
