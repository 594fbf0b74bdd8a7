// Calendar edits: an operator action, written in one transaction with its audit record. The rule
// that guards them lives here with the write, so every entrance (today `spc calendar`) applies it.
import type { Knex } from 'knex';
import { isWeekend } from '../domain/calendar';
import { isRealDate } from '../domain/instant';
import { recordOperatorAction } from './operator-audit';

export const CALENDAR_NAME_CHARS_MAX = 100;

export interface CalendarEdit {
  date: string;
  kind: 'holiday' | 'workday';
  name: string;
  operator: string;
}

/** An edit the calendar refuses; already recorded in operator_audit when thrown. */
export class CalendarEditRefused extends Error {
  override name = 'CalendarEditRefused';
}

/** Why the edit would be wrong, or null. A business date with bank-days cannot become a holiday: its payments would move. */
async function refusalOf(db: Knex, edit: CalendarEdit, name: string): Promise<string | null> {
  if (!name || name.length > CALENDAR_NAME_CHARS_MAX) return `--name must be 1-${CALENDAR_NAME_CHARS_MAX} characters, e.g. "Курбан айт"`;
  if (edit.kind === 'workday' && !isWeekend(edit.date)) {
    const holiday = await db('calendar_days').where({ day: edit.date, kind: 'holiday' }).first('name');
    if (!holiday) return `${edit.date} is a weekday and not a holiday: it is a working day already`;
  }
  if (edit.kind === 'holiday') {
    const used = await db('bank_days').where({ business_date: edit.date }).count<{ n: string }[]>({ n: '*' }).first();
    if (Number(used?.n ?? 0) > 0) return `payments are already posted to business date ${edit.date} (${used?.n} bank-day(s)): it cannot become a holiday now`;
  }
  return null;
}

/** Adds (or renames) a calendar override with its audit record; refusals are recorded too. */
export async function addCalendarDay(db: Knex, edit: CalendarEdit): Promise<{ previous: { kind: string; name: string } | null }> {
  if (!isRealDate(edit.date)) throw new CalendarEditRefused(`<date> must be a date as YYYY-MM-DD, got ${JSON.stringify(edit.date)}`);
  const action = `calendar.add-${edit.kind}`;
  const name = edit.name.trim();
  const refusal = await refusalOf(db, edit, name);
  if (refusal) {
    await recordOperatorAction(db, { operator: edit.operator, action, args: { date: edit.date, name: edit.name }, outcome: `refused: ${refusal}` });
    throw new CalendarEditRefused(refusal);
  }
  return db.transaction(async (trx) => {
    const previous = (await trx('calendar_days').where({ day: edit.date }).forUpdate().first('kind', 'name')) ?? null;
    await trx('calendar_days').insert({ day: edit.date, kind: edit.kind, name }).onConflict('day').merge(['kind', 'name']);
    await recordOperatorAction(trx, { operator: edit.operator, action, args: { date: edit.date, name, previous } });
    return { previous };
  });
}
