// Schedule commands: schedule list/pause/unpause/trigger, the per-bank settlement schedules (daily at
// each bank's cut-off, Asia/Almaty). Changes name their operator and are audited.
import type { Command } from 'commander';
import { describeSchedules, settlementScheduleId } from '../../infra/schedules';
import { audited, operatorOf } from '../operator-action';
import { CliError, printRows, Runtime } from '../runtime';

function registerScheduleList(schedule: Command, rt: Runtime): void {
  schedule
    .command('list')
    .description('every bank\'s schedule: cut-off, paused, next runs, last runs')
    .option('--bank <code>', 'only this bank')
    .option('--json', 'print JSON')
    .action(async (opts: { bank?: string; json?: boolean }) => {
      const { client } = await rt.temporal();
      const views = await describeSchedules(client, await rt.db(), { bankCode: opts.bank });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
        return;
      }
      printRows(
        views.map((v) => ({
          bank: v.bankCode,
          schedule: v.scheduleId,
          cutoff: v.cutoffLocal,
          fires: v.exists ? v.firesAtLocal : '(missing: run spc keeper or spc up)',
          paused: v.exists ? (v.paused ? `yes: ${v.note ?? ''}` : 'no') : '',
          next: v.nextActionTimes[0] ?? '',
          last: v.recentActions[v.recentActions.length - 1]?.takenAt ?? '',
        })),
        false,
      );
    });
}

type ScheduleVerb = 'pause' | 'unpause' | 'trigger';

function registerScheduleChange(schedule: Command, rt: Runtime, verb: ScheduleVerb): void {
  schedule
    .command(verb)
    .description(
      verb === 'trigger'
        ? 'fire the schedule now: its trigger settles today\'s bank-day at (or after) the bank\'s cut-off'
        : `${verb} the settlement schedule of one bank (--bank) or of every bank`,
    )
    .option('--bank <code>', 'only this bank (default: every bank)')
    .option('--note <text>', 'why (shown in schedule list and the Temporal UI)')
    .option('--operator <name>', 'who does this (or SPC_OPERATOR)')
    .action(async (opts: { bank?: string; note?: string; operator?: string }) => {
      const operator = await operatorOf(rt, `schedule ${verb}`, opts.operator);
      const { client } = await rt.temporal();
      const views = await describeSchedules(client, await rt.db(), { bankCode: opts.bank });
      if (views.length === 0) throw new CliError(opts.bank ? `no bank ${opts.bank}` : 'no banks');
      for (const v of views) {
        if (!v.exists) throw new CliError(`schedule ${v.scheduleId} does not exist: spc up creates the schedules`);
        const handle = client.schedule.getHandle(settlementScheduleId(v.bankCode));
        const note = `${opts.note ?? verb} (by ${operator})`;
        await audited(rt, operator, `schedule ${verb}`, { bank: v.bankCode, note: opts.note ?? null }, async () => {
          if (verb === 'pause') await handle.pause(note);
          else if (verb === 'unpause') await handle.unpause(note);
          else await handle.trigger();
        });
        process.stdout.write(`${verb}${verb.endsWith('e') ? 'd' : 'ed'} ${v.scheduleId}\n`);
      }
    });
}

export function registerScheduleCommands(program: Command, rt: Runtime): void {
  const schedule = program.command('schedule').description('the per-bank settlement schedules (daily at each bank\'s cut-off, Asia/Almaty)');
  registerScheduleList(schedule, rt);
  for (const verb of ['pause', 'unpause', 'trigger'] as const) registerScheduleChange(schedule, rt, verb);
}
