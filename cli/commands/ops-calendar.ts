// `spc calendar list|add-holiday|add-workday`: the business calendar. Edits are operator actions:
// refused without an operator name and recorded in operator_audit, refusals included.
import type { Command } from 'commander';
import { toAlmaty } from '../../domain/calendar';
import { addCalendarDay, CalendarEditRefused } from '../../db/calendar';
import { calendarDaysOfYear } from '../../db/queries/calendar';
import { REFERENCE_TTL_MS } from '../../activities/reference-cache';
import { operatorOf } from '../operator-action';
import { CliError, printRows, type Runtime } from '../runtime';

export function registerCalendarCommands(program: Command, rt: Runtime): void {
  const calendar = program
    .command('calendar')
    .description('the business calendar: holidays and transferred working days (weekends are off unless listed as workdays)');

  calendar
    .command('list')
    .description('list the holidays and transferred working days of a year')
    .option('--year <yyyy>', 'calendar year (default: this year in Almaty)')
    .option('--json', 'print JSON')
    .action(async (opts: { year?: string; json?: boolean }) => {
      const year = opts.year ?? toAlmaty(new Date()).date.slice(0, 4);
      if (!/^\d{4}$/.test(year)) throw new CliError(`--year must be four digits, got ${year}`);
      const days = await calendarDaysOfYear(await rt.db(), year);
      const weekday = (d: string) => new Date(`${d}T00:00:00Z`).toLocaleDateString('en-GB', { weekday: 'short', timeZone: 'UTC' });
      printRows(days.map((d) => ({ date: d.day, weekday: weekday(d.day), kind: d.kind, name: d.name })), Boolean(opts.json), ['date', 'weekday', 'kind', 'name']);
    });

  for (const kind of ['holiday', 'workday'] as const) {
    calendar
      .command(`add-${kind} <date>`)
      .description(kind === 'holiday'
        ? 'declare a public holiday (no business day: payments that day belong to the next business day)'
        : 'declare a transferred working day (a weekend day that is a business day)')
      .requiredOption('--name <name>', kind === 'holiday' ? 'what the holiday is, e.g. "Курбан айт"' : 'why, e.g. "перенос с 2026-01-05"')
      .option('--operator <name>', 'who does this (default: $SPC_OPERATOR); recorded in operator_audit')
      .action(async (date: string, opts: { name: string; operator?: string }) => {
        const operator = await operatorOf(rt, `calendar add-${kind}`, opts.operator);
        const { previous } = await addCalendarDay(await rt.db(), { date, kind, name: opts.name, operator }).catch((err: unknown) => {
          throw err instanceof CalendarEditRefused ? new CliError(err.message) : err;
        });
        const was = previous ? ` (was ${previous.kind} "${previous.name}")` : '';
        process.stdout.write(`${date} is now a ${kind}: ${opts.name.trim()}${was}. Recorded as ${operator}'s action; workers see it within ${REFERENCE_TTL_MS / 1000} s.\n`);
      });
  }
}
