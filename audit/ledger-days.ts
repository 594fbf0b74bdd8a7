// Ledger audit check on days left behind: a past bank-day with accepted payments that no settlement lists.
import type { Knex } from 'knex';
import { settlementIdOf } from '../domain/identifiers';
import { findUnsettledBankDays } from '../db/queries/unsettled';
import { BREACHES_PER_CHECK_MAX } from './ledger-sql';
import type { LedgerBreach, LedgerScope } from './ledger-types';

export async function unsettledBankDay(db: Knex, scope: LedgerScope, today: string): Promise<LedgerBreach[]> {
  const days = await findUnsettledBankDays(db, today, { bankCode: scope.bank, businessDate: scope.date, limit: BREACHES_PER_CHECK_MAX });
  return days.map((d) => ({
    check: 'unsettled_bank_day',
    subject: `bank-day ${settlementIdOf(d.bankCode, d.businessDate)}`,
    detail: `${d.acceptedCount} accepted payment(s), ${d.acceptedTotal} KZT, on a past bank-day that no settlement lists: settle it (spc settle --bank ${d.bankCode} --date ${d.businessDate})`,
    keys: { bank_code: d.bankCode, business_date: d.businessDate },
  }));
}
