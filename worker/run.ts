// Runs a worker against endpoints that already exist (used by `spc worker` and `spc up`).
import { DefaultLogger, Runtime as TemporalRuntime, makeTelemetryFilterString, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { processLogger, writeSdkEntry } from '../infra/log';
import { setSdkMetricsUrl } from '../infra/metrics';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import type { SpcConfig } from '../infra/config';
import { connectNativeTemporal, temporalDataConverter, type TemporalTarget } from '../infra/temporal-connection';
import { createWorker } from './worker';

let runtimeInstalled = false;

/**
 * A rejected payment fails its workflow on purpose (see workflows/payment.ts), and that is the only
 * way a payment workflow fails: bugs fail workflow tasks, which retry. The SDK reports each failed
 * workflow as a warning with a stack; for a business rejection one short line is enough. (The error
 * crosses a worker-thread boundary on its way here and loses its `type`, so the workflow type decides.)
 */
class BusinessAwareLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (message === 'Workflow failed' && meta?.workflowType === 'paymentWorkflow') {
      const error = meta.error as { message?: string } | undefined;
      super.log('INFO', `payment rejected: ${String(meta.workflowId)}: ${error?.message ?? ''}`, {
        workflowId: meta.workflowId, runId: meta.runId, workflowType: meta.workflowType, sdkComponent: meta.sdkComponent,
      });
      return;
    }
    super.log(level, message, meta);
  }
}

/** The SDK's lines, with their workflow and activity metadata, as JSON lines of the process logger (infra/log.ts). */
const toProcessLog = (entry: { level: LogLevel; message: string; meta?: LogMetadata }) => writeSdkEntry(processLogger(), entry.level, entry.message, entry.meta);

/**
 * Installs the SDK Runtime once per process. With sdkMetricsBindAddress (host:port) the SDK exports
 * its own metrics (workflow and activity task latencies, slots, polls, failures) in the Prometheus
 * format there, and every /metrics of the process (infra/metrics.ts) serves them behind the SPC's:
 * the probe port's of `spc worker`, the API's of `spc up`.
 */
export function installWorkerRuntime(level: LogLevel = 'ERROR', opts: { sdkMetricsBindAddress?: string } = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  if (opts.sdkMetricsBindAddress) setSdkMetricsUrl(`http://${opts.sdkMetricsBindAddress}/metrics`);
  TemporalRuntime.install({
    logger: new BusinessAwareLogger(level, toProcessLog),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) },
      ...(opts.sdkMetricsBindAddress ? { metrics: { prometheus: { bindAddress: opts.sdkMetricsBindAddress, useSecondsForDurations: true } } } : {}),
    },
  });
}

export interface RunningWorker {
  stop(): Promise<void>;
  done: Promise<void>;
  /** RUNNING while it polls; readiness of `spc worker`. */
  state(): string;
}

/** Of the shutdown grace, the part left for in-flight activities; the rest lets the worker report back. */
const ACTIVITY_DRAIN_SHARE = 0.8;

export async function startWorker(cfg: SpcConfig, opts: { temporal: TemporalTarget; db: Db; client: Client }): Promise<RunningWorker> {
  // The same factory and target as the client's: mTLS files, API key and namespace header included.
  const connection = await connectNativeTemporal(opts.temporal);
  const graceMs = cfg.process.shutdownGraceMs;
  const worker = await createWorker({
    connection,
    namespace: cfg.temporal.namespace,
    taskQueue: cfg.temporal.taskQueue,
    db: opts.db,
    client: opts.client,
    config: cfg,
    dataConverter: temporalDataConverter(opts.temporal),
    shutdown: { graceTimeMs: Math.floor(graceMs * ACTIVITY_DRAIN_SHARE), forceTimeMs: graceMs },
  });
  const done = worker.run().finally(() => connection.close());
  return {
    done,
    state: () => worker.getState(),
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
