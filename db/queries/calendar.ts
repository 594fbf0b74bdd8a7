// The business calendar's overrides (holidays, transferred working days): the one read every entrance
// and the workers share. Weekends are off unless listed as workdays (domain/calendar.ts).
import type { Knex } from 'knex';
import type { CalendarOverrides } from '../../domain/calendar';

export interface CalendarDay {
  day: string;
  kind: 'holiday' | 'workday';
  name: string;
}

/** Every override, as the calendar rules take them. */
export async function loadCalendarOverrides(db: Knex): Promise<CalendarOverrides> {
  const days = (await db('calendar_days').select('day', 'kind')) as Array<Pick<CalendarDay, 'day' | 'kind'>>;
  return {
    holidays: new Set(days.filter((d) => d.kind === 'holiday').map((d) => d.day)),
    workdays: new Set(days.filter((d) => d.kind === 'workday').map((d) => d.day)),
  };
}

/** The overrides of one calendar year, by date. */
export async function calendarDaysOfYear(db: Knex, year: string): Promise<CalendarDay[]> {
  return (await db('calendar_days').whereBetween('day', [`${year}-01-01`, `${year}-12-31`]).orderBy('day').select('day', 'kind', 'name')) as CalendarDay[];
}
