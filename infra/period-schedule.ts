// The monthly schedule of the period close (issue 18 item 4): id `period-schedule`, firing at 01:00
// Asia/Almaty on the 1st of every month. It starts `periodTriggerWorkflow`, which closes the month
// that just ended (workflows/period-trigger.ts). Kept by the same sync as the banks' settlement
// schedules (infra/schedules.ts: `spc up`, `spc keeper`).
import type { Client, ScheduleSpec } from '@temporalio/client';
import { SPC_TIME_ZONE } from '../domain/calendar';
import { ensureFixedSchedule, type FixedScheduleAction } from './fixed-schedule';

export const PERIOD_SCHEDULE_ID = 'period-schedule';
export const PERIOD_TRIGGER_WORKFLOW = 'periodTriggerWorkflow';
/** When the close of the month that ended runs: the night of the 1st, before the day's payments. */
export const PERIOD_CLOSE_AT_LOCAL = { dayOfMonth: 1, hour: 1, minute: 0 } as const;
/** A Temporal outage shorter than this still runs a missed close when the server comes back. */
export const PERIOD_CATCHUP_WINDOW_MS = 14 * 24 * 60 * 60_000;

export const PERIOD_SCHEDULE_SPEC: ScheduleSpec = {
  calendars: [{ ...PERIOD_CLOSE_AT_LOCAL, comment: `close of the month that ended (01:00 ${SPC_TIME_ZONE} on the 1st)` }],
  timezone: SPC_TIME_ZONE,
};

/** Creates the schedule when missing, or moves it to `taskQueue`; returns what it did. */
export function ensurePeriodSchedule(client: Client, opts: { taskQueue: string; idPrefix?: string; log?: (m: string) => void }): Promise<FixedScheduleAction> {
  return ensureFixedSchedule(client, {
    scheduleId: PERIOD_SCHEDULE_ID, workflowType: PERIOD_TRIGGER_WORKFLOW, workflowId: 'period-trigger', spec: PERIOD_SCHEDULE_SPEC,
    catchupWindowMs: PERIOD_CATCHUP_WINDOW_MS, note: 'monthly period close', firesAt: `01:00 ${SPC_TIME_ZONE} on the 1st`,
  }, opts);
}
