// The SPC's long-running processes, each runnable alone and in any number: `spc worker`, `spc api`,
// `spc keeper` (the settlement schedules). Each stops gracefully on SIGTERM/SIGINT within
// SPC_SHUTDOWN_GRACE_MS (in-flight requests and tasks finish) and answers /livez and /readyz: the API
// on its own port, worker and keeper on SPC_HEALTH_PORT (or --health-port) when one is set.
import type { Command } from 'commander';
import { portFromEnv } from '../../infra/config';
import { pingDb } from '../../db/connection';
import { PROMETHEUS_CONTENT_TYPE, renderAllMetrics } from '../../infra/metrics';
import { startProbeServer, stopWithin, waitForSignal, type Checks, type ProbeServer } from '../../infra/process';
import { freePort } from '../../infra/temporal-server';
import { installWorkerRuntime, startWorker } from '../../worker/run';
import { configureProcessLogger, processLogger, sdkLevelOf } from '../../infra/log';
import { payloadCodecOf } from '../../infra/temporal-connection';
import { CliError, type Runtime } from '../runtime';
import { startServices } from '../services';

/** JSON lines (infra/log.ts) with the process's role; each command configures the logger first. */
function log(msg: string): void {
  processLogger().info(msg);
}

/** Payloads travel in clear without keys: said once at start, so an installation without them knows. */
function warnIfUnencrypted(rt: Runtime): void {
  if (!rt.payloadKeys()) processLogger().warn('payloads are not encrypted: set SPC_PAYLOAD_KEYS (and SPC_PAYLOAD_KEY_CURRENT) on every process to keep personal data out of Temporal');
}

/** --health-port wins over SPC_HEALTH_PORT; neither: no probe server. */
function healthPortOf(flag: string | undefined, rt: Runtime): number | undefined {
  if (flag === undefined) return rt.config.process.healthPort;
  const port = portFromEnv({ flag }, 'flag');
  if (port === undefined) throw new CliError(`--health-port ${flag} is not a port (0-65535)`);
  return port;
}

async function dependencyChecks(rt: Runtime): Promise<Checks> {
  const db = await rt.appDb(log);
  const { connection } = await rt.temporal();
  return { postgres: () => pingDb(db), temporal: () => connection.workflowService.getSystemInfo({}) };
}

