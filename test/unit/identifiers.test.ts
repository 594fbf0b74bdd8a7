import { binCheckDigit, isValidBin, isValidKzBic, isValidKzIban, makeKzIban } from '../../domain/identifiers';

describe('KZ IBAN', () => {
  it('accepts an IBAN whose mod-97 check holds', () => {
    const iban = makeKzIban('601', '0000000012345');
    expect(iban).toMatch(/^KZ\d{2}6010000000012345$/);
    expect(isValidKzIban(iban)).toBe(true);
  });

  it('refuses a single changed digit, a wrong length and a foreign country', () => {
    const iban = makeKzIban('722', 'ABC0000012345');
    const changed = iban.slice(0, 10) + (iban[10] === '0' ? '1' : '0') + iban.slice(11);
    expect(isValidKzIban(changed)).toBe(false);
    expect(isValidKzIban(iban.slice(0, 19))).toBe(false);
    expect(isValidKzIban(`DE${iban.slice(2)}`)).toBe(false);
  });
});

describe('BIN / IIN', () => {
  it('computes the check digit with weights 1..11', () => {
    const first11 = '12345678901';
    const check = binCheckDigit(first11);
    expect(check).not.toBeNull();
    expect(isValidBin(`${first11}${check}`)).toBe(true);
    expect(isValidBin(`${first11}${((check ?? 0) + 1) % 10}`)).toBe(false);
  });

  it('uses the second weights 3..11,1,2 when the first sum gives 10', () => {
    // Find a prefix whose first-pass remainder is 10, and check the second pass decides.
    for (let n = 10000000000; n < 10000001000; n++) {
      const s = String(n);
      const first = [...s].reduce((a, d, i) => a + Number(d) * (i + 1), 0) % 11;
      if (first !== 10) continue;
      const second = [...s].reduce((a, d, i) => a + Number(d) * [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2][i]!, 0) % 11;
      expect(binCheckDigit(s)).toBe(second === 10 ? null : second);
      return;
    }
    throw new Error('no prefix with first remainder 10 in range');
  });

  it('refuses non-digits and wrong lengths', () => {
    expect(isValidBin('12345678901')).toBe(false);
    expect(isValidBin('12345678901a')).toBe(false);
  });
});

describe('BIC', () => {
  it.each(['HSBKKZKX', 'CASPKZKA', 'KCJBKZKX', 'IRTYKZKA', 'TSESKZKA'])('accepts %s', (bic) => expect(isValidKzBic(bic)).toBe(true));
  it.each(['HSBKRUMM', 'HSBK', 'hsbkkzkx'])('refuses %s', (bic) => expect(isValidKzBic(bic)).toBe(false));
});
