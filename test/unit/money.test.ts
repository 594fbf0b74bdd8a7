import { InvalidAmountError, Money, formatAmount, fromTiyn, parseAmount, toTiyn } from '../../domain/money';

describe('parseAmount', () => {
  it.each([
    ['1000', '1000.00'],
    ['1000.5', '1000.50'],
    ['0.01', '0.01'],
    ['0', '0.00'],
    ['100000000.00', '100000000.00'],
  ])('reads %s as %s', (input, expected) => {
    expect(formatAmount(parseAmount(input))).toBe(expected);
  });

  it.each([
    ['1000.001', 'more than two fraction digits'],
    ['-5', 'expected digits'],
    ['1e3', 'expected digits'],
    ['1,000.00', 'expected digits'],
    [' 10', 'expected digits'],
    ['01.00', 'expected digits'],
    ['', 'expected digits'],
    ['100000000.01', 'above the limit'],
  ])('refuses %j (%s)', (input, reason) => {
    expect(() => parseAmount(input)).toThrow(InvalidAmountError);
    expect(() => parseAmount(input)).toThrow(reason);
  });

  it('refuses amounts given as JS numbers, so 0.1 + 0.2 can never sneak in', () => {
    expect(() => parseAmount(0.3)).toThrow('decimal strings');
  });
});

describe('tiyn conversions', () => {
  it('round-trips exactly', () => {
    expect(toTiyn(new Money('12345.67'))).toBe(1234567n);
    expect(formatAmount(fromTiyn(1n))).toBe('0.01');
  });

  it('refuses to format a fraction of a tiyn', () => {
    expect(() => formatAmount(new Money('0.005'))).toThrow('whole number of tiyn');
  });
});
