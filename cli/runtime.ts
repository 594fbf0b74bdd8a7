// What a CLI command needs, created lazily and closed once: configuration, a Postgres pool and a
// Temporal client. Endpoints come from the environment (DATABASE_URL, TEMPORAL_ADDRESS) or, when
// unset, from the runtime file that `spc up` writes for the stack it started.
import fs from 'node:fs';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { connectTemporal, type TemporalTarget } from '../infra/temporal-connection';
import { createAppDb, createDb, type Db } from '../db/connection';
import { refuseOwnerSessions } from '../db/app-role';
import { loadConfig, type SpcConfig, type TemporalConfig } from '../infra/config';
import { readDataDirPayloadKeys } from '../infra/payload-keys';

/** Thrown for a mistake the user can fix; main prints the message alone and exits 1. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export interface RuntimeEndpoints {
  databaseUrl: string;
  /** The application role's URL (db/app-role.ts), when `spc up` set one up: the fallback of the two below. */
  appDatabaseUrl?: string;
  /** The API's role (spc_api) and the worker's (spc_worker), when set or set up by `spc up`. */
  apiDatabaseUrl?: string;
  workerDatabaseUrl?: string;
  temporalAddress: string;
  namespace: string;
  uiUrl?: string;
  apiUrl?: string;
  /** mTLS files of a Temporal server that `spc up --engine server` started (its generated certificates). */
  temporalTls?: Exclude<TemporalConfig['tls'], true | undefined>;
}

export function runtimeFile(cfg: SpcConfig): string {
  return path.join(cfg.dataDir, 'runtime.json');
}

export function writeRuntimeFile(cfg: SpcConfig, endpoints: RuntimeEndpoints): void {
  fs.mkdirSync(cfg.dataDir, { recursive: true });
  // Mode 0600: the embedded Postgres URL carries its generated password.
  fs.writeFileSync(runtimeFile(cfg), `${JSON.stringify({ ...endpoints, pid: process.pid }, null, 2)}\n`, { mode: 0o600 });
}

export function removeRuntimeFile(cfg: SpcConfig): void {
  fs.rmSync(runtimeFile(cfg), { force: true });
}

function readRuntimeFile(cfg: SpcConfig): Partial<RuntimeEndpoints> {
  try {
    return JSON.parse(fs.readFileSync(runtimeFile(cfg), 'utf8')) as Partial<RuntimeEndpoints>;
  } catch {
    return {};
  }
}

export class Runtime {
  readonly config: SpcConfig;
  private dbPool?: Db;
  private appDbPool?: Db;
  private temporalConn?: Promise<{ client: Client; connection: Connection }>;
  private dataDirKeys?: { keyring: TemporalConfig['payloadKeys'] };

  constructor(config: SpcConfig = loadConfig()) {
    this.config = config;
  }

  endpoints(): RuntimeEndpoints {
    const file = readRuntimeFile(this.config);
    const databaseUrl = this.config.databaseUrl ?? file.databaseUrl;
    if (!databaseUrl) throw new CliError('no database: start the system with `npm start` (spc up) in another terminal, or set DATABASE_URL');
    return {
      databaseUrl,
      // The environment's app URL; the runtime file's only with the database it belongs to.
      appDatabaseUrl: this.config.appDatabaseUrl ?? (this.config.databaseUrl ? undefined : file.appDatabaseUrl),
      apiDatabaseUrl: this.config.apiDatabaseUrl ?? (this.config.databaseUrl ? undefined : file.apiDatabaseUrl),
      workerDatabaseUrl: this.config.workerDatabaseUrl ?? (this.config.databaseUrl ? undefined : file.workerDatabaseUrl),
      temporalAddress: this.config.temporal.address ?? file.temporalAddress ?? 'localhost:7233',
      namespace: this.config.temporal.namespace,
      uiUrl: this.config.temporal.uiUrl ?? file.uiUrl,
      apiUrl: file.apiUrl,
      // The environment's TLS settings win; the runtime file's only serve the server `spc up` started.
      temporalTls: this.config.temporal.address ? undefined : file.temporalTls,
    };
  }

