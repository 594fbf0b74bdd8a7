// The reconciliation rule (domain/reconciliation.ts): registers against the accepted payments.
import { declaredOf, ownRegisterDates, registerDiscrepancies, type RegisterTally } from '../../domain/reconciliation';

const own = (id: string, declaredCount: number, declaredTotal: string, status = 'done'): RegisterTally => ({
  id, declaredCount, declaredTotal, status, ownDay: true, liveCount: 0, liveTotal: '0.00', newerIds: [],
});

describe('registerDiscrepancies', () => {
  it('finds none when the day\'s registers declare what was accepted', () => {
    expect(registerDiscrepancies([own('HSBK:a', 2, '1000.00'), own('HSBK:b', 1, '500.50')], { count: 3, total: '1500.50' })).toEqual([]);
  });

  it('compares the day\'s registers together: count and total, posted minus declared', () => {
    expect(registerDiscrepancies([own('HSBK:a', 3, '1500.00')], { count: 2, total: '1000.00' })).toEqual([
      { kind: 'payment_count', declared: '3', posted: '2', difference: '-1' },
      { kind: 'payment_total', declared: '1500.00', posted: '1000.00', difference: '-500.00' },
    ]);
  });

  it('compares a late register on its own, against its live rows, and flags one still processing', () => {
    const late: RegisterTally = { id: 'HSBK:late', declaredCount: 2, declaredTotal: '200.00', status: 'processing', ownDay: false, liveCount: 1, liveTotal: '100.00', newerIds: [] };
    expect(registerDiscrepancies([late], { count: 0, total: '0.00' })).toEqual([
      { kind: 'register_count', registerId: 'HSBK:late', declared: '2', posted: '1', difference: '-1' },
      { kind: 'register_total', registerId: 'HSBK:late', declared: '200.00', posted: '100.00', difference: '-100.00' },
      { kind: 'register_processing', registerId: 'HSBK:late', message: expect.stringContaining('still being processed') },
    ]);
  });
});

describe('declaredOf', () => {
  it('sums what every register declared, exactly', () => {
    expect(declaredOf([own('HSBK:a', 1, '0.10'), own('HSBK:b', 2, '0.20')])).toEqual({ registerIds: ['HSBK:a', 'HSBK:b'], declaredCount: 3, declaredTotal: '0.30' });
  });

  it('counts a register replaced by a newer version in the same settlement once, as the newer one', () => {
    const v1 = { ...own('HSBK:v1', 2, '200.00'), newerIds: ['HSBK:v2'] };
    const v2 = own('HSBK:v2', 2, '250.00');
    expect(declaredOf([v1, v2])).toEqual({ registerIds: ['HSBK:v2'], declaredCount: 2, declaredTotal: '250.00' });
    expect(registerDiscrepancies([v1, v2], { count: 2, total: '250.00' })).toEqual([]);
  });

  it('keeps a register whose newer version another settlement reconciles', () => {
    const v1 = { ...own('HSBK:v1', 2, '200.00'), newerIds: ['HSBK:late'] };
    expect(declaredOf([v1])).toEqual({ registerIds: ['HSBK:v1'], declaredCount: 2, declaredTotal: '200.00' });
  });
});

describe('ownRegisterDates', () => {
  const cal = { holidays: new Set(['2026-12-16']), workdays: new Set<string>() };
  it('is the day alone after a business day', () => {
    expect(ownRegisterDates('2026-12-09', cal)).toEqual(['2026-12-09']);
  });
  it('takes the weekend into Monday', () => {
    expect(ownRegisterDates('2026-12-07', cal)).toEqual(['2026-12-07', '2026-12-06', '2026-12-05']);
  });
  it('takes a holiday into the next business day', () => {
    expect(ownRegisterDates('2026-12-17', cal)).toEqual(['2026-12-17', '2026-12-16']);
  });
  it('leaves a transferred working Saturday to its own settlement', () => {
    expect(ownRegisterDates('2026-12-07', { ...cal, workdays: new Set(['2026-12-05']) })).toEqual(['2026-12-07', '2026-12-06']);
  });
});
