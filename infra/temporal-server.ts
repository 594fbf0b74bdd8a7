// Runs a local Temporal dev server (`temporal server start-dev`) and prepares a namespace for the SPC:
// search attributes, dynamic config for workflow update and update-with-start, raised rate limits and
// the retention period. Against an external cluster only the namespace preparation applies.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { msNumberToTs } from '@temporalio/common/lib/time';
import { logStartLine, openPrivateLog } from './private-log';

/** Every custom search attribute the SPC writes; all are Keyword (exact match, sortable). */
export const SPC_SEARCH_ATTRIBUTES = ['BankCode', 'BusinessDate', 'PaymentStatus', 'SettlementStatus', 'Channel', 'RejectionCode', 'RegisterId', 'Period'] as const;
export type SpcSearchAttributeName = (typeof SPC_SEARCH_ATTRIBUTES)[number];

/**
 * Dynamic config for the dev server; every key was checked against go.temporal.io/server v1.29.1
 * (common/dynamicconfig/constants.go), the server inside CLI v1.5.1. Update and multi-operation are on
 * by default in that version: they are set anyway so an older binary behaves the same. The rate limits
 * are raised because one dev box runs the API, the workers and the benchmark against one frontend.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, boolean | number>> = {
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
  'frontend.enableExecuteMultiOperation': true,
  'frontend.rps': 10_000, // default 2400 per instance
  'frontend.namespaceRPS': 10_000, // default 2400 per namespace per instance
  'frontend.namespaceRPS.visibility': 1_000, // the CLI sets 100; list screens and reports query visibility
  'frontend.namespaceCount': 4_000, // concurrent long polls per namespace; default 1200
  'history.rps': 10_000, // default 3000
  'matching.rps': 10_000, // default 1200
  'limit.maxIDLength': 1_000, // the default, pinned: business-key workflow ids must stay below it
  // The dev server re-reads the search-attribute mapping on every visibility write so that one
  // registered a moment ago works at once. The SPC registers its attributes at start, so the
  // re-read is pure cost: about a quarter of the engine's rate here (shared/ENGINE-LIMITS.md).
  'system.forceSearchAttributesCacheRefreshOnRead': false,
};

/**
 * SQLite pragmas for the dev server's file. WAL lets readers run beside the writer. synchronous=OFF
 * leaves the fsync to the OS: every commit still reaches the file before the server answers, so a
 * killed or restarted server loses nothing; only a power cut or kernel crash could lose the last
 * moments. That is the embedded default's trade (+40 % engine rate here); production runs a real
 * Temporal cluster on its own durable store.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['journal_mode=WAL', 'synchronous=OFF'] as const;

/** How long a dev server may take to answer after spawn; a cold start with a large db file takes ~5 s. */
export const DEV_SERVER_READY_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 250;
/** How long stop() waits after SIGTERM before SIGKILL. */
export const DEV_SERVER_STOP_GRACE_MS = 15_000;
const SECONDS_PER_DAY = 86_400;
const GRPC_NOT_FOUND = 5;
const GRPC_ALREADY_EXISTS = 6;
const GRPC_PERMISSION_DENIED = 7;
const LOG_TAIL_CHARS = 3_000;

export interface DevServerOptions {
  binary: string;
  /** SQLite file that keeps workflows across restarts; omitted means in-memory. */
  dbFile?: string;
  /** gRPC frontend port; 0 or omitted picks a free port. */
  port?: number;
  /** Web UI port; 0 picks a free port; null or omitted runs headless. */
  uiPort?: number | null;
  namespace: string;
  log: (m: string) => void;
  /** Where the server's own output goes; defaults to a file in the OS temp directory. */
  logFile?: string;
  /** Remote codec endpoint the Web UI decodes payloads with (the API's /codec, see api/routes/codec.ts). */
  uiCodecEndpoint?: string;
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  /** Process id of the dev server (absent when the SDK runs it). */
  pid?: number;
  logFile?: string;
  stop(): Promise<void>;
}

