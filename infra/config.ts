// Configuration from the environment. Every setting has a default that works on a fresh machine
// (embedded Postgres, local Temporal dev server); production points the same code at a real
// Postgres and a Temporal cluster or Temporal Cloud through these variables.
import path from 'node:path';
import type { PayloadKeyring } from './payload-codec';

export interface TemporalConfig {
  /** host:port of a Temporal frontend; unset means "start a local dev server". */
  address?: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls?: { serverNameOverride?: string; serverRootCACertPath?: string; clientCertPath?: string; clientKeyPath?: string } | true;
  uiUrl?: string;
  /** Keys of the payload codec (infra/payload-codec.ts); unset: payloads travel unencrypted. */
  payloadKeys?: PayloadKeyring;
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
  logLevel: LogLevel;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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

function graceFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.SPC_SHUTDOWN_GRACE_MS;
  if (raw === undefined || raw === '') return DEFAULT_SHUTDOWN_GRACE_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`SPC_SHUTDOWN_GRACE_MS=${raw} must be a whole number of milliseconds.`);
  return ms;
}

function logLevelFromEnv(env: NodeJS.ProcessEnv): LogLevel {
  const raw = (env.SPC_LOG_LEVEL || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) throw new Error(`SPC_LOG_LEVEL=${env.SPC_LOG_LEVEL} must be one of ${LOG_LEVELS.join(', ')}.`);
  return raw as LogLevel;
}

/**
 * SPC_PAYLOAD_KEYS=id1:base64,id2:base64 and SPC_PAYLOAD_KEY_CURRENT=id (default: the last listed).
 * Key bytes are checked by the codec; here only the shape.
 */
export function payloadKeysFromEnv(env: NodeJS.ProcessEnv): PayloadKeyring | undefined {
  const raw = env.SPC_PAYLOAD_KEYS;
  if (!raw) return undefined;
  const keys: Record<string, string> = {};
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = item.indexOf(':');
    if (colon < 1 || colon === item.length - 1) throw new Error('SPC_PAYLOAD_KEYS must be a comma-separated list of <key id>:<base64 key> (the values are not shown here).');
    keys[item.slice(0, colon)] = item.slice(colon + 1);
  }
  const ids = Object.keys(keys);
  const currentKeyId = env.SPC_PAYLOAD_KEY_CURRENT || ids[ids.length - 1];
  if (!currentKeyId || !(currentKeyId in keys)) throw new Error(`SPC_PAYLOAD_KEY_CURRENT=${currentKeyId ?? ''} must name one of the keys of SPC_PAYLOAD_KEYS (${ids.join(', ')}).`);
  return { keys, currentKeyId };
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
      payloadKeys: payloadKeysFromEnv(env),
    },
    httpPort: Number(env.PORT ?? 3000),
    httpHost: env.HOST ?? '127.0.0.1',
    publicBaseUrl: env.SPC_PUBLIC_URL || undefined,
    operatorToken: env.SPC_OPERATOR_TOKEN || undefined,
    engine: engineFromEnv(env),
    process: { healthPort: portFromEnv(env, 'SPC_HEALTH_PORT'), healthHost: env.SPC_HEALTH_HOST || '127.0.0.1', shutdownGraceMs: graceFromEnv(env) },
    logLevel: logLevelFromEnv(env),
  };
}
