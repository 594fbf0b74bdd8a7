// The SPC worker: runs every workflow and activity on one task queue. Limits are set explicitly
// (TIGER_STYLE): slots sized for a 2-core machine where most time is spent waiting on Postgres.
import { NativeConnection, Worker, bundleWorkflowCode, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import path from 'node:path';
import { createActivities, makeDeps, type ActivityConfig } from '../activities';
import { activityLogInterceptor } from './activity-log';
import type { Client, DataConverter } from '@temporalio/client';
import type { Db } from '../db/connection';

export const WORKER_LIMITS = {
  maxConcurrentWorkflowTaskExecutions: 64,
  maxConcurrentActivityTaskExecutions: 32,
  maxConcurrentLocalActivityExecutions: 64,
  /** Payment workflows complete within their first task; the cache serves settlements and registers. */
  maxCachedWorkflows: 1000,
  maxConcurrentWorkflowTaskPolls: 8,
  maxConcurrentActivityTaskPolls: 4,
} as const;

export const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows/index.ts');

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/**
 * Bundles the workflow code once per process, entry file and failure converter (webpack is slow;
 * tests share one bundle). The failure converter runs inside the workflow sandbox, so it is bundled.
 */
export function workflowBundle(workflowsPath = WORKFLOWS_PATH, failureConverterPath?: string): Promise<WorkflowBundleWithSourceMap> {
  const key = `${workflowsPath}\u0000${failureConverterPath ?? ''}`;
  let bundle = bundles.get(key);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: quietBundlerLogger });
    bundles.set(key, bundle);
  }
  return bundle;
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
  /** Another workflows entry (the benchmark's, which adds its ceiling workflow); default the SPC's. */
  workflowsPath?: string;
  /** Activities beside the SPC's (the benchmark's no-op). */
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  /**
   * After shutdown() in-flight activities may run this long before they are cancelled (graceTimeMs),
   * and the worker gives up draining after forceTimeMs (`spc worker` sets both from SPC_SHUTDOWN_GRACE_MS).
   */
  shutdown?: { graceTimeMs: number; forceTimeMs: number };
  /** The activities' configuration (the SPC's identity, complaint deadlines); default: from the environment. */
  config?: ActivityConfig;
  /** The payload codec and failure converter of the target (temporalDataConverter); the client must use the same. */
  dataConverter?: DataConverter;
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(opts.workflowsPath, opts.dataConverter?.failureConverterPath),
    dataConverter: opts.dataConverter,
    activities: {
      ...createActivities(makeDeps(opts.db, { clock: opts.clock, temporal: opts.client ? { client: opts.client, taskQueue: opts.taskQueue } : undefined }), opts.config),
      ...opts.extraActivities,
    },
    interceptors: { activity: [activityLogInterceptor] },
    ...WORKER_LIMITS,
    ...(opts.shutdown ? { shutdownGraceTime: opts.shutdown.graceTimeMs, shutdownForceTime: opts.shutdown.forceTimeMs } : {}),
  });
}
