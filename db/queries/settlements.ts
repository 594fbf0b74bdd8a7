// The settlement read model: one home for every entrance (the bank API, `spc settlement`) that shows
// a settlement, its lines, its stored files and its webhook. The settlement workflow writes these
// rows (activities/settlement-*.ts); nothing here changes them.
import type { Knex } from 'knex';

/** A bank's settlements listed at most per answer, newest first. */
export const SETTLEMENT_LIST_MAX = 100;

export interface SettlementRow {
  id: string;
  bank_code: string;
  business_date: string;
  status: string;
  payment_count: number;
  payments_total: string;
  reversal_count: number;
  reversals_total: string;
  net_total: string;
  discrepancies: unknown[];
  excluded_refs: string[];
  execution_date: string | null;
  confirm_due_date: string | null;
  msg_id: string | null;
  created_at: Date;
  aggregated_at: Date | null;
  delivered_at: Date | null;
  confirmed_at: Date | null;
  settled_at: Date | null;
}

export const SETTLEMENT_COLUMNS = [
  'id', 'bank_code', 'business_date', 'status', 'payment_count', 'payments_total', 'reversal_count', 'reversals_total', 'net_total', 'discrepancies',
  'excluded_refs', 'execution_date', 'confirm_due_date', 'msg_id', 'created_at', 'aggregated_at', 'delivered_at', 'confirmed_at', 'settled_at',
];

export type SettlementFileFormat = 'pain001' | 'csv';

/** One settlement of one bank (the API's view: a bank sees only its own). */
export async function findBankSettlement(db: Knex, id: string, bankCode: string): Promise<SettlementRow | undefined> {
  return (await db('settlements').where({ id, bank_code: bankCode }).first(SETTLEMENT_COLUMNS)) as SettlementRow | undefined;
}

/** A bank's settlements, newest first, at most SETTLEMENT_LIST_MAX; one business date if given. */
export async function listBankSettlements(db: Knex, bankCode: string, businessDate?: string): Promise<SettlementRow[]> {
  const query = db('settlements').where({ bank_code: bankCode }).orderBy('business_date', 'desc').limit(SETTLEMENT_LIST_MAX).select(SETTLEMENT_COLUMNS);
  if (businessDate) query.andWhere({ business_date: businessDate });
  return (await query) as SettlementRow[];
}

/** The whole settlements row, every column (the operator's view; the typed ones are those it prints). */
export type SettlementRecord = SettlementRow & { alert: string | null };

export async function findSettlementRecord(db: Knex, id: string): Promise<SettlementRecord | undefined> {
  return db('settlements').where({ id }).first();
}

/** The list's lines with the provider's requisites, in line order. */
export async function settlementLinesOf(db: Knex, settlementId: string) {
  return db('settlement_lines as l')
    .join('providers as p', 'p.id', 'l.provider_id')
    .where({ 'l.settlement_id': settlementId })
    .orderBy('l.line_no')
    .select('l.line_no', 'l.provider_id', 'p.name', 'p.bin', 'p.iban', 'p.bic', 'p.knp', 'l.amount', 'l.payment_count', 'l.end_to_end_id', 'l.transfer_ref', 'l.confirmed_at', 'l.adjustment_amount', 'l.adjustment_refs');
}

/** The stored files' formats, hashes and sizes (not their bytes), by format. */
export async function settlementFileSummaries(db: Knex, settlementId: string): Promise<Array<{ format: SettlementFileFormat; sha256: string; bytes: number; created_at: Date }>> {
  return db('settlement_files').where({ settlement_id: settlementId }).orderBy('format').select('format', 'sha256', db.raw('octet_length(content)::int AS bytes'), 'created_at');
}

/** One stored file, byte for byte as issued. */
export async function settlementFile(db: Knex, settlementId: string, format: SettlementFileFormat): Promise<{ content: Buffer; sha256: string } | undefined> {
  return db('settlement_files').where({ settlement_id: settlementId, format }).first('content', 'sha256');
}

/** A webhook delivery row, every column (the typed ones are those the CLI prints). */
export interface WebhookDeliveryRecord {
  url: string;
  attempts: number;
  delivered_at: Date | null;
  last_status: number | null;
  last_error: string | null;
}

/** The settlement's webhook delivery, if the bank has a webhook. */
export async function settlementWebhookDelivery(db: Knex, settlementId: string): Promise<WebhookDeliveryRecord | undefined> {
  return db('webhook_deliveries').where({ settlement_id: settlementId }).first();
}
