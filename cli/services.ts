// Long-running services that `spc up` starts beside the worker: the HTTP API (bank API, cashier,
// operator page) and the settlement schedules. Each is optional so `spc up` works while they grow.
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import type { SpcConfig } from '../infra/config';
import { startScheduleSync } from '../infra/schedules';

export interface Services {
  apiUrl?: string;
  stop(): Promise<void>;
}

export async function startServices(opts: { cfg: SpcConfig; db: Db; client: Client; api: boolean; log: (m: string) => void }): Promise<Services> {
  const stops: Array<() => Promise<void>> = [];
  // One settlement schedule per bank at its cut-off, created now and kept in step with changed cut-offs.
  const schedules = await startScheduleSync(opts.client, opts.db, { taskQueue: opts.cfg.temporal.taskQueue, log: opts.log });
  stops.push(() => schedules.stop());
  const apiUrl: string | undefined = undefined;
  void opts;
  return {
    apiUrl,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
