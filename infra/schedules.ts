// One Temporal Schedule per bank, id `settlement-schedule:<BANK>`, firing daily at the bank's
// cut-off in Asia/Almaty. It starts `settlementTriggerWorkflow`, which works out the business date,
// skips non-business days and starts the settlement `settlement:<BANK>:<date>`. ensureSchedules
// creates missing schedules and updates those whose cut-off (or task queue) changed; `spc up`
// runs it at start and then every SCHEDULE_SYNC_INTERVAL_MS, so a changed cut-off is followed; so does
// `spc keeper`, the same loop as a process of its own.
import { ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleSpec } from '@temporalio/client';
import type { Db } from '../db/connection';
import { SPC_TIME_ZONE } from '../domain/calendar';
import type { SettlementOptions } from '../domain/settlement-types';
import { loadConfig } from './config';
import { scheduleSyncs } from './metrics';
import { ensurePeriodSchedule } from './period-schedule';
import { ensureTransferCheckSchedule } from './transfer-check-schedule';

export const SETTLEMENT_SCHEDULE_ID_PREFIX = 'settlement-schedule:';
export const SETTLEMENT_TRIGGER_WORKFLOW = 'settlementTriggerWorkflow';
/**
 * A Temporal outage shorter than this still fires every missed cut-off when the server comes
 * back; the trigger settles the day the schedule meant (its scheduled time), not the day it ran.
 */
export const SCHEDULE_CATCHUP_WINDOW_MS = 7 * 24 * 60 * 60_000;
/** How often `spc up` re-reads the banks' cut-offs into their schedules. */
export const SCHEDULE_SYNC_INTERVAL_MS = 60_000;
/** Next fire times shown by `spc schedule list`. */
const NEXT_ACTIONS_SHOWN = 3;

export function settlementScheduleId(bankCode: string, prefix = SETTLEMENT_SCHEDULE_ID_PREFIX): string {
  return `${prefix}${bankCode}`;
}

export function scheduleSpecFor(bankCode: string, cutoffLocal: string): ScheduleSpec {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(cutoffLocal);
  if (!m) throw new Error(`bank ${bankCode}: cut-off ${JSON.stringify(cutoffLocal)} is not HH:MM; fix banks.cutoff_local`);
  return {
    calendars: [{ hour: Number(m[1]), minute: Number(m[2]), comment: `cut-off of ${bankCode} (${cutoffLocal} ${SPC_TIME_ZONE})` }],
    timezone: SPC_TIME_ZONE,
  };
}

export interface EnsureSchedulesOptions {
  taskQueue?: string;
  /** Tests give each run its own prefix, so schedules of parallel runs on one server do not collide. */
  idPrefix?: string;
  /** Passed to every settlement the schedule starts (tests shorten timings). */
  settlementOptions?: SettlementOptions;
  log?: (message: string) => void;
}

export interface EnsuredSchedule {
  bankCode: string;
  scheduleId: string;
  cutoffLocal: string;
  action: 'created' | 'updated' | 'unchanged';
}

interface BankCutoff {
  code: string;
  cutoff_local: string;
}

function firstStart(ranges: Array<{ start: number }> | undefined): number | undefined {
  return ranges?.[0]?.start;
}

