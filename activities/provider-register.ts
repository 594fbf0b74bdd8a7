// The providers' daily payment registers (issue 19 item 1), built by the last settlement of a
// business day to deliver its list (workflows/settlement.ts, behind a patch), or by an operator
// (`spc provider registers build`). Until every bank-day of the date is closed and every list with
// lines delivered, it builds nothing and says what it waits for. Then, per provider with list lines
// that day, it stores an immutable register: the CSV and camt.054 bytes and one bank total per
// list line. Idempotent: a day whose content did not change keeps its register; one that changed
// (a bank-day settled late) gets the next version, the earlier one stays as what was sent.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import { buildCamt054 } from '../domain/camt054';
import { buildProviderRegisterCsv } from '../domain/provider-register-csv';
import {
  type ProviderRegisterFormat, type ProviderRegisterInput, type RegisterAdjustmentLine, type RegisterBankSection, type RegisterPaymentLine, ProviderRegisterInvariantError,
  assertValidRegister, providerRegisterId, registerLineCount, registerTotal,
} from '../domain/provider-register';
import { formatAmount } from '../domain/money';
import {
  type ListLineSource, adjustmentLinesOfSettlements, latestProviderRegister, listLinesOfDay, paymentLinesOfDay, registerDayWaitingFor, sourceKey,
} from '../db/queries/provider-register-sources';
import { withHeartbeat } from './settlement-support';

/** Failure type of a register whose lines do not add up to the banks' list lines (non-retryable: a bug or a hand-edited row). */
export const PROVIDER_REGISTER_INVALID = 'PROVIDER_REGISTER_INVALID';

export interface BuiltRegister {
  id: string;
  providerId: string;
  total: string;
  lines: number;
  /** False when the stored register already had this content. */
  created: boolean;
}

export type BuildRegistersResult = { status: 'waiting'; waitingFor: string[] } | { status: 'built'; registers: BuiltRegister[] };

function sha256Hex(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The day's payment and adjustment lines, read once for all providers (two queries, not two per list line). */
interface DaySources {
  payments: Map<string, RegisterPaymentLine[]>;
  adjustments: Map<string, RegisterAdjustmentLine[]>;
}

async function daySourcesOf(trx: Knex.Transaction, businessDate: string, lines: ListLineSource[]): Promise<DaySources> {
  const payments = await paymentLinesOfDay(trx, businessDate, [...new Set(lines.map((l) => l.bankCode))]);
  const adjustments = await adjustmentLinesOfSettlements(trx, [...new Set(lines.map((l) => l.settlementId))]);
  return { payments, adjustments };
}

function sectionsOf(sources: DaySources, lines: ListLineSource[]): RegisterBankSection[] {
  return lines.map((l) => ({
    bankCode: l.bankCode, bankName: l.bankName, bankBic: l.bankBic, settlementId: l.settlementId, endToEndId: l.endToEndId,
    executionDate: l.executionDate, listAmount: l.amount,
    lines: [...(sources.payments.get(sourceKey(l.bankCode, l.providerId)) ?? []), ...(sources.adjustments.get(sourceKey(l.settlementId, l.providerId)) ?? [])],
  }));
}

function renderRegister(input: ProviderRegisterInput, version: number): Record<ProviderRegisterFormat, Buffer> {
  try {
    return { csv: Buffer.from(buildProviderRegisterCsv(input), 'utf8'), camt054: Buffer.from(buildCamt054(input, version), 'utf8') };
  } catch (err) {
    if (!(err instanceof ProviderRegisterInvariantError)) throw err;
    throw ApplicationFailure.create({ type: PROVIDER_REGISTER_INVALID, message: err.message, nonRetryable: true });
  }
}

async function storeRegister(trx: Knex.Transaction, input: ProviderRegisterInput, version: number, contentSha256: string): Promise<void> {
  const files = renderRegister(input, version);
  await trx('provider_registers').insert({
    id: input.registerId, provider_id: input.providerId, business_date: input.businessDate, version,
    line_count: registerLineCount(input), total: formatAmount(registerTotal(input)), content_sha256: contentSha256,
  });
  await trx('provider_register_files').insert(Object.entries(files).map(([format, content]) => ({ register_id: input.registerId, format, content, sha256: sha256Hex(content) })));
  await trx('provider_register_bank_totals').insert(input.banks.map((b) => ({
    register_id: input.registerId, bank_code: b.bankCode, settlement_id: b.settlementId, end_to_end_id: b.endToEndId, line_count: b.lines.length, total: b.listAmount,
  })));
}

async function buildOne(trx: Knex.Transaction, businessDate: string, sources: DaySources, lines: ListLineSource[], createdAt: string): Promise<BuiltRegister> {
  const first = lines[0] as ListLineSource;
  const banks = sectionsOf(sources, lines);
  // The content without the register's own id and version: what decides whether a new version is due.
  const contentSha256 = sha256Hex(JSON.stringify({ name: first.providerName, iban: first.providerIban, createdAt, banks }));
  const latest = await latestProviderRegister(trx, first.providerId, businessDate);
  const version = latest ? latest.version + 1 : 1;
  const input: ProviderRegisterInput = {
    registerId: providerRegisterId(first.providerId, businessDate, latest && latest.contentSha256 === contentSha256 ? latest.version : version),
    providerId: first.providerId, providerName: first.providerName, providerIban: first.providerIban, businessDate, createdAt, banks,
  };
  try {
    assertValidRegister(input);
  } catch (err) {
    if (err instanceof ProviderRegisterInvariantError) throw ApplicationFailure.create({ type: PROVIDER_REGISTER_INVALID, message: err.message, nonRetryable: true });
    throw err;
  }
  const summary = { id: input.registerId, providerId: input.providerId, total: formatAmount(registerTotal(input)), lines: registerLineCount(input) };
  if (latest && latest.contentSha256 === contentSha256) return { ...summary, created: false };
  await storeRegister(trx, input, version, contentSha256);
  return { ...summary, created: true };
}

/** Builds (or finds) every provider's register of the day, once the day's lists are all out. */
export async function buildProviderRegistersOf(db: Knex, businessDate: string): Promise<BuildRegistersResult> {
  return db.transaction(async (trx) => {
    // Two settlements delivering the day's last lists at once would both build: one waits here.
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`provider-registers:${businessDate}`]);
    const waitingFor = await registerDayWaitingFor(trx, businessDate);
    if (waitingFor.length > 0) return { status: 'waiting' as const, waitingFor };
    const lines = await listLinesOfDay(trx, businessDate);
    const latestDelivery = lines.reduce((max, l) => (l.deliveredAt > max ? l.deliveredAt : max), new Date(0));
    const createdAt = `${latestDelivery.toISOString().slice(0, 19)}Z`;
    const byProvider = new Map<string, ListLineSource[]>();
    for (const l of lines) {
      const group = byProvider.get(l.providerId);
      if (group) group.push(l);
      else byProvider.set(l.providerId, [l]);
    }
    const sources = await daySourcesOf(trx, businessDate, lines);
    const registers: BuiltRegister[] = [];
    for (const providerLines of byProvider.values()) registers.push(await buildOne(trx, businessDate, sources, providerLines, createdAt));
    return { status: 'built' as const, registers };
  });
}

export function createProviderRegisterActivities(deps: ActivityDeps) {
  async function buildProviderRegisters(input: { businessDate: string }): Promise<BuildRegistersResult> {
    return withHeartbeat(`provider registers of ${input.businessDate}`, () => buildProviderRegistersOf(deps.db, input.businessDate));
  }
  return { buildProviderRegisters };
}
