// Integer tiyn (domain/tiyn.ts): the settlement workflow's sums, the seed's and the register parser's
// amounts. The old workflow sum read "-1.50" as -0.50 and wrote -50 tiyn as "-.50".
import Decimal from 'decimal.js';
import { formatTiyn, parseTiyn, sumTiynText } from '../../domain/tiyn';
import { sumAmounts } from '../../workflows/settlement-rules';

describe('tiyn', () => {
  it('reads and writes negative amounts exactly', () => {
    expect(parseTiyn('-1.50')).toBe(-150n);
    expect(parseTiyn('-0.5')).toBe(-50n);
    expect(formatTiyn(-50n)).toBe('-0.50');
    expect(formatTiyn(0n)).toBe('0.00');
    expect(sumAmounts(['-1.50', '0.25'])).toBe('-1.25');
  });

  it('sums as decimal.js does, to the tiyn', () => {
    const amounts = ['1000.00', '-300.10', '0.01', '99999999.99', '-0.99', '12.3'];
    expect(sumTiynText(amounts)).toBe(amounts.reduce((s, a) => s.plus(a), new Decimal(0)).toFixed(2));
    expect(sumAmounts([])).toBe('0.00');
  });

  it('refuses what is not an amount', () => {
    for (const bad of ['', '1.234', '1,50', '+1', '1e3', ' 1', '--1']) expect(() => parseTiyn(bad)).toThrow(RangeError);
  });
});
