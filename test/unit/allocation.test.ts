import { splitProportionally, stillDueOf, NothingToSplitError } from '../../domain/allocation';
import { Money, formatAmount, sum } from '../../domain/money';

/** A line nothing was paid on yet, unless `still` says what is left of its amount due. */
const line = (service: string, due: string, charged = due, still = due) => ({ service, amountDue: new Money(due), stillDue: new Money(still), charged: new Money(charged) });
const shares = (total: string, lines: ReturnType<typeof line>[]) =>
  Object.fromEntries(splitProportionally(new Money(total), lines).map((s) => [s.service, formatAmount(s.amount)]));

describe('splitProportionally', () => {
  it('splits 1000.00 over a three-service invoice to exactly 1000.00', () => {
    const result = splitProportionally(new Money('1000.00'), [line('ELEC', '3000.00'), line('CWATER', '1000.00'), line('SEWER', '500.00')]);
    expect(result.map((s) => [s.service, formatAmount(s.amount)])).toEqual([
      ['ELEC', '666.67'],
      ['CWATER', '222.22'],
      ['SEWER', '111.11'],
    ]);
    expect(formatAmount(sum(result.map((s) => s.amount)))).toBe('1000.00');
  });

  it('gives the one tiyn of 0.01 over three equal services to the first', () => {
    expect(shares('0.01', [line('A', '10.00'), line('B', '10.00'), line('C', '10.00')])).toEqual({ A: '0.01' });
  });

  it('gives 0.02 over three equal services to the first two', () => {
    expect(shares('0.02', [line('A', '10.00'), line('B', '10.00'), line('C', '10.00')])).toEqual({ A: '0.01', B: '0.01' });
  });

  it('gives leftover tiyn to the largest remainders, not to the first lines', () => {
    // 1.00 over 1:1:1 → 0.333.. each; the leftover tiyn goes to the first (equal remainders, equal weights).
    expect(shares('1.00', [line('A', '1.00'), line('B', '1.00'), line('C', '1.00')])).toEqual({ A: '0.34', B: '0.33', C: '0.33' });
    // 10.00 over 1:2 → 3.333.. and 6.666..: the larger remainder (.666) takes the tiyn.
    expect(shares('10.00', [line('A', '1.00'), line('B', '2.00')])).toEqual({ A: '3.33', B: '6.67' });
  });

  it('pays the full amount due exactly when the total equals it', () => {
    expect(shares('1234.56', [line('A', '1000.00'), line('B', '234.56')])).toEqual({ A: '1000.00', B: '234.56' });
  });

  it('spreads an overpayment in the same proportion (credit toward next month)', () => {
    expect(shares('3000.00', [line('A', '1000.00'), line('B', '500.00')])).toEqual({ A: '2000.00', B: '1000.00' });
  });

  it('gives nothing to a service with nothing due (already overpaid)', () => {
    expect(shares('100.00', [line('A', '0.00', '50.00'), line('B', '300.00')])).toEqual({ B: '100.00' });
  });

  it('falls back to the month\'s charges when nothing is due anywhere', () => {
    expect(shares('30.00', [line('A', '0.00', '100.00'), line('B', '0.00', '200.00')])).toEqual({ A: '10.00', B: '20.00' });
  });

  it('refuses when nothing is due or charged', () => {
    expect(() => splitProportionally(new Money('10.00'), [line('A', '0.00', '0.00')])).toThrow(NothingToSplitError);
  });

  it('always sums to the payment, over many awkward totals', () => {
    const lines = [line('A', '1234.57'), line('B', '0.03'), line('C', '999.99'), line('D', '17.00'), line('E', '3.33')];
    for (let tiyn = 1; tiyn < 5000; tiyn += 37) {
      const total = new Money(tiyn).div(100);
      const result = splitProportionally(total, lines);
      expect(sum(result.map((s) => s.amount)).eq(total)).toBe(true);
      expect(result.every((s) => s.amount.gt(0) && s.amount.mul(100).isInteger())).toBe(true);
    }
  });

  it('splits by what is still due once part of the invoice was paid', () => {
    // ELEC 3000 due, 2500 of it paid: 500 left; CWATER 1000 and SEWER 500 untouched.
    expect(shares('1000.00', [line('ELEC', '3000.00', '3000.00', '500.00'), line('CWATER', '1000.00'), line('SEWER', '500.00')]))
      .toEqual({ ELEC: '250.00', CWATER: '500.00', SEWER: '250.00' });
  });

  it('gives nothing to a line paid in full while others still ask for money', () => {
    expect(shares('100.00', [line('A', '1000.00', '1000.00', '0.00'), line('B', '500.00', '500.00', '200.00')])).toEqual({ B: '100.00' });
  });

  it('splits an overpayment of a fully paid invoice by the amounts due, as before any payment', () => {
    expect(shares('300.00', [line('A', '1000.00', '1000.00', '0.00'), line('B', '500.00', '500.00', '0.00')])).toEqual({ A: '200.00', B: '100.00' });
  });

  it('always sums to the payment when splitting by what is still due', () => {
    const lines = [line('A', '1234.57', '1234.57', '0.01'), line('B', '0.03', '0.03', '0.03'), line('C', '999.99', '999.99', '333.33')];
    for (let tiyn = 1; tiyn < 5000; tiyn += 41) {
      const total = new Money(tiyn).div(100);
      expect(sum(splitProportionally(total, lines).map((s) => s.amount)).eq(total)).toBe(true);
    }
  });
});

describe('stillDueOf', () => {
  it('is the amount due less what was paid, never below zero', () => {
    expect(formatAmount(stillDueOf(new Money('1000.00'), new Money('250.50')))).toBe('749.50');
    expect(formatAmount(stillDueOf(new Money('1000.00'), new Money('1000.00')))).toBe('0.00');
    expect(formatAmount(stillDueOf(new Money('1000.00'), new Money('1500.00')))).toBe('0.00');
  });
});
