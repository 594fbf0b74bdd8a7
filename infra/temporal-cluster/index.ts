// The self-hosted Temporal server (go.temporal.io/server v1.29.1) on Postgres persistence with several
// history shards and mTLS everywhere: what an SPC deploys when it outgrows the dev server. Used by
// `spc up --engine server` (startTemporalCluster), `npm run test:cluster` and the benchmarks
// (startThrowawayCluster).
//
// The steps are those of a real deployment, on one machine: the binaries are built from Go modules
// (scripts/ensure-temporal-server.sh), the schema is set up by Temporal's own SQL tool, certificates
// are made with openssl (a CA and one certificate for server and client auth), the YAML configuration
// is generated, the `default` namespace and the SPC's search attributes are registered.
//
// The parts, one file each: binaries.ts (build), schema.ts (databases), certs.ts (openssl),
// server-config.ts (YAML), ports.ts; this file starts, prepares and stops the server.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type SpcConfig, type TemporalConfig } from '../config';
import { connectTemporal, type TemporalTarget } from '../temporal-connection';
import { ensureNamespace, ensureSearchAttributes, SPC_SEARCH_ATTRIBUTES } from '../temporal-server';
import { ensureTemporalServerBinaries, TEMPORAL_SERVER_VERSION, type ClusterBinaries } from './binaries';
import { CLUSTER_TLS_SERVER_NAME, ensureClusterCertificates, type ClusterCertificates } from './certs';
import { readTail, TemporalClusterError } from './errors';
import { freePorts } from './ports';
import { logStartLine, openPrivateLog } from '../private-log';
import { CLUSTER_HISTORY_SHARDS, clusterConfigYaml, clusterDynamicConfigYaml } from './server-config';
import { clusterDatabases, dropClusterDatabases, postgresEndpointOf, setupClusterSchema, type ClusterDatabases, type PostgresEndpoint } from './schema';

export { ensureTemporalServerBinaries, TEMPORAL_SERVER_VERSION, type ClusterBinaries } from './binaries';
export { CERT_VALIDITY_DAYS, CLUSTER_TLS_SERVER_NAME, ensureClusterCertificates, type ClusterCertificates } from './certs';
export { TemporalClusterError } from './errors';
export { clusterDatabases, dropClusterDatabases, postgresEndpointOf, setupClusterSchema, type ClusterDatabases, type PostgresEndpoint } from './schema';
export {
  CLUSTER_DEFAULT_STORE_MAX_CONNS,
  CLUSTER_HISTORY_SHARDS,
  CLUSTER_VISIBILITY_STORE_MAX_CONNS,
  clusterConfigYaml,
  clusterDynamicConfigYaml,
  type ClusterConfigInput,
  type ClusterPorts,
} from './server-config';

/** Postgres visibility keeps custom search attributes in fixed columns: ten Keyword ones at most. */
export const POSTGRES_VISIBILITY_MAX_KEYWORD_ATTRIBUTES = 10;
/** Ready in 1-2.5 s on a quiet machine; a loaded 2-core box needs more. */
export const CLUSTER_READY_TIMEOUT_MS = 90_000;
/** SIGTERM stops it in 2-4 s; after this it is killed. */
export const CLUSTER_STOP_GRACE_MS = 20_000;
/** A newly registered search attribute reaches the services' caches within ~2 s; give it this long. */
export const SEARCH_ATTRIBUTE_SETTLE_TIMEOUT_MS = 30_000;
const POLL_MS = 250;

if (SPC_SEARCH_ATTRIBUTES.length > POSTGRES_VISIBILITY_MAX_KEYWORD_ATTRIBUTES) {
  throw new Error(`the SPC registers ${SPC_SEARCH_ATTRIBUTES.length} Keyword search attributes; Postgres visibility holds at most ${POSTGRES_VISIBILITY_MAX_KEYWORD_ATTRIBUTES}`);
}

