// The daily schedule of the TRANSFER_NOT_RECEIVED check (issue 19): id `transfer-check-schedule`,
// firing at 09:00 Asia/Almaty every day, when the providers' back offices have reported the
// previous day's statements. It starts `transferCheckWorkflow` (workflows/transfer-check.ts), which
// raises a case for every list line a bank confirmed N working days ago that its provider has not
// reported received (client/transfer-cases.ts; `spc provider transfers check` does the same by hand).
// Kept by the same sync as the banks' settlement schedules (infra/schedules.ts).
import type { Client, ScheduleSpec } from '@temporalio/client';
import { SPC_TIME_ZONE } from '../domain/calendar';
import { ensureFixedSchedule, type FixedScheduleAction } from './fixed-schedule';

export const TRANSFER_CHECK_SCHEDULE_ID = 'transfer-check-schedule';
export const TRANSFER_CHECK_WORKFLOW = 'transferCheckWorkflow';
export const TRANSFER_CHECK_AT_LOCAL = { hour: 9, minute: 0 } as const;
/** A missed day's check still runs after an outage this long; one run catches up every day it missed. */
export const TRANSFER_CHECK_CATCHUP_WINDOW_MS = 24 * 60 * 60_000;

export const TRANSFER_CHECK_SCHEDULE_SPEC: ScheduleSpec = {
  calendars: [{ ...TRANSFER_CHECK_AT_LOCAL, comment: `transfers the providers did not report received (09:00 ${SPC_TIME_ZONE})` }],
  timezone: SPC_TIME_ZONE,
};

export function ensureTransferCheckSchedule(client: Client, opts: { taskQueue: string; idPrefix?: string; log?: (m: string) => void }): Promise<FixedScheduleAction> {
  return ensureFixedSchedule(client, {
    scheduleId: TRANSFER_CHECK_SCHEDULE_ID, workflowType: TRANSFER_CHECK_WORKFLOW, workflowId: 'transfer-check', spec: TRANSFER_CHECK_SCHEDULE_SPEC,
    catchupWindowMs: TRANSFER_CHECK_CATCHUP_WINDOW_MS, note: 'daily TRANSFER_NOT_RECEIVED check', firesAt: `daily at 09:00 ${SPC_TIME_ZONE}`,
  }, opts);
}
