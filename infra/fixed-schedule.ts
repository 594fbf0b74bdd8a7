// A schedule of the SPC's own, one per installation, at a fixed local time (the monthly period close,
// the daily transfer check): created when missing, moved when its task queue or workflow changed,
// otherwise left alone (an operator's pause stays). Kept by the same sync as the banks' settlement
// schedules (infra/schedules.ts: `spc up`, `spc keeper`).
import { ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';

export interface FixedScheduleDefinition {
  scheduleId: string;
  workflowType: string;
  /** The one workflow id every run takes: SKIP overlap keeps two from running at once. */
  workflowId: string;
  spec: ScheduleSpec;
  catchupWindowMs: number;
  note: string;
  /** For the log: when it fires, in words. */
  firesAt: string;
}

export type FixedScheduleAction = 'created' | 'updated' | 'unchanged';

export async function ensureFixedSchedule(
  client: Client, def: FixedScheduleDefinition, opts: { taskQueue: string; idPrefix?: string; log?: (m: string) => void },
): Promise<FixedScheduleAction> {
  const scheduleId = `${opts.idPrefix ?? ''}${def.scheduleId}`;
  const action = { type: 'startWorkflow' as const, workflowType: def.workflowType, workflowId: def.workflowId, taskQueue: opts.taskQueue, args: [] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: def.catchupWindowMs, pauseOnFailure: false };
  const handle = client.schedule.getHandle(scheduleId);
  const current = await handle.describe().catch((err: Error) => {
    if (err?.name === 'ScheduleNotFoundError') return undefined;
    throw err;
  });
  if (!current) {
    try {
      await client.schedule.create({ scheduleId, spec: def.spec, action, policies, state: { note: def.note } });
      opts.log?.(`schedule ${scheduleId} created: ${def.firesAt}`);
      return 'created';
    } catch (err) {
      if ((err as Error)?.name !== 'ScheduleAlreadyRunning') throw err;
      return 'unchanged';
    }
  }
  if (current.action.type === 'startWorkflow' && current.action.taskQueue === opts.taskQueue && current.action.workflowType === def.workflowType) return 'unchanged';
  await handle.update((prev) => ({ spec: def.spec, action, policies, state: { paused: prev.state.paused, note: prev.state.note } }));
  opts.log?.(`schedule ${scheduleId} updated: task queue ${opts.taskQueue}`);
  return 'updated';
}
