// The ledger audit: invariants of the money data, checked over Postgres as an auditor would, from
// the rows alone. Each check is one SQL query that returns the rows breaking it, so a report
// names every offending payment, transaction or settlement. The database enforces some of these
// too (append-only and balance triggers, unique indexes): the audit re-checks them because a
// trigger can be disabled, a constraint dropped, or a row restored from a bad backup.
import type { Knex } from 'knex';
import { assertBank, assertDate } from './query';
import { checkPaymentListFiles } from './payment-list-files';
import { toAlmaty } from '../domain/calendar';
import { BREACHES_PER_CHECK_MAX } from './ledger-sql';
import { allocationsSum, paymentPostings, paymentTransaction, paymentWorkflow, transactionsBalance } from './ledger-payments';
import { settlementBankDay, settlementFiles, settlementLines, settlementTotals, settlementTransfer, transferMatchesLines } from './ledger-settlements';
import { correctionsPostings, listsAddUp } from './ledger-corrections';
import { masterData } from './ledger-master-data';
import { unsettledBankDay } from './ledger-days';
import { bankDayStuck, excludedWithAdjustments, refundOfFallenPayment, STUCK_AFTER_HOURS_DEFAULT } from './ledger-counted-once';

/** Breaches listed per check before the rest are only counted (kept exported here for its callers). */
export { BREACHES_PER_CHECK_MAX };

export { LEDGER_CHECKS, type LedgerBreach, type LedgerCheckName, type LedgerScope } from './ledger-types';
import type { LedgerBreach, LedgerCheckName, LedgerScope } from './ledger-types';
import { LEDGER_CHECKS } from './ledger-types';

export interface LedgerReport {
  scope: LedgerScope;
  checks: Array<{ name: LedgerCheckName; description: string; breaches: number }>;
  breaches: LedgerBreach[];
  ok: boolean;
}

const SQL_CHECKS: Array<[LedgerCheckName, (db: Knex, scope: LedgerScope) => Promise<LedgerBreach[]>]> = [
  ['allocations_sum', allocationsSum],
  ['transactions_balance', transactionsBalance],
  ['payment_transaction', paymentTransaction],
  ['payment_postings', paymentPostings],
  ['settlement_totals', settlementTotals],
  ['settlement_lines', settlementLines],
  ['settlement_bank_day', settlementBankDay],
  ['transfer_matches_lines', transferMatchesLines],
  ['settlement_transfer', settlementTransfer],
  ['settlement_files', settlementFiles],
  ['payment_list_files', checkPaymentListFiles],
  ['master_data', masterData],
  ['payment_workflow', paymentWorkflow],
  ['corrections_postings', correctionsPostings],
  ['lists_add_up', listsAddUp],
  ['excluded_with_adjustments', excludedWithAdjustments],
  ['refund_of_fallen_payment', refundOfFallenPayment],
];

export interface LedgerAuditOptions {
  /** Adds the Temporal checks (workflow_exists, workflow_has_record) through this function. */
  temporalChecks?: (db: Knex, scope: LedgerScope) => Promise<LedgerBreach[]>;
  /** Wall clock for "before today" (unsettled_bank_day); default now. */
  now?: Date;
  /** Age after which a settlement in closing or discrepancy is a bank_day_stuck breach; default 24 h. */
  stuckAfterHours?: number;
}

/**
 * Runs every check over the scope, reading in one REPEATABLE READ transaction so all checks see
 * the same snapshot even while payments keep arriving (or in the caller's transaction, when `db`
 * is one). Returns the breaches; `ok` when none.
 */
export async function auditLedger(db: Knex, scope: LedgerScope = {}, opts: LedgerAuditOptions = {}): Promise<LedgerReport> {
  if (scope.date) assertDate(scope.date, '--date');
  if (scope.bank) assertBank(scope.bank);
  const byCheck = new Map<LedgerCheckName, LedgerBreach[]>();
  const runAll = async (trx: Knex) => {
    for (const [name, check] of SQL_CHECKS) byCheck.set(name, await check(trx, scope));
    byCheck.set('unsettled_bank_day', await unsettledBankDay(trx, scope, toAlmaty(opts.now ?? new Date()).date));
    byCheck.set('bank_day_stuck', await bankDayStuck(trx, scope, opts.now ?? new Date(), opts.stuckAfterHours ?? STUCK_AFTER_HOURS_DEFAULT));
  };
  // Inside a caller's transaction (a test that corrupts a row and rolls back) the checks see its snapshot.
  if ((db as Knex.Transaction).isTransaction) await runAll(db);
  else await db.transaction(runAll, { isolationLevel: 'repeatable read', readOnly: true });
  if (opts.temporalChecks) {
    for (const breach of await opts.temporalChecks(db, scope)) byCheck.set(breach.check, [...(byCheck.get(breach.check) ?? []), breach]);
    byCheck.set('workflow_exists', byCheck.get('workflow_exists') ?? []);
    byCheck.set('workflow_has_record', byCheck.get('workflow_has_record') ?? []);
  }
  const breaches = [...byCheck.values()].flat();
  return {
    scope,
    checks: [...byCheck.entries()].map(([name, list]) => ({ name, description: LEDGER_CHECKS[name], breaches: list.length })),
    breaches,
    ok: breaches.length === 0,
  };
}