  /** Where and how to reach Temporal: the configuration, completed from the runtime file of `spc up`. */
  temporalTarget(): TemporalTarget {
    const ep = this.endpoints();
    return { ...this.config.temporal, address: ep.temporalAddress, tls: this.config.temporal.tls ?? ep.temporalTls, payloadKeys: this.payloadKeys() };
  }

  /**
   * The payload keys: SPC_PAYLOAD_KEYS, else (like the runtime file's TLS files, only for the
   * Temporal that `spc up` started, never with TEMPORAL_ADDRESS) the key `spc up` keeps in the data directory.
   */
  payloadKeys(): TemporalConfig['payloadKeys'] {
    if (this.config.temporal.payloadKeys || this.config.temporal.address) return this.config.temporal.payloadKeys;
    this.dataDirKeys ??= { keyring: readDataDirPayloadKeys(this.config.dataDir) };
    return this.dataDirKeys.keyring;
  }

  /** The owner's pool: migrations and the CLI's operator commands. */
  async db(): Promise<Db> {
    this.dbPool ??= createDb(this.endpoints().databaseUrl);
    return this.dbPool;
  }

  /**
   * The pool of `spc api` (`role` 'api': SPC_API_DATABASE_URL), `spc worker` and `spc keeper`
   * ('worker': SPC_WORKER_DATABASE_URL), either falling back to SPC_APP_DATABASE_URL, with the
   * session bounds. A role that owns the data (no such URL, or one naming the owner) is refused
   * unless SPC_DEV=1 (db/app-role.ts, refuseOwnerSessions); then `warn` says so once.
   */
  async appDb(warn: (message: string) => void = () => undefined, process = 'this process', role: 'api' | 'worker' = 'worker'): Promise<Db> {
    if (!this.appDbPool) {
      const ep = this.endpoints();
      const own = role === 'api' ? ep.apiDatabaseUrl : ep.workerDatabaseUrl;
      const pool = createAppDb(own ?? ep.appDatabaseUrl ?? ep.databaseUrl, this.config.dbTimeouts);
      try {
        const warning = await refuseOwnerSessions(pool, process, this.config.devRun);
        if (warning) warn(warning);
      } catch (err) {
        await pool.destroy();
        throw err;
      }
      this.appDbPool = pool;
    }
    return this.appDbPool;
  }

  async temporal(): Promise<{ client: Client; connection: Connection; taskQueue: string; namespace: string }> {
    const target = this.temporalTarget();
    this.temporalConn ??= connectTemporal(target).catch((err: Error) => {
      throw new CliError(`${err.message} Start the system with \`npm start\` or set TEMPORAL_ADDRESS`);
    });
    const { client, connection } = await this.temporalConn;
    return { client, connection, taskQueue: this.config.temporal.taskQueue, namespace: this.config.temporal.namespace };
  }

  /** Link to a workflow in the Temporal Web UI, when the UI's address is known. */
  workflowUrl(workflowId: string, runId?: string): string | undefined {
    const ui = this.endpoints().uiUrl;
    if (!ui) return undefined;
    const base = `${ui.replace(/\/$/, '')}/namespaces/${encodeURIComponent(this.config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
    return runId ? `${base}/${runId}/history` : base;
  }

  async close(): Promise<void> {
    await this.dbPool?.destroy();
    await this.appDbPool?.destroy();
    const t = await this.temporalConn?.catch(() => undefined);
    await t?.connection.close();
  }
}

/** Prints data as JSON (--json) or as aligned text lines. */
export function printRows(rows: Array<Record<string, unknown>>, json: boolean, columns?: string[]): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const text = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${line(cols)}\n${rows.map((r) => line(cols.map((c) => text(r[c])))).join('\n')}\n`);
}
