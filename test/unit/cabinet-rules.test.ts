// The cabinet's pure rules: access codes (shape, normalisation, hash check) and the meter reading
// rules shared with the banks' payments (floor, plausibility cap, readings window).
import { accessCodeMatches, DUMMY_ACCESS_CODE_HASH, hashAccessCode, newAccessCode, normalizeAccessCode } from '../../domain/access-code';
import { isInReadingsWindow, readingsWindowOf } from '../../domain/billing-period';
import { readingFloor, readingProblem } from '../../domain/meter-reading';
import { Money } from '../../domain/money';

describe('access codes', () => {
  it('are 12 unambiguous characters in groups of four, and differ', () => {
    const a = newAccessCode();
    expect(a).toMatch(/^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    expect(newAccessCode()).not.toBe(a);
  });

  it('match as typed in lower case, with spaces, and nothing else', async () => {
    const code = newAccessCode();
    const stored = hashAccessCode(code);
    expect(await accessCodeMatches(code.toLowerCase().replace(/-/g, ' '), stored)).toBe(true);
    expect(await accessCodeMatches(code.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), stored)).toBe(false);
    expect(await accessCodeMatches(code, DUMMY_ACCESS_CODE_HASH)).toBe(false);
    expect(await accessCodeMatches(code, 'sha256$abc')).toBe(false);
    expect(normalizeAccessCode('O0O0-IIII-1111')).toBeNull();
    expect(normalizeAccessCode('x'.repeat(100))).toBeNull();
  });
});

describe('meter reading rules', () => {
  it('take the highest candidate as the floor and refuse below it or above the cap', () => {
    const floor = readingFloor(['1500.000', null, new Money('1600.5'), undefined]);
    expect(floor.toFixed(3)).toBe('1600.500');
    expect(readingProblem(new Money('1600'), floor, 'kWh')?.code).toBe('READING_BELOW_PREVIOUS');
    expect(readingProblem(new Money('1600.5'), floor, 'kWh')).toBeNull();
    expect(readingProblem(new Money('21600.5'), floor, 'kWh')).toBeNull();
    expect(readingProblem(new Money('21600.501'), floor, 'kWh')?.code).toBe('READING_IMPLAUSIBLE');
    expect(readingProblem(new Money('1001'), new Money(0), 'm3')?.code).toBe('READING_IMPLAUSIBLE');
  });

  it('take the configured window days unless the period sets its own, both days included', () => {
    const days = { fromDay: 20, toDay: 25 };
    expect(readingsWindowOf('2026-12', { from: null, to: null }, days)).toEqual({ from: '2026-12-20', to: '2026-12-25' });
    expect(readingsWindowOf('2026-02', { from: '2026-02-10', to: null }, { fromDay: 3, toDay: 15 })).toEqual({ from: '2026-02-10', to: '2026-02-15' });
    const w = readingsWindowOf('2026-12', { from: null, to: null }, days);
    expect([isInReadingsWindow(w, '2026-12-19'), isInReadingsWindow(w, '2026-12-20'), isInReadingsWindow(w, '2026-12-25'), isInReadingsWindow(w, '2026-12-26')]).toEqual([false, true, true, false]);
  });
});
