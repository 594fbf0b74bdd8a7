// Heartbeats for activities that are one long statement (the period close's steps): the activity
// beats every HEARTBEAT_EVERY_MS while its work runs, so a worker that dies (SIGKILL, a lost host)
// is noticed by the heartbeat timeout within a minute and the step retried on another worker,
// instead of after the 30-minute start-to-close timeout. The retry is safe: each step checks and
// moves the close's recorded step in its own transaction (activities/period-close.ts).
import { Context } from '@temporalio/activity';

/** Well inside the workflow's heartbeatTimeout (workflows/period.ts). */
export const HEARTBEAT_EVERY_MS = 10_000;

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside a worker (a bench, a unit test): nothing to beat to
  }
}

async function beating<R>(work: () => Promise<R>): Promise<R> {
  const ctx = currentContext();
  if (!ctx) return work();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    ctx.heartbeat();
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** The same activities, each heartbeating while it runs. */
export function heartbeating<T extends Record<string, (input: never) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, (input: never) => beating(() => fn(input))])) as T;
}