export interface ClusterOptions {
  /** Names the databases (temporal_<name>) and the state directory; lower-case letters, digits, _. */
  name: string;
  /** State (config, certificates, log, pid file) goes to <dataDir>/temporal-cluster/<name>. */
  dataDir: string;
  cacheDir: string;
  projectRoot: string;
  /** Any URL of the Postgres to keep Temporal's databases in (its database part is ignored). */
  postgresUrl: string;
  namespace: string;
  retentionDays: number;
  /** gRPC frontend port; 0 or omitted picks a free one. */
  port?: number;
  log: (m: string) => void;
}

export interface RunningCluster {
  address: string;
  namespace: string;
  pid?: number;
  logFile: string;
  certs: ClusterCertificates;
  databases: ClusterDatabases;
  /** What a process needs to connect: config.temporal with the address and the mTLS files. */
  temporal: Pick<TemporalConfig, 'address' | 'tls'> & { address: string };
  /** The same, as the environment variables infra/config.ts reads (for child processes). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Kills a server left by a run that died before stopping it (its pid file, if still that binary). */
function killLeftover(pidFile: string, log: (m: string) => void): void {
  const pid = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : '');
  if (!pid) return;
  try {
    if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('temporal-server')) {
      log(`stopping a Temporal server left by an earlier run (pid ${pid})`);
      process.kill(pid, 'SIGKILL');
    }
  } catch {
    // Not running any more.
  }
  fs.rmSync(pidFile, { force: true });
}

/**
 * A workflow started right after its search attributes were registered can fail with "no mapping
 * defined" until every service's cache has them. This starts (and terminates) a probe workflow that
 * sets all of them, until it is accepted, so the first payment does not hit that window.
 */
async function waitForSearchAttributes(target: TemporalTarget, taskQueue: string): Promise<void> {
  const { client, connection } = await connectTemporal(target);
  const deadline = Date.now() + SEARCH_ATTRIBUTE_SETTLE_TIMEOUT_MS;
  try {
    for (let attempt = 0; ; attempt++) {
      const workflowId = `spc-search-attribute-probe-${process.pid}-${attempt}`;
      try {
        const handle = await client.workflow.start('spcSearchAttributeProbe', {
          workflowId,
          taskQueue: `${taskQueue}-probe`,
          searchAttributes: Object.fromEntries(SPC_SEARCH_ATTRIBUTES.map((name) => [name, ['probe']])),
        });
        await handle.terminate('search attribute probe');
        return;
      } catch (err) {
        // "no mapping defined for search attribute" while the caches fill; anything else persists past the deadline.
        if (Date.now() > deadline) throw err;
        await sleep(POLL_MS * 4);
      }
    }
  } finally {
    await connection.close();
  }
}

interface ServerProcess {
  child: ChildProcess;
  /** Rejects when the binary cannot be run at all. */
  spawnFailed: Promise<never>;
  stop(): Promise<void>;
}

/** Starts the server binary on the generated configuration, its output into logFile. */
function spawnServer(binaries: ClusterBinaries, dir: string, files: { logFile: string; pidFile: string }, log: (m: string) => void): ServerProcess {
  const args = ['--root', dir, '--config', 'config', '--env', 'spc', '--allow-no-auth', 'start'];
  const logFd = openPrivateLog(files.logFile);
  logStartLine(logFd, binaries.server, args);
  // Output goes to a file, not a pipe: the server must not depend on this process reading it.
  const child = spawn(binaries.server, args, { stdio: ['ignore', logFd, logFd], cwd: dir });
  fs.closeSync(logFd);
  if (child.pid) fs.writeFileSync(files.pidFile, String(child.pid));
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new TemporalClusterError(`cannot run ${binaries.server}: ${err.message}`, files.logFile))),
  );
  spawnFailed.catch(() => undefined); // observed by the caller's race; never an unhandled rejection
  const stop = async (): Promise<void> => {
    if (!exited(child)) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, CLUSTER_STOP_GRACE_MS))) {
        log(`Temporal server (pid ${child.pid}) ignored SIGTERM for ${CLUSTER_STOP_GRACE_MS / 1000} s; killing it`);
        child.kill('SIGKILL');
        await waitForExit(child, CLUSTER_STOP_GRACE_MS);
      }
    }
    fs.rmSync(files.pidFile, { force: true });
  };
  return { child, spawnFailed, stop };
}

