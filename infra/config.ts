// Configuration from the environment. Every setting has a default that works on a fresh machine
// (embedded Postgres, local Temporal dev server); production points the same code at a real
// Postgres and a Temporal cluster or Temporal Cloud through these variables.
import path from 'node:path';

export interface TemporalConfig {
  /** host:port of a Temporal frontend; unset means "start a local dev server". */
  address?: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls?: { serverNameOverride?: string; serverRootCACertPath?: string; clientCertPath?: string; clientKeyPath?: string } | true;
  uiUrl?: string;
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
}

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
  };
}
