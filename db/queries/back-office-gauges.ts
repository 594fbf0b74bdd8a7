// What the back office has waiting too long, counted for the keeper's gauges (infra/read-model-gauges.ts):
// complaints past their deadline and not resolved, open TRANSFER_NOT_RECEIVED cases (issue 19), and
// mails of the last day that failed for good or whose send was cut by a worker's death (issue 20).
// One statement, reads only.
import type { Knex } from 'knex';

/** Mail outcomes counted over this window before now: a day's failures are news, older ones are on /ops. */
export const MAIL_FAILURES_WINDOW_MS = 24 * 60 * 60_000;

export interface BackOfficeCounts {
  complaintsOverdue: number;
  transferCasesOpen: number;
  mailsFailed: number;
  mailsUncertain: number;
}

export async function countBackOfficeWaiting(db: Knex, now: Date): Promise<BackOfficeCounts> {
  const since = new Date(now.getTime() - MAIL_FAILURES_WINDOW_MS);
  const { rows } = await db.raw<{ rows: Array<{ overdue: string; cases: string; failed: string; uncertain: string }> }>(`
    SELECT (SELECT count(*) FROM complaints WHERE status IN ('open', 'assigned', 'escalated') AND deadline_at < ?) AS overdue,
           (SELECT count(*) FROM complaints WHERE disposition = 'TRANSFER_NOT_RECEIVED' AND status IN ('open', 'assigned', 'escalated')) AS cases,
           (SELECT count(*) FROM mail_deliveries WHERE state = 'failed' AND finished_at >= ?) AS failed,
           (SELECT count(*) FROM mail_deliveries WHERE state = 'uncertain' AND finished_at >= ?) AS uncertain`, [now, since, since]);
  const r = rows[0];
  return { complaintsOverdue: Number(r?.overdue ?? 0), transferCasesOpen: Number(r?.cases ?? 0), mailsFailed: Number(r?.failed ?? 0), mailsUncertain: Number(r?.uncertain ?? 0) };
}
