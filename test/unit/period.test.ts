// Billing periods (domain/period.ts): the next and previous month across a year, the due date of
// the next invoice moved off weekends and holidays, and the month the schedule closes.
import { invoiceDueDate, isPeriod, nextPeriod, periodLastDay, periodToCloseOn, previousPeriod, periodWorkflowId } from '../../domain/period';
import { periodPostings } from '../../activities/period-ledger';

describe('billing periods', () => {
  it('name months, their neighbours and last days', () => {
    expect(['2026-12', '2027-01'].every(isPeriod)).toBe(true);
    expect(['2026-13', '2026-1', '2026-12-01', 202612].some(isPeriod)).toBe(false);
    expect(nextPeriod('2026-12')).toBe('2027-01');
    expect(previousPeriod('2027-01')).toBe('2026-12');
    expect(periodLastDay('2028-02')).toBe('2028-02-29');
    expect(periodWorkflowId('2026-12')).toBe('period:2026-12');
    expect(periodToCloseOn('2027-01-01')).toBe('2026-12');
  });

  it('make the invoice due the 25th of the next month, or the next business day', () => {
    const none = { holidays: new Set<string>(), workdays: new Set<string>() };
    expect(invoiceDueDate('2026-12', none)).toBe('2027-01-25'); // a Monday
    expect(invoiceDueDate('2027-03', none)).toBe('2027-04-26'); // the 25th is a Sunday
    expect(invoiceDueDate('2026-12', { holidays: new Set(['2027-01-25']), workdays: new Set() })).toBe('2027-01-26');
  });
});

describe('the period ledger transaction', () => {
  it('balances, swaps sides for negative figures and posts nothing for zero', () => {
    const postings = periodPostings([
      { provider_id: 'AES', opening: '100.00', billed: '-20.50', collected: '0' },
      { provider_id: 'ALMATY_SU', opening: '0', billed: '900.00', collected: '300.10' },
    ], true);
    expect(postings).toEqual([
      { account: 'receivable:AES', debit: '100.00', credit: '0' }, { account: 'opening:AES', debit: '0', credit: '100.00' },
      { account: 'billed:AES', debit: '20.50', credit: '0' }, { account: 'receivable:AES', debit: '0', credit: '20.50' },
      { account: 'receivable:ALMATY_SU', debit: '900.00', credit: '0' }, { account: 'billed:ALMATY_SU', debit: '0', credit: '900.00' },
      { account: 'collected:ALMATY_SU', debit: '300.10', credit: '0' }, { account: 'receivable:ALMATY_SU', debit: '0', credit: '300.10' },
    ]);
    expect(periodPostings([{ provider_id: 'AES', opening: '5.00', billed: '0', collected: '0' }], false)).toEqual([]);
  });
});