/** The HH:MM a schedule fires at, as Temporal describes it. */
export function describedTime(desc: Pick<ScheduleDescription, 'spec'>): string | undefined {
  const cal = desc.spec.calendars?.[0];
  const hour = firstStart(cal?.hour);
  const minute = firstStart(cal?.minute);
  if (hour === undefined || minute === undefined) return undefined;
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

function isNotFound(err: unknown): boolean {
  return (err as Error)?.name === 'ScheduleNotFoundError';
}

/** Creates or updates one schedule per bank so that each fires at the bank's current cut-off. */
export async function ensureSchedules(client: Client, db: Db, opts: EnsureSchedulesOptions = {}): Promise<EnsuredSchedule[]> {
  const taskQueue = opts.taskQueue ?? loadConfig().temporal.taskQueue;
  const banks: BankCutoff[] = await db('banks').orderBy('code').select('code', 'cutoff_local');
  const out: EnsuredSchedule[] = [];
  for (const bank of banks) {
    const scheduleId = settlementScheduleId(bank.code, opts.idPrefix);
    const spec = scheduleSpecFor(bank.code, bank.cutoff_local);
    const action = {
      type: 'startWorkflow' as const,
      workflowType: SETTLEMENT_TRIGGER_WORKFLOW,
      workflowId: `settlement-trigger:${bank.code}`,
      taskQueue,
      args: [{ bankCode: bank.code, options: opts.settlementOptions }],
    };
    // ALLOW_ALL: a trigger still waiting (say, for a worker) must not make the next day's run be skipped.
    const policies = { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: SCHEDULE_CATCHUP_WINDOW_MS, pauseOnFailure: false };
    const handle = client.schedule.getHandle(scheduleId);
    let current: ScheduleDescription | undefined;
    try {
      current = await handle.describe();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!current) {
      try {
        await client.schedule.create({ scheduleId, spec, action, policies, state: { note: `settlement of ${bank.code} at its cut-off` } });
        out.push({ bankCode: bank.code, scheduleId, cutoffLocal: bank.cutoff_local, action: 'created' });
        opts.log?.(`schedule ${scheduleId} created: daily at ${bank.cutoff_local} ${SPC_TIME_ZONE}`);
        continue;
      } catch (err) {
        // Another process created it in between: fall through to the comparison.
        if ((err as Error)?.name !== 'ScheduleAlreadyRunning') throw err;
        current = await handle.describe();
      }
    }
    const same =
      describedTime(current) === bank.cutoff_local &&
      current.spec.timezone === SPC_TIME_ZONE &&
      current.action.taskQueue === taskQueue &&
      current.action.workflowType === SETTLEMENT_TRIGGER_WORKFLOW &&
      JSON.stringify(current.action.args ?? []) === JSON.stringify(JSON.parse(JSON.stringify(action.args)));
    if (same) {
      out.push({ bankCode: bank.code, scheduleId, cutoffLocal: bank.cutoff_local, action: 'unchanged' });
      continue;
    }
    await handle.update((prev) => ({ spec, action, policies, state: { paused: prev.state.paused, note: prev.state.note } }));
    out.push({ bankCode: bank.code, scheduleId, cutoffLocal: bank.cutoff_local, action: 'updated' });
    opts.log?.(`schedule ${scheduleId} updated: daily at ${bank.cutoff_local} ${SPC_TIME_ZONE} (was ${describedTime(current) ?? 'unknown'})`);
  }
  return out;
}

export interface ScheduleView {
  bankCode: string;
  scheduleId: string;
  cutoffLocal: string;
  exists: boolean;
  firesAtLocal?: string;
  paused?: boolean;
  note?: string;
  nextActionTimes: string[];
  recentActions: Array<{ scheduledAt: string; takenAt: string; workflowId?: string }>;
}

/** Every bank's schedule as Temporal describes it (or exists = false when it is missing). */
export async function describeSchedules(client: Client, db: Db, opts: { idPrefix?: string; bankCode?: string } = {}): Promise<ScheduleView[]> {
  const query = db('banks').orderBy('code').select('code', 'cutoff_local');
  if (opts.bankCode) query.where({ code: opts.bankCode });
  const banks: BankCutoff[] = await query;
  const views: ScheduleView[] = [];
  for (const bank of banks) {
    const scheduleId = settlementScheduleId(bank.code, opts.idPrefix);
    try {
      const d = await client.schedule.getHandle(scheduleId).describe();
      views.push({
        bankCode: bank.code,
        scheduleId,
        cutoffLocal: bank.cutoff_local,
        exists: true,
        firesAtLocal: describedTime(d),
        paused: d.state.paused,
        note: d.state.note,
        nextActionTimes: d.info.nextActionTimes.slice(0, NEXT_ACTIONS_SHOWN).map((t) => t.toISOString()),
        recentActions: d.info.recentActions.map((a) => ({
          scheduledAt: a.scheduledAt.toISOString(),
          takenAt: a.takenAt.toISOString(),
          workflowId: a.action?.workflow?.workflowId,
        })),
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      views.push({ bankCode: bank.code, scheduleId, cutoffLocal: bank.cutoff_local, exists: false, nextActionTimes: [], recentActions: [] });
    }
  }
  return views;
}

export interface ScheduleSync {
  stop(): Promise<void>;
  /** The last sync's outcome: readiness of the keeper (a keeper that cannot sync is not doing its job). */
  lastSync(): { ok: boolean; at?: Date; error?: string };
}

/** Ensures the schedules now and then every intervalMs; stop() ends the loop. Errors are logged, not thrown. */
export async function startScheduleSync(client: Client, db: Db, opts: EnsureSchedulesOptions & { intervalMs?: number } = {}): Promise<ScheduleSync> {
  const log = opts.log ?? (() => undefined);
  let last: ReturnType<ScheduleSync['lastSync']> = { ok: false };
  const sync = () =>
    ensureSchedules(client, db, { ...opts, log })
      .then(() => ensurePeriodSchedule(client, { taskQueue: opts.taskQueue ?? loadConfig().temporal.taskQueue, idPrefix: opts.idPrefix, log }))
      .then(() => ensureTransferCheckSchedule(client, { taskQueue: opts.taskQueue ?? loadConfig().temporal.taskQueue, idPrefix: opts.idPrefix, log }))
      .then(
        () => {
          last = { ok: true, at: new Date() };
          scheduleSyncs.inc({ outcome: 'ok' });
        },
        (err: Error) => {
          last = { ok: false, at: new Date(), error: err.message };
          scheduleSyncs.inc({ outcome: 'failed' });
          log(`settlement, period and transfer-check schedules: ${err.message}`);
        },
      );
  let running: Promise<void> = sync();
  await running;
  const timer = setInterval(() => {
    running = sync();
  }, opts.intervalMs ?? SCHEDULE_SYNC_INTERVAL_MS);
  timer.unref();
  return {
    lastSync: () => last,
    stop: async () => {
      clearInterval(timer);
      // A sync in flight finishes: a schedule update is never cut in half by a stop.
      await running;
    },
  };
}