/**
 * Waits until the server serves the namespace with the SPC's search attributes. The frontend answers
 * before history and matching have joined; registering the namespace is the first call that needs
 * all of them, so it is retried until the deadline.
 */
async function prepareNamespace(server: ServerProcess, target: TemporalTarget, opts: ClusterOptions, logFile: string): Promise<void> {
  const deadline = Date.now() + CLUSTER_READY_TIMEOUT_MS;
  for (;;) {
    const { child } = server;
    if (exited(child)) {
      throw new TemporalClusterError(`the Temporal server exited during startup (${child.exitCode ?? child.signalCode}); its log ${logFile} ends with:\n${readTail(logFile)}`, logFile);
    }
    try {
      const { connection } = await connectTemporal(target);
      try {
        await connection.workflowService.getSystemInfo({});
        await ensureNamespace(connection, opts.namespace, opts.retentionDays, opts.log);
        await ensureSearchAttributes(connection, opts.namespace, opts.log);
      } finally {
        await connection.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        throw new TemporalClusterError(
          `the Temporal server did not become ready within ${CLUSTER_READY_TIMEOUT_MS / 1000} s (${(err as Error).message}); its log ${logFile} ends with:\n${readTail(logFile)}`,
          logFile,
        );
      }
      await sleep(POLL_MS * 2);
    }
  }
  await waitForSearchAttributes(target, target.taskQueue);
}

/** Writes the server's configuration and dynamic config into dir for the ports, databases and certificates. */
async function writeServerConfig(dir: string, pg: PostgresEndpoint, dbs: ClusterDatabases, certs: ClusterCertificates, frontendPort?: number): Promise<number> {
  const ports = await freePorts(frontendPort);
  const dynamicConfigFile = path.join(dir, 'dynamicconfig.yaml');
  fs.writeFileSync(dynamicConfigFile, clusterDynamicConfigYaml());
  fs.mkdirSync(path.join(dir, 'config'), { recursive: true });
  // Mode 0600: the file carries the Postgres password.
  fs.writeFileSync(path.join(dir, 'config', 'spc.yaml'), clusterConfigYaml({ ports, pg, dbs, certs, dynamicConfigFile }), { mode: 0o600 });
  return ports.frontend;
}

/** What a process needs to reach the cluster, as configuration and as environment variables. */
function connectionOf(address: string, namespace: string, certs: ClusterCertificates): Pick<RunningCluster, 'temporal' | 'env'> {
  const tls = { serverRootCACertPath: certs.caFile, clientCertPath: certs.certFile, clientKeyPath: certs.keyFile, serverNameOverride: CLUSTER_TLS_SERVER_NAME };
  return {
    temporal: { address, tls },
    env: {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TLS_CA: certs.caFile,
      TEMPORAL_TLS_CERT: certs.certFile,
      TEMPORAL_TLS_KEY: certs.keyFile,
      TEMPORAL_TLS_SERVER_NAME: CLUSTER_TLS_SERVER_NAME,
    },
  };
}

/** Starts after a lost port race before giving up; each start picks new ports. */
export const CLUSTER_START_ATTEMPTS_MAX = 3;
const PORT_RACE_RE = /bind: address already in use/;

function logSizeBytes(logFile: string): number {
  return fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
}
/** Whether the log, from fromBytes on (what this start wrote), says a port was taken. */
function lostPortRace(logFile: string, fromBytes: number): boolean {
  if (!fs.existsSync(logFile)) return false;
  return PORT_RACE_RE.test(fs.readFileSync(logFile).subarray(fromBytes).toString('utf8'));
}