async function maybeProbes(
  rt: Runtime,
  role: string,
  port: number | undefined,
  live: () => boolean,
  ready: Checks,
  sdkMetricsUrl?: string,
): Promise<ProbeServer | undefined> {
  if (port === undefined) return undefined;
  const metricsRoute = async (res: import('node:http').ServerResponse) => {
    const text = await renderAllMetrics(sdkMetricsUrl);
    res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const probes = await startProbeServer({ role, host: rt.config.process.healthHost, port, live, ready, routes: { '/metrics': metricsRoute } });
  log(`${role} probes on ${probes.url}/livez and ${probes.url}/readyz, metrics on ${probes.url}/metrics`);
  return probes;
}

/** Waits for a signal (or the process's own end), then stops within the grace bound; exit code 1 if it did not. */
async function runUntilStopped(rt: Runtime, role: string, probes: ProbeServer | undefined, ended: Promise<unknown>, stop: () => Promise<void>): Promise<void> {
  const why = await Promise.race([waitForSignal(log), ended.then(() => `${role} ended`)]);
  log(`${why}: stopping ${role} (grace ${rt.config.process.shutdownGraceMs} ms)`);
  // Readiness goes 503 first, so a balancer stops sending work while in-flight work finishes.
  probes?.markStopping();
  const clean = await stopWithin(rt.config.process.shutdownGraceMs, stop, log);
  await probes?.close();
  log(clean ? `${role} stopped` : `${role} stopped uncleanly`);
  if (!clean) process.exitCode = 1;
}

export function registerProcessCommands(program: Command, rt: Runtime): void {
  program
    .command('worker')
    .description('run a Temporal worker for the SPC task queue (scale out by running more of these)')
    .option('--health-port <port>', '/livez and /readyz on this port (default SPC_HEALTH_PORT; 0 picks a free one)')
    .action(async (opts: { healthPort?: string }) => {
      configureProcessLogger(rt.config.logLevel, 'worker');
      const port = healthPortOf(opts.healthPort, rt);
      // The SDK's exporter listens on loopback only; /metrics of the probe port serves it with the SPC's.
      const sdkMetricsAddress = port === undefined ? undefined : `127.0.0.1:${await freePort()}`;
      installWorkerRuntime(sdkLevelOf(rt.config.logLevel), { sdkMetricsBindAddress: sdkMetricsAddress });
      warnIfUnencrypted(rt);
      const db = await rt.appDb(log, 'spc worker', 'worker');
      const { client } = await rt.temporal();
      const target = rt.temporalTarget();
      const worker = await startWorker(rt.config, { temporal: target, db, client });
      const probes = await maybeProbes(rt, 'worker', port, () => !['FAILED', 'STOPPED'].includes(worker.state()), {
        ...(await dependencyChecks(rt)),
        worker: async () => {
          if (worker.state() !== 'RUNNING') throw new Error(`worker is ${worker.state()}`);
        },
      }, sdkMetricsAddress ? `http://${sdkMetricsAddress}/metrics` : undefined);
      log(`worker polling task queue ${rt.config.temporal.taskQueue} at ${target.address} (namespace ${target.namespace}); SIGTERM or Ctrl-C stops it`);
      await runUntilStopped(rt, 'worker', probes, worker.done, () => worker.stop());
      // A worker that failed (not one that was asked to stop) fails the process.
      await worker.done;
    });

  program
    .command('api')
    .description('serve the bank API (/v1), the cashier page (/cashier), the operator page (/ops), the docs (/docs) and /livez, /readyz, /health')
    .option('--port <port>', 'port (default PORT or 3000; 0 picks a free one)')
    .option('--host <host>', 'interface (default HOST or 127.0.0.1)')
    .action(async (opts: { port?: string; host?: string }) => {
      configureProcessLogger(rt.config.logLevel, 'api');
      warnIfUnencrypted(rt);
      const port = opts.port === undefined ? rt.config.httpPort : portFromEnv({ port: opts.port }, 'port');
      if (port === undefined) throw new CliError(`--port ${opts.port} is not a port (0-65535)`);
      const cfg = { ...rt.config, httpPort: port, httpHost: opts.host ?? rt.config.httpHost };
      const db = await rt.appDb(log, 'spc api', 'api');
      const { client } = await rt.temporal();
      const services = await startServices({
        cfg, db, client, api: true, schedules: false, temporalUiUrl: rt.endpoints().uiUrl, log, payloadCodec: payloadCodecOf({ payloadKeys: rt.payloadKeys() }),
      });
      log(`bank API on ${services.apiUrl} (docs ${services.apiUrl}/docs, cashier ${services.apiUrl}/cashier); SIGTERM or Ctrl-C stops it`);
      log(`operators: ${services.opsUrl ?? '(no operator page)'}`);
      await runUntilStopped(rt, 'api', undefined, new Promise(() => undefined), () => services.stop());
    });

  program
    .command('keeper')
    .description('keep one Temporal Schedule per bank at its cut-off (the loop `spc up` runs), as a process of its own')
    .option('--health-port <port>', '/livez and /readyz on this port (default SPC_HEALTH_PORT; 0 picks a free one)')
    .action(async (opts: { healthPort?: string }) => {
      configureProcessLogger(rt.config.logLevel, 'keeper');
      const port = healthPortOf(opts.healthPort, rt);
      const db = await rt.appDb(log, 'spc keeper', 'worker');
      const { client } = await rt.temporal();
      const services = await startServices({ cfg: rt.config, db, client, api: false, schedules: true, log });
      const sync = services.scheduleSync;
      if (!sync) throw new Error('the schedule keeper did not start');
      const probes = await maybeProbes(rt, 'keeper', port, () => true, {
        ...(await dependencyChecks(rt)),
        schedules: async () => {
          const last = sync.lastSync();
          if (!last.ok) throw new Error(`last sync ${last.at?.toISOString() ?? 'not yet done'} failed: ${last.error ?? 'unknown'}`);
        },
      });
      log(`schedule keeper running on task queue ${rt.config.temporal.taskQueue}; SIGTERM or Ctrl-C stops it`);
      await runUntilStopped(rt, 'keeper', probes, new Promise(() => undefined), () => services.stop());
    });
}