/** Thrown when the dev server exits or stays silent during startup; the message carries its log tail. */
export class DevServerStartError extends Error {
  constructor(message: string, readonly logFile?: string) {
    super(message);
    this.name = 'DevServerStartError';
  }
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The command line for `temporal server start-dev`, built from resolved ports (pure, for tests). */
export function devServerArgs(opts: { dbFile?: string; port: number; uiPort: number | null; namespace: string; uiCodecEndpoint?: string }): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  args.push(...(opts.uiPort === null ? ['--headless'] : ['--ui-port', String(opts.uiPort)]));
  if (opts.uiPort !== null && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.dbFile) {
    args.push('--db-filename', opts.dbFile);
    for (const pragma of DEV_SERVER_SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
  }
  // "default" always exists; naming it again is harmless but noisy.
  if (opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  for (const name of SPC_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${name}=Keyword`);
  for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  return args;
}

function readTail(file: string | undefined): string {
  if (!file) return '';
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.slice(-LOG_TAIL_CHARS);
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function tcpAccepts(address: string, timeoutMs: number): Promise<boolean> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) return Promise.resolve(true); // let gRPC judge an unusual address
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when a Temporal frontend answers at address (and knows namespace, when given) within timeoutMs. */
export async function probeTemporal(address: string, namespace?: string, timeoutMs = 2_000): Promise<boolean> {
  // A refused TCP connect answers at once, where a gRPC connect would retry until its timeout.
  if (!(await tcpAccepts(address, timeoutMs))) return false;
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.withDeadline(Date.now() + timeoutMs, async () => {
      await connection!.workflowService.getSystemInfo({});
      if (namespace) await connection!.workflowService.describeNamespace({ namespace });
    });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function waitUntilServing(address: string, namespace: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + DEV_SERVER_READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new DevServerStartError(
        `the Temporal dev server exited during startup (code ${child.exitCode ?? child.signalCode}); its log ${logFile} ends with:\n${readTail(logFile)}`,
        logFile,
      );
    }
    if (await probeTemporal(address, namespace, 1_000)) return;
    await sleep(READY_POLL_MS);
  }
  throw new DevServerStartError(`the Temporal dev server did not answer at ${address} within ${DEV_SERVER_READY_TIMEOUT_MS / 1000} s; see ${logFile}:\n${readTail(logFile)}`, logFile);
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts `temporal server start-dev` and resolves once its frontend serves the namespace. */
export async function startDevServer(opts: DevServerOptions): Promise<RunningDevServer> {
  const port = opts.port || (await freePort());
  const uiPort = opts.uiPort === null || opts.uiPort === undefined ? null : opts.uiPort || (await freePort());
  const address = `127.0.0.1:${port}`;
  const logFile = opts.logFile ?? path.join(os.tmpdir(), `spc-temporal-${port}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  if (opts.dbFile) fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });

  const args = devServerArgs({ dbFile: opts.dbFile, port, uiPort, namespace: opts.namespace, uiCodecEndpoint: opts.uiCodecEndpoint });
  const logFd = openPrivateLog(logFile);
  logStartLine(logFd, opts.binary, args);
  const startedAt = Date.now();
  // Output goes to a file, not a pipe: the server must not depend on this process reading its output.
  const child = spawn(opts.binary, args, { stdio: ['ignore', logFd, logFd] });
  fs.closeSync(logFd);
  const spawnError = new Promise<never>((_, reject) => child.once('error', (err) => reject(new DevServerStartError(`cannot run ${opts.binary}: ${err.message}`, logFile))));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    if (!(await waitForExit(child, DEV_SERVER_STOP_GRACE_MS))) {
      opts.log(`Temporal dev server (pid ${child.pid}) ignored SIGTERM for ${DEV_SERVER_STOP_GRACE_MS / 1000} s; killing it`);
      child.kill('SIGKILL');
      await waitForExit(child, DEV_SERVER_STOP_GRACE_MS);
    }
  };

  try {
    await Promise.race([waitUntilServing(address, opts.namespace, child, logFile), spawnError]);
  } catch (err) {
    await stop();
    throw err;
  }
  const uiUrl = uiPort === null ? undefined : `http://127.0.0.1:${uiPort}`;
  opts.log(
    `Temporal dev server pid ${child.pid} serving ${address} (namespace ${opts.namespace}, ${opts.dbFile ? `db ${opts.dbFile}` : 'in-memory'}` +
      `${uiUrl ? `, UI ${uiUrl}` : ', headless'}) after ${Date.now() - startedAt} ms; log ${logFile}`,
  );
  return { address, uiUrl, pid: child.pid, logFile, stop };
}

/**
 * Second strategy when there is no CLI binary and no Go: the SDK's cached download of the dev server
 * (fetched from temporal.download into downloadDir, so it needs that site to be reachable once).
 */
