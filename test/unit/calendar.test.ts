import { addBusinessDays, almatyToUtc, businessDateFor, isBusinessDay, nextBusinessDay, toAlmaty, NO_OVERRIDES } from '../../domain/calendar';

const cal = { holidays: new Set(['2026-12-16', '2026-12-17']), workdays: new Set(['2026-12-19']) };
// Almaty is UTC+5 all year: 13:00 local = 08:00Z.
const at = (localIso: string) => new Date(`${localIso}+05:00`);

describe('business dates in Asia/Almaty', () => {
  it('reads instants in Almaty time (UTC+5)', () => {
    expect(toAlmaty(new Date('2026-11-27T20:30:00Z'))).toEqual({ date: '2026-11-28', time: '01:30:00' });
    expect(almatyToUtc('2026-11-27', '18:00').toISOString()).toBe('2026-11-27T13:00:00.000Z');
  });

  it('keeps a payment before the cut-off on its own business day', () => {
    expect(businessDateFor(at('2026-11-27T17:59:59'), '18:00', NO_OVERRIDES)).toBe('2026-11-27');
  });

  it('moves a payment at or after the cut-off to the next business day, over the weekend', () => {
    expect(businessDateFor(at('2026-11-27T18:00:00'), '18:00', NO_OVERRIDES)).toBe('2026-11-30');
  });

  it('moves a Saturday payment to Monday', () => {
    expect(businessDateFor(at('2026-11-28T10:00:00'), '18:00', NO_OVERRIDES)).toBe('2026-11-30');
  });

  it('skips public holidays (Independence Day) and honours a transferred working Saturday', () => {
    expect(isBusinessDay('2026-12-16', cal)).toBe(false);
    expect(businessDateFor(at('2026-12-15T19:00:00'), '18:00', cal)).toBe('2026-12-18');
    expect(businessDateFor(at('2026-12-18T19:00:00'), '18:00', cal)).toBe('2026-12-19');
  });

  it('moves a payment past a closed bank-day', () => {
    expect(businessDateFor(at('2026-11-27T10:00:00'), '18:00', NO_OVERRIDES, (d) => d === '2026-11-27')).toBe('2026-11-30');
  });

  it('counts business days for confirmation deadlines', () => {
    expect(nextBusinessDay('2026-12-15', cal)).toBe('2026-12-18');
    expect(addBusinessDays('2026-11-27', 3, NO_OVERRIDES)).toBe('2026-12-02');
  });
});
