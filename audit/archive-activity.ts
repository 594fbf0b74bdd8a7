// archiveBankDay as a Temporal activity, for the settlement workflow to call once a bank-day is
// settled. Wiring: add `...createArchiveActivities(deps)` to activities/index.ts, and in the
// workflow `proxyActivities<ArchiveActivities>({ startToCloseTimeout: '30 minutes',
// heartbeatTimeout: '1 minute' }).archiveBankDayActivity({ bankCode, businessDate })`.
// The activity heartbeats per history written, so a day of a million payments may take long
// without timing out, and a retry after a crash rewrites the same files (the export is idempotent).
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ActivityDeps } from '../activities/deps';
import { archiveDirFromEnv } from '../infra/config';
import { archiveBankDay } from './archive';

export interface ArchiveBankDayInput {
  bankCode: string;
  businessDate: string;
}

export interface ArchiveBankDayOutput {
  dir: string;
  workflows: number;
}

export function createArchiveActivities(deps: Pick<ActivityDeps, 'db' | 'temporal'>, root: string = archiveDirFromEnv()) {
  async function archiveBankDayActivity(input: ArchiveBankDayInput): Promise<ArchiveBankDayOutput> {
    if (!deps.temporal) throw ApplicationFailure.create({ type: 'ARCHIVE_UNAVAILABLE', message: 'the worker was started without a Temporal client (WorkerOptions.client): archives need one', nonRetryable: true });
    try {
      const result = await archiveBankDay(deps.temporal.client, deps.db, input.bankCode, input.businessDate, root, {
        onProgress: (written) => Context.current().heartbeat(written),
      });
      return { dir: result.dir, workflows: result.manifest.count };
    } catch (err) {
      // Not closed / no such bank-day: retrying cannot help; the workflow decides.
      if ((err as Error)?.name === 'ArchiveError') throw ApplicationFailure.create({ type: 'ARCHIVE_REFUSED', message: (err as Error).message, nonRetryable: true });
      throw err;
    }
  }
  return { archiveBankDayActivity };
}

export type ArchiveActivities = ReturnType<typeof createArchiveActivities>;
