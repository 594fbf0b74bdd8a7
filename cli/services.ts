// Long-running services beside the worker: the HTTP API (bank API, cashier, operator page) and the
// settlement schedule keeper. `spc up` starts both; `spc api` and `spc keeper` start one each.
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import type { SpcConfig } from '../infra/config';
import { startScheduleSync, type ScheduleSync } from '../infra/schedules';
import { randomBytes } from 'node:crypto';
import { startApiServer } from '../api/server';

const OPERATOR_TOKEN_BYTES = 18;

export interface Services {
  apiUrl?: string;
  /** The operator page's address with its token, when the API runs. */
  opsUrl?: string;
  /** The schedule keeper's loop, when it runs here. */
  scheduleSync?: ScheduleSync;
  stop(): Promise<void>;
}

export async function startServices(opts: {
  cfg: SpcConfig;
  db: Db;
  client: Client;
  api: boolean;
  /** Run the schedule keeper here (default true); at most one keeper should run per namespace, though more are harmless. */
  schedules?: boolean;
  temporalUiUrl?: string;
  log: (m: string) => void;
}): Promise<Services> {
  const stops: Array<() => Promise<void>> = [];
  let scheduleSync: ScheduleSync | undefined;
  if (opts.schedules !== false) {
    // One settlement schedule per bank at its cut-off, created now and kept in step with changed cut-offs.
    const schedules = await startScheduleSync(opts.client, opts.db, { taskQueue: opts.cfg.temporal.taskQueue, log: opts.log });
    stops.push(() => schedules.stop());
    scheduleSync = schedules;
  }
  let apiUrl: string | undefined;
  let opsUrl: string | undefined;
  if (opts.api) {
    // Without a configured token the operator page gets one for this run only, printed once below,
    // so that a newcomer's /ops works while nothing guessable protects it.
    const operatorToken = opts.cfg.operatorToken ?? randomBytes(OPERATOR_TOKEN_BYTES).toString('base64url');
    const server = await startApiServer({
      db: opts.db, client: opts.client, taskQueue: opts.cfg.temporal.taskQueue, operatorToken, temporalUiUrl: opts.temporalUiUrl,
      host: opts.cfg.httpHost, port: opts.cfg.httpPort, rateLimit: opts.cfg.rateLimit,
    }).catch(async (err: NodeJS.ErrnoException) => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      if (err.code === 'EADDRINUSE') throw new Error(`port ${opts.cfg.httpPort} on ${opts.cfg.httpHost} is in use: set PORT (and HOST) to a free one, or start with --no-api`);
      throw err;
    });
    stops.push(() => server.close());
    apiUrl = opts.cfg.publicBaseUrl ?? server.url;
    opsUrl = `${apiUrl}/ops?token=${encodeURIComponent(operatorToken)}`;
    opts.log(`HTTP API listening on ${server.url}`);
  }
  return {
    apiUrl,
    opsUrl,
    scheduleSync,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
