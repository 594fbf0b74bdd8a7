// Pure parts of the daily settlement: dates of the payment list, the schedule's spec, the SPC's identity.
import { executionDateFor } from '../../activities/settlement-aggregate';
import { SPC_BIN_DEFAULT, settlementConfigFromEnv } from '../../infra/config';
import { NO_OVERRIDES } from '../../domain/calendar';
import { isValidBin } from '../../domain/identifiers';
import { describedTime, scheduleSpecFor, settlementScheduleId } from '../../infra/schedules';

describe('executionDateFor', () => {
  it('asks for the next business day after the business date', () => {
    expect(executionDateFor('2026-11-26', '2026-11-26', NO_OVERRIDES)).toBe('2026-11-27');
  });

  it('skips a weekend and a holiday', () => {
    const cal = { holidays: new Set(['2026-11-30']), workdays: new Set<string>() };
    expect(executionDateFor('2026-11-27', '2026-11-27', cal)).toBe('2026-12-01');
  });

  it('never asks for a date in the past when the list goes out late', () => {
    expect(executionDateFor('2026-11-23', '2026-11-26', NO_OVERRIDES)).toBe('2026-11-26');
    expect(executionDateFor('2026-11-23', '2026-11-28', NO_OVERRIDES)).toBe('2026-11-30');
  });
});

describe('settlement schedules', () => {
  it('fire daily at the bank\'s cut-off in Asia/Almaty', () => {
    expect(scheduleSpecFor('HSBK', '18:30')).toEqual({
      calendars: [{ hour: 18, minute: 30, comment: 'cut-off of HSBK (18:30 Asia/Almaty)' }],
      timezone: 'Asia/Almaty',
    });
    expect(settlementScheduleId('HSBK')).toBe('settlement-schedule:HSBK');
  });

  it('refuse a cut-off that is not HH:MM, naming the column to fix', () => {
    expect(() => scheduleSpecFor('HSBK', '18.30')).toThrow(/banks.cutoff_local/);
  });

  it('read the fire time back from Temporal\'s description', () => {
    const spec = { calendars: [{ hour: [{ start: 9, end: 9, step: 1 }], minute: [{ start: 5, end: 5, step: 1 }] }] };
    expect(describedTime({ spec } as unknown as Parameters<typeof describedTime>[0])).toBe('09:05');
  });
});

describe('settlementConfigFromEnv', () => {
  it('defaults to a valid placeholder BIN and ALSECO as the initiating party', () => {
    expect(isValidBin(SPC_BIN_DEFAULT)).toBe(true);
    expect(settlementConfigFromEnv({})).toEqual({ spcName: 'АО «ALSECO»', spcBin: SPC_BIN_DEFAULT });
  });

  it('refuses an SPC_BIN that fails the mod-11 check', () => {
    expect(() => settlementConfigFromEnv({ SPC_BIN: '981140000039' })).toThrow(/SPC_BIN/);
  });
});
