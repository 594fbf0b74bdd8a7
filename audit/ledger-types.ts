// The ledger audit's names and shapes, apart from its checks, so that a check family in its own
// file (payment-list-files.ts) and the audit (ledger.ts) both import them without a circle.
export const LEDGER_CHECKS = {
  allocations_sum: 'every payment\'s allocations sum to its amount',
  transactions_balance: 'every ledger transaction has postings whose debits equal their credits',
  payment_transaction: 'every payment has exactly one \'payment\' ledger transaction; cancelled and excluded ones exactly one reversal, accepted ones none',
  payment_postings: 'each payment\'s ledger postings equal its amount (bank debit) and its allocations per provider (credits); a reversal mirrors them',
  settlement_totals: 'each settlement\'s totals equal its bank-day\'s posted payments minus reversals, and its lines sum to its net total',
  settlement_lines: 'each settlement line equals what its bank-day\'s ledger owes that provider',
  settlement_bank_day: 'each settlement is the one of its bank-day (id BANK:DATE), closed that bank-day, and no payment was posted to the day after its close',
  transfer_matches_lines: 'a settlement\'s transfer transaction pays each provider its line and debits nothing else',
  settlement_transfer: 'a settled settlement with lines has exactly one transfer transaction, and one that is not settled has none',
  settlement_files: 'a delivered, overdue or settled settlement with lines has both payment lists (pain.001 and CSV)',
  payment_list_files: 'the payment lists (CSV and pain.001 XML) carry exactly the settlement\'s lines and totals (group header and PmtInf), pay each provider\'s IBAN of the master data, and match their stored SHA-256',
  master_data: 'every bank\'s and provider\'s IBAN passes mod-97 and BIN its check digit, and each provider\'s BIC is the one of the bank its IBAN names',
  payment_workflow: 'every payment row names the workflow run that wrote it',
  corrections_postings: 'every applied correction is in the ledger as it says: reposted ones reversed their payment (and posted a replacement), adjusted ones have one correction transaction equal to their adjustments; no correction transaction without its applied correction',
  lists_add_up: 'per bank, the lists over all days equal the net of the days\' payments plus the adjustments netted in, each settlement\'s adjustments total matches them, and all adjustments equal what the correction transactions owe the providers',
  excluded_with_adjustments: 'no excluded or cancelled payment has a correction whose adjustments are still pending for a list',
  refund_of_fallen_payment: 'no applied refund is of a payment that no longer stands (cancelled, excluded, or a duplicate complaint\'s payment already cancelled)',
  unsettled_bank_day: 'no accepted payment sits on a bank-day before today that no settlement lists or is listing',
  bank_day_stuck: 'no settlement stays in closing or discrepancy longer than the configured age (default 24 h)',
  workflow_exists: '(--temporal) every payment\'s workflow run exists in Temporal',
  workflow_has_record: '(--temporal) every completed payment workflow has its payment row, every failed one its rejection row',
} as const;
export type LedgerCheckName = keyof typeof LEDGER_CHECKS;

export interface LedgerBreach {
  check: LedgerCheckName;
  /** The offending row, e.g. "payment 42 HSBK/ref-7 (2026-11-27)" or "settlement HSBK:2026-11-27". */
  subject: string;
  detail: string;
  /** Keys of the row(s), for tools. */
  keys: Record<string, unknown>;
}

export interface LedgerScope {
  /** Business date (YYYY-MM-DD); unset: every date. */
  date?: string;
  bank?: string;
}
