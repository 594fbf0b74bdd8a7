// Runs a worker against endpoints that already exist (used by `spc worker` and `spc up`).
import { NativeConnection, Runtime as TemporalRuntime, makeTelemetryFilterString } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import type { SpcConfig } from '../infra/config';
import { createWorker } from './worker';

let runtimeInstalled = false;

/** Quieter SDK logs: rejected payments are expected business outcomes, not worker warnings. */
export function installWorkerRuntime(level: 'WARN' | 'INFO' | 'ERROR' = 'ERROR'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  TemporalRuntime.install({
    logger: new (require('@temporalio/worker').DefaultLogger)(level),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
}

export interface RunningWorker {
  stop(): Promise<void>;
  done: Promise<void>;
}

export async function startWorker(cfg: SpcConfig, opts: { address: string; db: Db; client: Client }): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({
    address: opts.address,
    tls: cfg.temporal.tls === undefined ? undefined : cfg.temporal.tls === true ? true : undefined,
    apiKey: cfg.temporal.apiKey,
  });
  const worker = await createWorker({ connection, namespace: cfg.temporal.namespace, taskQueue: cfg.temporal.taskQueue, db: opts.db, client: opts.client });
  const done = worker.run().finally(() => connection.close());
  return {
    done,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
