// What a provider's daily register is built from (activities/provider-register.ts): whether every
// bank's list of the day is out, the list lines of the day per provider, and the payment and
// adjustment lines behind each list line. Reads only.
import type { Knex } from 'knex';
import { formatAmount, fromDb } from '../../domain/money';
import type { RegisterAdjustmentLine, RegisterPaymentLine } from '../../domain/provider-register';
import { correctionRef } from '../../domain/correction-types';

/** Why a day's registers cannot be built yet: the bank-days still open, and the lists not yet out. */
export async function registerDayWaitingFor(db: Knex | Knex.Transaction, businessDate: string): Promise<string[]> {
  const { rows } = await db.raw<{ rows: Array<{ what: string }> }>(
    `SELECT 'bank-day ' || bank_code || ' open' AS what FROM bank_days WHERE business_date = ? AND closed_at IS NULL
     UNION ALL
     SELECT 'list ' || s.id || ' not delivered' FROM settlements s
      WHERE s.business_date = ? AND s.delivered_at IS NULL
        AND (s.aggregated_at IS NULL OR EXISTS (SELECT 1 FROM settlement_lines l WHERE l.settlement_id = s.id))
     ORDER BY 1`,
    [businessDate, businessDate],
  );
  return rows.map((r) => r.what);
}

export interface ListLineSource {
  settlementId: string;
  bankCode: string;
  bankName: string;
  bankBic: string;
  executionDate: string;
  deliveredAt: Date;
  providerId: string;
  providerName: string;
  providerIban: string;
  endToEndId: string;
  amount: string;
}

/** Every delivered list line of the day, in provider then bank order. */
export async function listLinesOfDay(db: Knex | Knex.Transaction, businessDate: string): Promise<ListLineSource[]> {
  const rows = await db('settlement_lines as l')
    .join('settlements as s', 's.id', 'l.settlement_id')
    .join('banks as b', 'b.code', 's.bank_code')
    .join('providers as p', 'p.id', 'l.provider_id')
    .where('s.business_date', businessDate)
    .whereNotNull('s.delivered_at')
    .orderBy([{ column: 'l.provider_id' }, { column: 's.bank_code' }])
    .select('s.id as settlement_id', 's.bank_code', 'b.name as bank_name', 'b.bic as bank_bic', 's.execution_date', 's.delivered_at',
      'l.provider_id', 'p.name as provider_name', 'p.iban as provider_iban', 'l.end_to_end_id', 'l.amount');
  return rows.map((r) => ({
    settlementId: r.settlement_id, bankCode: r.bank_code, bankName: r.bank_name, bankBic: r.bank_bic, executionDate: r.execution_date,
    deliveredAt: r.delivered_at, providerId: r.provider_id, providerName: r.provider_name, providerIban: r.provider_iban,
    endToEndId: r.end_to_end_id, amount: formatAmount(fromDb(r.amount)),
  }));
}

function isoSecondsUtc(value: Date): string {
  return `${value.toISOString().slice(0, 19)}Z`;
}

/** Key of a list line's source lines: one bank (or settlement) and one provider. */
export function sourceKey(bankOrSettlement: string, providerId: string): string {
  return `${bankOrSettlement}|${providerId}`;
}

function pushTo<T>(groups: Map<string, T[]>, key: string, value: T): void {
  const group = groups.get(key);
  if (group) group.push(value);
  else groups.set(key, [value]);
}

/**
 * The day's accepted payments of every bank, per allocation to one provider, keyed by
 * sourceKey(bank, provider): the lines each list line aggregated (activities/settlement-aggregate.ts,
 * the same filter), with the reading of the service's meter sent with the payment, if any. One
 * query for the day's banks (one range of payments_bank_day per bank, not one per list line); in each group ordered by paid-at and
 * reference so the bytes are stable.
 */
export async function paymentLinesOfDay(db: Knex | Knex.Transaction, businessDate: string, bankCodes: string[]): Promise<Map<string, RegisterPaymentLine[]>> {
  const { rows } = await db.raw<{ rows: Array<{ bank_code: string; provider_id: string; account_number: string; service_code: string; amount: string; bank_ref: string; channel: string; paid_at: Date; reading: string | null }> }>(
    `SELECT p.bank_code, a.provider_id, p.account_number, a.service_code, a.amount, p.bank_ref, p.channel, p.paid_at,
            (SELECT r.value FROM meter_readings r JOIN meters m ON m.id = r.meter_id
              WHERE r.payment_id = p.id AND m.service_code = a.service_code LIMIT 1) AS reading
       FROM payments p JOIN allocations a ON a.payment_id = p.id
      WHERE p.bank_code = ANY(?) AND p.business_date = ? AND p.status = 'accepted'
      ORDER BY p.bank_code, a.provider_id, p.paid_at, p.bank_ref, a.service_code`,
    [bankCodes, businessDate],
  );
  const groups = new Map<string, RegisterPaymentLine[]>();
  for (const r of rows) {
    pushTo(groups, sourceKey(r.bank_code, r.provider_id), {
      kind: 'payment' as const, account: r.account_number, service: r.service_code, amount: formatAmount(fromDb(r.amount)), bankRef: r.bank_ref,
      channel: r.channel, paidAt: isoSecondsUtc(r.paid_at), reading: r.reading,
    });
  }
  return groups;
}

/** The correction adjustments the given list lines net in, keyed by sourceKey(settlement, provider), in correction order. */
export async function adjustmentLinesOfSettlements(db: Knex | Knex.Transaction, settlementIds: string[]): Promise<Map<string, RegisterAdjustmentLine[]>> {
  const rows = await db('adjustments as a')
    .join('corrections as c', 'c.id', 'a.correction_id')
    .whereIn('a.settlement_id', settlementIds)
    .orderBy([{ column: 'a.settlement_id' }, { column: 'a.provider_id' }, { column: 'c.seq' }])
    .select('a.settlement_id', 'a.provider_id', 'a.amount', 'c.seq', 'c.bank_ref');
  const groups = new Map<string, RegisterAdjustmentLine[]>();
  for (const r of rows) {
    pushTo(groups, sourceKey(r.settlement_id, r.provider_id), { kind: 'adjustment' as const, amount: formatAmount(fromDb(r.amount)), correctionRef: correctionRef(r.seq), bankRef: r.bank_ref });
  }
  return groups;
}

/** The latest version of a provider's register of the day, if any. */
export async function latestProviderRegister(db: Knex | Knex.Transaction, providerId: string, businessDate: string): Promise<{ id: string; version: number; contentSha256: string } | null> {
  const row = await db('provider_registers').where({ provider_id: providerId, business_date: businessDate }).orderBy('version', 'desc').first('id', 'version', 'content_sha256');
  return row ? { id: row.id, version: Number(row.version), contentSha256: row.content_sha256 } : null;
}