export async function startDevServerViaSdk(
  opts: Omit<DevServerOptions, 'binary' | 'logFile'> & { downloadDir: string; /** a binary to run instead of downloading (tests) */ existingPath?: string },
): Promise<RunningDevServer> {
  // Required lazily: @temporalio/testing loads the native worker bridge, which only this path needs.
  const { TestWorkflowEnvironment } = require('@temporalio/testing') as typeof import('@temporalio/testing');
  const { defineSearchAttributeKey, SearchAttributeType } = require('@temporalio/common') as typeof import('@temporalio/common');
  const port = opts.port || (await freePort());
  const uiPort = opts.uiPort === null || opts.uiPort === undefined ? null : opts.uiPort || (await freePort());
  fs.mkdirSync(opts.downloadDir, { recursive: true });
  const extraArgs: string[] = [];
  if (opts.dbFile) for (const pragma of DEV_SERVER_SQLITE_PRAGMAS) extraArgs.push('--sqlite-pragma', pragma);
  for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) extraArgs.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  opts.log(`no Temporal CLI binary: starting the SDK's downloaded dev server (cache ${opts.downloadDir})`);
  const startedAt = Date.now();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: opts.existingPath ? { type: 'existing-path', path: opts.existingPath } : { type: 'cached-download', downloadDir: opts.downloadDir },
      dbFilename: opts.dbFile,
      namespace: opts.namespace,
      ip: '127.0.0.1',
      port,
      ui: uiPort !== null,
      uiPort: uiPort ?? undefined,
      log: { format: 'pretty', level: 'warn' },
      searchAttributes: SPC_SEARCH_ATTRIBUTES.map((name) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD)),
      extraArgs,
    },
  });
  const uiUrl = uiPort === null ? undefined : `http://127.0.0.1:${uiPort}`;
  opts.log(`Temporal dev server (SDK download) serving ${env.address} after ${Date.now() - startedAt} ms${uiUrl ? `, UI ${uiUrl}` : ''}`);
  return { address: env.address, uiUrl, stop: () => env.teardown() };
}

/**
 * Registers the SPC search attributes on a namespace that lacks them (an external cluster, or a dev
 * server whose db file predates an attribute). Returns the names it added.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string, log: (m: string) => void = () => undefined): Promise<string[]> {
  const keyword = encodeSearchAttributeIndexedValueType('KEYWORD');
  if (keyword === undefined) throw new Error('the Temporal SDK has no Keyword search attribute type; check @temporalio/common');
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing: string[] = [];
  for (const name of SPC_SEARCH_ATTRIBUTES) {
    const existing = customAttributes?.[name];
    if (existing === undefined || existing === null) missing.push(name);
    else if (existing !== keyword) {
      throw new Error(`search attribute ${name} exists on namespace ${namespace} with type ${existing}, not Keyword; remove or rename it on the cluster.`);
    }
  }
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, keyword])) });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_ALREADY_EXISTS) return [];
    if (isGrpcServiceError(err) && err.code === GRPC_PERMISSION_DENIED) {
      throw new Error(
        `not allowed to add search attributes ${missing.join(', ')} to namespace ${namespace} (${err.details}); ` +
          'on Temporal Cloud add them as Keyword in the Cloud UI or with tcld, then start again.',
      );
    }
    throw err;
  }
  log(`registered search attributes on namespace ${namespace}: ${missing.join(', ')} (Keyword)`);
  return missing;
}

/**
 * Registers the namespace when the cluster does not know it (a self-hosted cluster, or a reused dev
 * server started without it). Temporal Cloud namespaces are created in Cloud, never here.
 */
export async function ensureNamespace(connection: Connection, namespace: string, retentionDays: number, log: (m: string) => void = () => undefined): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (err) {
    if (!(isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND)) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msNumberToTs(retentionDays * SECONDS_PER_DAY * 1000) });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_ALREADY_EXISTS) return false;
    throw new Error(`namespace ${namespace} does not exist and could not be created (${(err as Error).message}); create it on the cluster or set TEMPORAL_NAMESPACE.`);
  }
  log(`registered namespace ${namespace} (retention ${retentionDays} days)`);
  // A new namespace reaches each service's namespace cache on its next refresh (up to ~10 s); the
  // operator API (search attributes) sees it later than describeNamespace does.
  const deadline = Date.now() + DEV_SERVER_READY_TIMEOUT_MS;
  for (;;) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      await connection.operatorService.listSearchAttributes({ namespace });
      return true;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(READY_POLL_MS);
    }
  }
}

/**
 * Sets how long Temporal keeps closed workflow histories. Postgres keeps the business record for good;
 * retention only bounds how long an auditor can open the history behind a row. Returns true if changed.
 */
export async function setNamespaceRetention(connection: Connection, namespace: string, days: number, log: (m: string) => void = () => undefined): Promise<boolean> {
  const wantedSeconds = days * SECONDS_PER_DAY;
  const described = await connection.workflowService.describeNamespace({ namespace });
  const currentSeconds = Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
  if (currentSeconds === wantedSeconds) {
    log(`namespace ${namespace} retention is already ${days} days`);
    return false;
  }
  await connection.workflowService.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: msNumberToTs(wantedSeconds * 1000) } });
  log(`namespace ${namespace} retention set to ${days} days (was ${Math.round((currentSeconds / SECONDS_PER_DAY) * 100) / 100})`);
  return true;
}