/** Builds (once), sets up and starts a Temporal server with mTLS; resolves when the namespace is usable. */
export async function startTemporalCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const dbs = clusterDatabases(opts.name);
  const dir = path.join(opts.dataDir, 'temporal-cluster', opts.name);
  fs.mkdirSync(dir, { recursive: true });
  const files = { pidFile: path.join(dir, 'server.pid'), logFile: path.join(dir, 'server.log') };
  killLeftover(files.pidFile, opts.log);

  const binaries = await ensureTemporalServerBinaries(opts, opts.log);
  const pg = postgresEndpointOf(opts.postgresUrl);
  const schemaStartedAt = Date.now();
  await setupClusterSchema(binaries, pg, dbs, opts.log);
  opts.log(`Temporal schema ready in ${dbs.default} and ${dbs.visibility} (${Date.now() - schemaStartedAt} ms)`);
  const certs = await ensureClusterCertificates(path.join(dir, 'certs'));

  const startedAt = Date.now();
  for (let attempt = 1; ; attempt++) {
    const logStartBytes = logSizeBytes(files.logFile);
    const address = `127.0.0.1:${await writeServerConfig(dir, pg, dbs, certs, opts.port)}`;
    const connection = connectionOf(address, opts.namespace, certs);
    const server = spawnServer(binaries, dir, files, opts.log);
    try {
      const target: TemporalTarget = { ...connection.temporal, namespace: opts.namespace, taskQueue: 'spc' };
      await Promise.race([prepareNamespace(server, target, opts, files.logFile), server.spawnFailed]);
    } catch (err) {
      await server.stop();
      // Another listener took a port between our check and the server's bind: new ports, new start.
      if (attempt < CLUSTER_START_ATTEMPTS_MAX && lostPortRace(files.logFile, logStartBytes)) {
        opts.log(`Temporal server start ${attempt}: a port was taken before the server bound it; starting again on new ports`);
        continue;
      }
      if (err instanceof TemporalClusterError) throw err;
      throw new TemporalClusterError(`${(err as Error).message}; the server log ${files.logFile} ends with:\n${readTail(files.logFile)}`, files.logFile);
    }
    opts.log(
      `Temporal server ${TEMPORAL_SERVER_VERSION} pid ${server.child.pid} serving ${address} with mTLS (${CLUSTER_HISTORY_SHARDS} shards, ` +
        `Postgres ${pg.host}:${pg.port}) after ${Date.now() - startedAt} ms; log ${files.logFile}`,
    );
    return { address, namespace: opts.namespace, pid: server.child.pid, logFile: files.logFile, certs, databases: dbs, ...connection, stop: server.stop };
  }
}

/**
 * A cluster for one run (benchmarks with `--engine server`, tests): its own databases and state
 * directory, both removed by stop(). Connect with connectTemporal / connectNativeTemporal on
 * `{ ...config.temporal, ...cluster.temporal }`, or hand `cluster.env` to child processes.
 */
export async function startThrowawayCluster(opts: {
  postgresUrl: string;
  log: (m: string) => void;
  namespace?: string;
  /** Where its state goes while it runs; default <dataDir>/temporal-cluster-runs. */
  dataDir?: string;
  config?: Pick<SpcConfig, 'dataDir' | 'cacheDir' | 'projectRoot'>;
}): Promise<RunningCluster> {
  const cfg = opts.config ?? loadConfig();
  const name = `run_${process.pid}_${Date.now().toString(36)}`;
  const dataDir = opts.dataDir ?? path.join(cfg.dataDir, 'temporal-cluster-runs');
  const dbs = clusterDatabases(name);
  const pg = postgresEndpointOf(opts.postgresUrl);
  const cleanup = async () => {
    await dropClusterDatabases(pg, dbs).catch((err: Error) => opts.log(`dropping ${dbs.default}, ${dbs.visibility}: ${err.message}`));
    fs.rmSync(path.join(dataDir, 'temporal-cluster', name), { recursive: true, force: true });
  };
  let cluster: RunningCluster;
  try {
    cluster = await startTemporalCluster({
      name,
      dataDir,
      cacheDir: cfg.cacheDir,
      projectRoot: cfg.projectRoot,
      postgresUrl: opts.postgresUrl,
      namespace: opts.namespace ?? 'default',
      retentionDays: 1,
      log: opts.log,
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    ...cluster,
    stop: async () => {
      await cluster.stop();
      await cleanup();
    },
  };
}
