// A provider's registers as its API shows them (GET /v1/provider/registers): always filtered by the
// provider of the key, so one provider never reads another's. Reads only.
import type { Knex } from 'knex';
import { formatAmount, fromDb } from '../../domain/money';
import type { ProviderRegisterFormat } from '../../domain/provider-register';

/** A day has one register per provider, a few versions at most; the cap bounds the answer all the same. */
export const PROVIDER_REGISTERS_LISTED_MAX = 50;

export interface ProviderRegisterSummary {
  id: string;
  businessDate: string;
  version: number;
  lineCount: number;
  total: string;
  createdAt: string;
  banks: Array<{ bankCode: string; settlementId: string; endToEndId: string; lineCount: number; total: string }>;
  files: Array<{ format: ProviderRegisterFormat; sha256: string; bytes: number }>;
}

export async function findProviderRegisters(db: Knex, providerId: string, businessDate: string): Promise<ProviderRegisterSummary[]> {
  const registers = await db('provider_registers').where({ provider_id: providerId, business_date: businessDate })
    .orderBy('version').limit(PROVIDER_REGISTERS_LISTED_MAX).select('id', 'business_date', 'version', 'line_count', 'total', 'created_at');
  if (registers.length === 0) return [];
  const ids = registers.map((r) => r.id as string);
  const banks = await db('provider_register_bank_totals').whereIn('register_id', ids).orderBy(['register_id', 'bank_code'])
    .select('register_id', 'bank_code', 'settlement_id', 'end_to_end_id', 'line_count', 'total');
  const files = await db('provider_register_files').whereIn('register_id', ids).orderBy(['register_id', 'format'])
    .select('register_id', 'format', 'sha256', db.raw('octet_length(content)::int AS bytes'));
  return registers.map((r) => ({
    id: r.id, businessDate: r.business_date, version: Number(r.version), lineCount: Number(r.line_count), total: formatAmount(fromDb(r.total)),
    createdAt: (r.created_at as Date).toISOString(),
    banks: banks.filter((b) => b.register_id === r.id).map((b) => ({
      bankCode: b.bank_code, settlementId: b.settlement_id, endToEndId: b.end_to_end_id, lineCount: Number(b.line_count), total: formatAmount(fromDb(b.total)),
    })),
    files: files.filter((f) => f.register_id === r.id).map((f) => ({ format: f.format, sha256: f.sha256, bytes: Number(f.bytes) })),
  }));
}

/** The stored bytes of one of the provider's registers; null when it is not the provider's or does not exist. */
export async function findProviderRegisterFile(db: Knex, providerId: string, registerId: string, format: ProviderRegisterFormat): Promise<{ content: Buffer; sha256: string } | null> {
  const row = await db('provider_register_files as f').join('provider_registers as r', 'r.id', 'f.register_id')
    .where({ 'r.provider_id': providerId, 'f.register_id': registerId, 'f.format': format }).first('f.content', 'f.sha256');
  return row ? { content: row.content as Buffer, sha256: row.sha256 as string } : null;
}
