// The period's ledger transaction: the households' receivables per provider (issue 18 item 6).
// Per provider, from the close's balances:
//   billed     Σ(charged + recalculated)  receivable:<P> debit  / billed:<P> credit
//   collected  Σ(paid − corrected)        collected:<P> debit  / receivable:<P> credit
//   opening    Σ opening (first close)    receivable:<P> debit  / opening:<P> credit
// A negative figure posts the other way round. So receivable:<P>'s balance after a close is the
// households' Σ closing with that provider, which `spc audit period` checks against the balances.
import { Money, ZERO, formatAmount, fromDb } from '../domain/money';

export interface ProviderTotals {
  provider_id: string;
  opening: string;
  billed: string;
  collected: string;
}

export interface Posting {
  account: string;
  debit: string;
  credit: string;
}

/** Debit `debitAccount` by `amount` (credit `creditAccount`); a negative amount swaps the sides; zero posts nothing. */
function pair(amount: Money, debitAccount: string, creditAccount: string): Posting[] {
  if (amount.isZero()) return [];
  const [dr, cr] = amount.isPositive() ? [debitAccount, creditAccount] : [creditAccount, debitAccount];
  const value = formatAmount(amount.abs());
  return [{ account: dr, debit: value, credit: '0' }, { account: cr, debit: '0', credit: value }];
}

/** The postings of a period's transaction; `first`: the close that found the opening balances. */
export function periodPostings(totals: readonly ProviderTotals[], first: boolean): Posting[] {
  const postings: Posting[] = [];
  for (const t of totals) {
    const p = t.provider_id;
    if (first) postings.push(...pair(fromDb(t.opening), `receivable:${p}`, `opening:${p}`));
    postings.push(...pair(fromDb(t.billed), `receivable:${p}`, `billed:${p}`));
    postings.push(...pair(fromDb(t.collected), `collected:${p}`, `receivable:${p}`));
  }
  const debit = postings.reduce((s, x) => s.add(x.debit), ZERO as Money);
  const credit = postings.reduce((s, x) => s.add(x.credit), ZERO as Money);
  if (!debit.eq(credit)) throw new Error(`invariant: period postings do not balance: debit ${debit.toFixed(2)} credit ${credit.toFixed(2)}`);
  return postings;
}
