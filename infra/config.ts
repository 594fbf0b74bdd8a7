// Configuration from the environment. Every setting has a default that works on a fresh machine
// (embedded Postgres, local Temporal dev server); production points the same code at a real
// Postgres and a Temporal cluster or Temporal Cloud through these variables.
import path from 'node:path';
import type { DbTimeouts } from '../db/connection';
import type { RateLimitSettings } from '../api/rate-limit';

export interface TemporalConfig {
  /** host:port of a Temporal frontend; unset means "start a local dev server". */
  address?: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls?: { serverNameOverride?: string; serverRootCACertPath?: string; clientCertPath?: string; clientKeyPath?: string } | true;
  uiUrl?: string;
}

/** Which Temporal `spc up` starts when TEMPORAL_ADDRESS is unset: the dev server, or the real server with mTLS. */
export type TemporalEngine = 'dev' | 'server';
export const TEMPORAL_ENGINES: readonly TemporalEngine[] = ['dev', 'server'];

/** How long a process may take to finish in-flight requests and tasks after SIGTERM before it exits anyway. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;

export interface ProcessConfig {
  /** Port of the /livez and /readyz server of `spc worker` and `spc keeper`; unset: none (the API serves them itself). */
  healthPort?: number;
  healthHost: string;
  shutdownGraceMs: number;
}

export interface SpcConfig {
  projectRoot: string;
  dataDir: string;
  cacheDir: string;
  /** postgres:// URL; unset means "start an embedded Postgres under dataDir". */
  databaseUrl?: string;
  temporal: TemporalConfig;
  httpPort: number;
  httpHost: string;
  publicBaseUrl?: string;
  operatorToken?: string;
  engine: TemporalEngine;
  process: ProcessConfig;
  /**
   * postgres:// URL of the application's role (db/app-role.ts) for the API and workers. Unset: the
   * role `spc up` sets up on its embedded Postgres, else DATABASE_URL (the owner; a warning says so).
   */
  appDatabaseUrl?: string;
  /** Session bounds of the API's and workers' pool (db/connection.ts). */
  dbTimeouts: DbTimeouts;
  /** Request limits of the bank API (api/rate-limit.ts). */
  rateLimit: RateLimitSettings;
}

/** Defaults of the access settings; the modules that use them say why (db/connection.ts, api/rate-limit.ts). */
export const DEFAULT_ACCESS_SETTINGS = {
  statementTimeoutMs: 60_000,
  idleInTransactionTimeoutMs: 60_000,
  rateLimitPerKeyPerMinute: 30_000,
  rateLimitAnonymousPerMinute: 600,
} as const;

export const PROJECT_ROOT = path.resolve(__dirname, '..');

function tlsFromEnv(env: NodeJS.ProcessEnv): TemporalConfig['tls'] {
  const anyTls = env.TEMPORAL_TLS === 'true' || env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_CA || env.TEMPORAL_API_KEY;
  if (!anyTls) return undefined;
  if (!env.TEMPORAL_TLS_CERT && !env.TEMPORAL_TLS_CA && !env.TEMPORAL_TLS_SERVER_NAME) return true;
  return {
    serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME,
    serverRootCACertPath: env.TEMPORAL_TLS_CA,
    clientCertPath: env.TEMPORAL_TLS_CERT,
    clientKeyPath: env.TEMPORAL_TLS_KEY,
  };
}

/** A port from the environment: unset or empty is undefined; anything but 0-65535 is refused with the variable's name. */
export function portFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`${name}=${raw} is not a port (0-65535; 0 picks a free one).`);
  return port;
}

function engineFromEnv(env: NodeJS.ProcessEnv): TemporalEngine {
  const raw = env.SPC_TEMPORAL_ENGINE || 'dev';
  if (!(TEMPORAL_ENGINES as readonly string[]).includes(raw)) throw new Error(`SPC_TEMPORAL_ENGINE=${raw} must be one of ${TEMPORAL_ENGINES.join(', ')}.`);
  return raw as TemporalEngine;
}

/** A whole number from the environment (unset or empty: the fallback); below `min` is refused with the variable's name. */
export function wholeNumberFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: string, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw} must be a whole number of ${unit}${min > 0 ? ` (at least ${min})` : ''}.`);
  return value;
}

function graceFromEnv(env: NodeJS.ProcessEnv): number {
  return wholeNumberFromEnv(env, 'SPC_SHUTDOWN_GRACE_MS', DEFAULT_SHUTDOWN_GRACE_MS, 'milliseconds');
}

function accessFromEnv(env: NodeJS.ProcessEnv): Pick<SpcConfig, 'appDatabaseUrl' | 'dbTimeouts' | 'rateLimit'> {
  const d = DEFAULT_ACCESS_SETTINGS;
  return {
    appDatabaseUrl: env.SPC_APP_DATABASE_URL || undefined,
    dbTimeouts: {
      statementTimeoutMs: wholeNumberFromEnv(env, 'SPC_DB_STATEMENT_TIMEOUT_MS', d.statementTimeoutMs, 'milliseconds', 1),
      idleInTransactionTimeoutMs: wholeNumberFromEnv(env, 'SPC_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', d.idleInTransactionTimeoutMs, 'milliseconds', 1),
    },
    rateLimit: {
      perKeyPerMinute: wholeNumberFromEnv(env, 'SPC_RATE_LIMIT_PER_MINUTE', d.rateLimitPerKeyPerMinute, 'requests per minute', 1),
      anonymousPerMinute: wholeNumberFromEnv(env, 'SPC_RATE_LIMIT_ANONYMOUS_PER_MINUTE', d.rateLimitAnonymousPerMinute, 'requests per minute', 1),
    },
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): SpcConfig {
  const dataDir = path.resolve(env.SPC_DATA_DIR ?? path.join(PROJECT_ROOT, '.data'));
  return {
    projectRoot: PROJECT_ROOT,
    dataDir,
    cacheDir: path.resolve(env.SPC_CACHE_DIR ?? path.join(PROJECT_ROOT, '.cache')),
    databaseUrl: env.DATABASE_URL || undefined,
    temporal: {
      address: env.TEMPORAL_ADDRESS || undefined,
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: env.SPC_TASK_QUEUE ?? 'spc',
      apiKey: env.TEMPORAL_API_KEY || undefined,
      tls: tlsFromEnv(env),
      uiUrl: env.TEMPORAL_UI_URL || undefined,
    },
    httpPort: Number(env.PORT ?? 3000),
    httpHost: env.HOST ?? '127.0.0.1',
    publicBaseUrl: env.SPC_PUBLIC_URL || undefined,
    operatorToken: env.SPC_OPERATOR_TOKEN || undefined,
    engine: engineFromEnv(env),
    process: { healthPort: portFromEnv(env, 'SPC_HEALTH_PORT'), healthHost: env.SPC_HEALTH_HOST || '127.0.0.1', shutdownGraceMs: graceFromEnv(env) },
    ...accessFromEnv(env),
  };
}
