// The SPC worker: runs every workflow and activity on one task queue. Limits are set explicitly
// (TIGER_STYLE): slots sized for a 2-core machine where most time is spent waiting on Postgres.
import { NativeConnection, Worker, bundleWorkflowCode, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import path from 'node:path';
import { createActivities, makeDeps } from '../activities';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';

export const WORKER_LIMITS = {
  maxConcurrentWorkflowTaskExecutions: 64,
  maxConcurrentActivityTaskExecutions: 32,
  maxConcurrentLocalActivityExecutions: 64,
  /** Payment workflows stay open until cut-off; keeping the busiest of them in memory saves replays. */
  maxCachedWorkflows: 4000,
  maxConcurrentWorkflowTaskPolls: 8,
  maxConcurrentActivityTaskPolls: 4,
} as const;

export const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows/index.ts');

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles the workflow code once per process (webpack is slow; tests share one bundle). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundlePromise;
}

export const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  /** Lets activities start or query other workflows (the register workflow submits payments). */
  client?: Client;
  clock?: () => Date;
  /**
   * After shutdown() in-flight activities may run this long before they are cancelled (graceTimeMs),
   * and the worker gives up draining after forceTimeMs (`spc worker` sets both from SPC_SHUTDOWN_GRACE_MS).
   */
  shutdown?: { graceTimeMs: number; forceTimeMs: number };
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities(makeDeps(opts.db, { clock: opts.clock, temporal: opts.client ? { client: opts.client, taskQueue: opts.taskQueue } : undefined })),
    ...WORKER_LIMITS,
    ...(opts.shutdown ? { shutdownGraceTime: opts.shutdown.graceTimeMs, shutdownForceTime: opts.shutdown.forceTimeMs } : {}),
  });
}
