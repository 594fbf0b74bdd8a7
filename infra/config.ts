// Configuration from the environment: the one module that reads environment variables (a lint rule
// in eslint.config.mjs keeps it so). Every setting is typed and checked here, with a default that
// works on a fresh machine (embedded Postgres, local Temporal dev server); production points the
// same code at a real Postgres and a Temporal cluster or Temporal Cloud through these variables.
// The rest of the code receives what it needs from the SpcConfig (through deps), or calls one of
// the readers below as the default of a parameter that tests set. README "Configuration" lists them.
import path from 'node:path';
import { COMPLAINT_DISPOSITIONS, NOT_POSTED_COMPLAINTS_PER_DAY_DEFAULT, isDisposition, type Disposition } from '../domain/complaint-types';
import { isValidBin } from '../domain/identifiers';
import type { PayloadKeyring } from './payload-codec';
import { assertWindowDays, READINGS_WINDOW_DAYS_DEFAULT, type ReadingsWindowDays } from '../domain/billing-period';
import { operatorCredentialFromEnv, type OperatorCredential } from './operator-credential';
import { PROVIDER_PUSH_BODY_BYTES_MAX_DEFAULT } from '../domain/provider-register-push';

export interface DbTimeouts {
  /** Postgres cancels a statement running longer (statement_timeout). */
  statementTimeoutMs: number;
  /** Postgres ends a session idle inside a transaction this long, releasing its locks (idle_in_transaction_session_timeout). */
  idleInTransactionTimeoutMs: number;
}

export interface RateLimitSettings {
  /** Requests per minute per API key, unless the key has its own limit. */
  perKeyPerMinute: number;
  /** Requests per minute per client IP without a valid key. */
  anonymousPerMinute: number;
}

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
export const SHUTDOWN_GRACE_DEFAULT_MS = 30_000;

export interface ProcessConfig {
  /** Port of the /livez and /readyz server of `spc worker` and `spc keeper`; unset: none (the API serves them itself). */
  healthPort?: number;
  healthHost: string;
  shutdownGraceMs: number;
}

/** The initiating party of every payment list: the SPC (SPC_NAME, SPC_BIN). */
export interface SettlementConfig {
  spcName: string;
  /** The SPC's BIN (12 digits, mod-11 check). */
  spcBin: string;
}

/**
 * Households' paper and e-mail invoices (issue 20). The SPC's own bank requisites go into the
 * payment QR (ST00012) and onto the paper; the defaults are valid placeholders, not ALSECO's real
 * account: production sets SPC_IBAN, SPC_BIC and SPC_BANK_NAME.
 */
export interface HouseholdConfig {
  /** SPC_PRINT_DIR: where print runs write their PDFs and manifests (default <dataDir>/print). */
  printDir: string;
  spcIban: string;
  spcBic: string;
  spcBankName: string;
  /** SPC_SMTP_URL: the relay (smtp://host:port); unset: `spc up` starts a local one and points here at it. */
  smtpUrl?: string;
  /** SPC_MAIL_FROM: the invoices' From address. */
  mailFrom: string;
  /** SPC_MAIL_RATE_PER_S: mails a delivery run sends per second at most. */
  mailRatePerSecond: number;
  /** Base of the confirmation and unsubscribe links (SPC_PUBLIC_URL, else the API's local address). */
  publicUrl: string;
}

export const SPC_IBAN_DEFAULT = 'KZ31601A000000000001';
export const SPC_BIC_DEFAULT = 'HSBKKZKX';
export const SPC_BANK_NAME_DEFAULT = 'АО «Народный Банк Казахстана»';
export const MAIL_RATE_PER_S_DEFAULT = 200;
/** Above this a relay would throttle or block us; a run is long, not a flood. */
const MAIL_RATE_PER_S_MAX = 5_000;

export function householdConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HouseholdConfig {
  const spcIban = (env.SPC_IBAN ?? SPC_IBAN_DEFAULT).trim();
  if (!/^KZ[0-9]{5}[0-9A-Z]{13}$/.test(spcIban)) throw new SettlementConfigError(`SPC_IBAN ${JSON.stringify(spcIban)} is not a KZ IBAN (KZ, 18 more characters)`);
  const spcBic = (env.SPC_BIC ?? SPC_BIC_DEFAULT).trim();
  if (!/^[A-Z]{4}KZ[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(spcBic)) throw new SettlementConfigError(`SPC_BIC ${JSON.stringify(spcBic)} is not a Kazakh BIC`);
  const rate = wholeNumberFromEnv(env, 'SPC_MAIL_RATE_PER_S', MAIL_RATE_PER_S_DEFAULT, 'mails per second', 1);
  if (rate > MAIL_RATE_PER_S_MAX) throw new Error(`SPC_MAIL_RATE_PER_S=${rate} is above ${MAIL_RATE_PER_S_MAX}`);
  return {
    printDir: path.resolve(env.SPC_PRINT_DIR ?? path.join(dataDirFromEnv(env), 'print')),
    spcIban, spcBic, spcBankName: (env.SPC_BANK_NAME ?? SPC_BANK_NAME_DEFAULT).trim(),
    smtpUrl: env.SPC_SMTP_URL || undefined,
    mailFrom: env.SPC_MAIL_FROM || 'invoices@spc.local',
    mailRatePerSecond: rate,
    publicUrl: publicUrlFromEnv(env),
  };
}

/** SPC_PUBLIC_URL (no trailing slash), else the API's local address: the base of links the SPC sends out. */
export function publicUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return (env.SPC_PUBLIC_URL || `http://${env.HOST ?? '127.0.0.1'}:${env.PORT ?? 3000}`).replace(/\/$/, '');
}

/** The push of the providers' daily registers (activities/provider-register-webhook.ts). */
export interface ProviderPushConfig {
  /** PROVIDER_PUSH_BODY_BYTES_MAX: above this a push carries a notice to pull the files, not the files. */
  bodyBytesMax: number;
  /** Base of the notice's pull URLs (publicUrlFromEnv). */
  publicUrl: string;
}

/** The smallest bound: a notice itself is about 1 KB, and a bound below it would only ever send notices. */
const PROVIDER_PUSH_BODY_BYTES_MIN = 1024;

export function providerPushConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ProviderPushConfig {
  return {
    bodyBytesMax: wholeNumberFromEnv(env, 'PROVIDER_PUSH_BODY_BYTES_MAX', PROVIDER_PUSH_BODY_BYTES_MAX_DEFAULT, 'bytes', PROVIDER_PUSH_BODY_BYTES_MIN),
    publicUrl: publicUrlFromEnv(env),
  };
}

export interface SpcConfig {
  projectRoot: string;
  dataDir: string;
  cacheDir: string;
  /** postgres:// URL; unset means "start an embedded Postgres under dataDir". */
  databaseUrl?: string;
  /** SPC_PG_PORT: port of the embedded Postgres. */
  embeddedPgPort: number;
  /** SPC_ARCHIVE_DIR: where bank-day archives go (default <dataDir>/archive). */
  archiveDir: string;
  /** SPC_RETENTION_DAYS: how long Temporal keeps closed histories (default 30). */
  temporalRetentionDays: number;
  /** TEMPORAL_CLI_PATH: the Temporal CLI to use instead of looking one up. */
  temporalCliPath?: string;
  temporal: TemporalConfig;
  httpPort: number;
  httpHost: string;
  publicBaseUrl?: string;
  /** SPC_OPS_PAGE_TOKEN: a script's shared Bearer of /ops/api (not /codec, which wants a person; not an operator's personal SPC_OPERATOR_TOKEN). */
  operatorToken?: string;
  engine: TemporalEngine;
  process: ProcessConfig;
  /**
   * postgres:// URL of the application's role (db/app-role.ts) for the API and workers. Unset: the
   * role `spc up` sets up on its embedded Postgres, else DATABASE_URL (the owner; a warning says so).
   */
  appDatabaseUrl?: string;
  /** SPC_API_DATABASE_URL: the API's own role (spc_api, db/app-role.ts); unset: appDatabaseUrl. */
  apiDatabaseUrl?: string;
  /** SPC_WORKER_DATABASE_URL: the worker's (and the keeper's) own role (spc_worker); unset: appDatabaseUrl. */
  workerDatabaseUrl?: string;
  /** Session bounds of the API's and workers' pool (db/connection.ts). */
  dbTimeouts: DbTimeouts;
  /** Request limits of the bank API (api/rate-limit.ts). */
  rateLimit: RateLimitSettings;
  settlement: SettlementConfig;
  /** Default readings window of a billing period (SPC_READINGS_FROM_DAY, SPC_READINGS_TO_DAY; default the 20th–25th). */
  readingsWindow: ReadingsWindowDays;
  households: HouseholdConfig;
  providerPush: ProviderPushConfig;
  /** Complaint deadlines in business days per disposition (SPC_COMPLAINT_DEADLINES over the defaults). */
  complaintDeadlines: Record<Disposition, number>;
  /** SPC_NOT_POSTED_COMPLAINTS_PER_DAY_MAX: PAYMENT_NOT_POSTED complaints per bank and day (default 200). */
  notPostedComplaintsPerDayMax: number;
  /** SPC_OPERATOR: the operator name CLI actions use without --operator. */
  operator?: string;
  /**
   * SPC_DEV=1: a development run, the only case in which the API and the workers may connect as the
   * database's owner or a superuser (db/app-role.ts, refuseOwnerSessions). `spc up` on its embedded
   * Postgres counts as one.
   */
  devRun: boolean;
  /** PATH, split: where the Temporal CLI and Go are looked up. */
  executableDirs: string[];
  logLevel: LogLevel;
}

/** Defaults of the access settings; the modules that use them say why (db/connection.ts, api/rate-limit.ts). */
export const ACCESS_SETTINGS_DEFAULT = {
  statementTimeoutMs: 60_000,
  idleInTransactionTimeoutMs: 60_000,
  rateLimitPerKeyPerMinute: 30_000,
  rateLimitAnonymousPerMinute: 600,
} as const;

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

/** A whole number from the environment (unset or empty: the fallback); below `min` is refused with the variable's name. */
export function wholeNumberFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: string, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw} must be a whole number of ${unit}${min > 0 ? ` (at least ${min})` : ''}.`);
  return value;
}

function graceFromEnv(env: NodeJS.ProcessEnv): number {
  return wholeNumberFromEnv(env, 'SPC_SHUTDOWN_GRACE_MS', SHUTDOWN_GRACE_DEFAULT_MS, 'milliseconds');
}

function accessFromEnv(env: NodeJS.ProcessEnv): Pick<SpcConfig, 'appDatabaseUrl' | 'apiDatabaseUrl' | 'workerDatabaseUrl' | 'dbTimeouts' | 'rateLimit'> {
  const d = ACCESS_SETTINGS_DEFAULT;
  const appDatabaseUrl = env.SPC_APP_DATABASE_URL || undefined;
  return {
    appDatabaseUrl,
    apiDatabaseUrl: env.SPC_API_DATABASE_URL || appDatabaseUrl,
    workerDatabaseUrl: env.SPC_WORKER_DATABASE_URL || appDatabaseUrl,
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

/** SPC_READINGS_FROM_DAY and SPC_READINGS_TO_DAY: the days of the month a period's readings window spans unless the period sets its own. */
export function readingsWindowFromEnv(env: NodeJS.ProcessEnv = process.env): ReadingsWindowDays {
  const d = READINGS_WINDOW_DAYS_DEFAULT;
  const days = { fromDay: wholeNumberFromEnv(env, 'SPC_READINGS_FROM_DAY', d.fromDay, 'days', 1), toDay: wholeNumberFromEnv(env, 'SPC_READINGS_TO_DAY', d.toDay, 'days', 1) };
  try {
    assertWindowDays(days);
  } catch (err) {
    throw new Error(`SPC_READINGS_FROM_DAY/SPC_READINGS_TO_DAY: ${(err as Error).message}.`);
  }
  return days;
}

export const RETENTION_DEFAULT_DAYS = 30;
const RETENTION_MAX_DAYS = 3650;

/** Retention in days from SPC_RETENTION_DAYS (default 30). */
export function retentionDaysFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SPC_RETENTION_DAYS;
  if (raw === undefined || raw === '') return RETENTION_DEFAULT_DAYS;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 1 || days > RETENTION_MAX_DAYS) {
    throw new Error(`SPC_RETENTION_DAYS=${raw} must be a whole number of days from 1 to ${RETENTION_MAX_DAYS}.`);
  }
  return days;
}

/** The embedded Postgres listens here unless SPC_PG_PORT says otherwise. */
export const EMBEDDED_PG_PORT_DEFAULT = 54329;

function embeddedPgPortFromEnv(env: NodeJS.ProcessEnv): number {
  const port = Number(env.SPC_PG_PORT ?? EMBEDDED_PG_PORT_DEFAULT);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`SPC_PG_PORT=${env.SPC_PG_PORT} is not a TCP port.`);
  return port;
}

export const SPC_NAME_DEFAULT = 'АО «ALSECO»';
/**
 * A valid placeholder, not ALSECO's real BIN (we have not verified it): production sets SPC_BIN.
 * It only appears as the initiating party's id in the pain.001 header.
 */
export const SPC_BIN_DEFAULT = '981140000038';

/** Thrown at start-up when the SPC's configured identity cannot go into a payment list. */
export class SettlementConfigError extends Error {
  override name = 'SettlementConfigError';
}

export function settlementConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SettlementConfig {
  const spcName = (env.SPC_NAME ?? SPC_NAME_DEFAULT).trim();
  const spcBin = (env.SPC_BIN ?? SPC_BIN_DEFAULT).trim();
  if (!spcName) throw new SettlementConfigError('SPC_NAME is empty: set it to the SPC\'s legal name, e.g. АО «ALSECO»');
  if (!isValidBin(spcBin)) throw new SettlementConfigError(`SPC_BIN ${JSON.stringify(spcBin)} is not a valid 12-digit BIN (mod-11 check): set the SPC's real BIN`);
  return { spcName, spcBin };
}

/** Longest complaint deadline a deployment may set, in business days. */
const COMPLAINT_DEADLINE_DAYS_MAX = 60;

/**
 * Deadlines in business days per disposition: the defaults in domain/complaint-types.ts, overridden
 * by SPC_COMPLAINT_DEADLINES (e.g. "DUPLICATE_PAYMENT=2,OTHER=15").
 */
export function complaintDeadlinesFromEnv(env: NodeJS.ProcessEnv = process.env): Record<Disposition, number> {
  const out = Object.fromEntries(Object.entries(COMPLAINT_DISPOSITIONS).map(([k, v]) => [k, v.deadlineBusinessDays])) as Record<Disposition, number>;
  for (const part of (env.SPC_COMPLAINT_DEADLINES ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, value] = part.split('=');
    const days = Number(value);
    if (!isDisposition(key) || !Number.isInteger(days) || days < 1 || days > COMPLAINT_DEADLINE_DAYS_MAX) {
      throw new Error(`SPC_COMPLAINT_DEADLINES: ${JSON.stringify(part)} must be DISPOSITION=<1-${COMPLAINT_DEADLINE_DAYS_MAX} business days>, dispositions: ${Object.keys(COMPLAINT_DISPOSITIONS).join(', ')}`);
    }
    out[key] = days;
  }
  return out;
}

function dataDirFromEnv(env: NodeJS.ProcessEnv): string {
  return path.resolve(env.SPC_DATA_DIR ?? path.join(PROJECT_ROOT, '.data'));
}

/** Where archives go unless SPC_ARCHIVE_DIR says otherwise: under the data directory. */
export function archiveDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.SPC_ARCHIVE_DIR ?? path.join(dataDirFromEnv(env), 'archive'));
}

/** SPC_OPERATOR, trimmed; unset or blank is undefined. */
export function operatorFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.SPC_OPERATOR?.trim() || undefined;
}

/** The CLI operator's personal token: SPC_OPERATOR_TOKEN or its file (infra/operator-credential.ts). */
export function operatorCredential(env: NodeJS.ProcessEnv = process.env): OperatorCredential {
  return operatorCredentialFromEnv(env, dataDirFromEnv(env));
}

/** SPC_DEV: 1 or true marks a development run; anything else but unset or 0/false is refused. */
export function devRunFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = (env.SPC_DEV ?? '').trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new Error(`SPC_DEV=${env.SPC_DEV} must be 1 (a development run) or 0.`);
}

/** The target of `spc bench --http` without --url/--key: SPC_BENCH_URL and SPC_BENCH_KEY. */
export function benchTargetFromEnv(env: NodeJS.ProcessEnv = process.env): { url?: string; key?: string } {
  return { url: env.SPC_BENCH_URL || undefined, key: env.SPC_BENCH_KEY || undefined };
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
  const dataDir = dataDirFromEnv(env);
  return {
    projectRoot: PROJECT_ROOT,
    dataDir,
    cacheDir: path.resolve(env.SPC_CACHE_DIR ?? path.join(PROJECT_ROOT, '.cache')),
    databaseUrl: env.DATABASE_URL || undefined,
    embeddedPgPort: embeddedPgPortFromEnv(env),
    archiveDir: archiveDirFromEnv(env),
    temporalRetentionDays: retentionDaysFromEnv(env),
    temporalCliPath: env.TEMPORAL_CLI_PATH || undefined,
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
    operatorToken: env.SPC_OPS_PAGE_TOKEN || undefined,
    engine: engineFromEnv(env),
    process: { healthPort: portFromEnv(env, 'SPC_HEALTH_PORT'), healthHost: env.SPC_HEALTH_HOST || '127.0.0.1', shutdownGraceMs: graceFromEnv(env) },
    ...accessFromEnv(env),
    settlement: settlementConfigFromEnv(env),
    readingsWindow: readingsWindowFromEnv(env),
    households: householdConfigFromEnv(env),
    providerPush: providerPushConfigFromEnv(env),
    complaintDeadlines: complaintDeadlinesFromEnv(env),
    notPostedComplaintsPerDayMax: wholeNumberFromEnv(env, 'SPC_NOT_POSTED_COMPLAINTS_PER_DAY_MAX', NOT_POSTED_COMPLAINTS_PER_DAY_DEFAULT, 'complaints', 1),
    operator: operatorFromEnv(env),
    devRun: devRunFromEnv(env),
    executableDirs: (env.PATH ?? '').split(path.delimiter).filter(Boolean),
    logLevel: logLevelFromEnv(env),
  };
}

/** Working days a provider has to report a confirmed list line received before a case is raised (issue 19). */
export const TRANSFER_REPORT_WORKING_DAYS_DEFAULT = 3;
export const TRANSFER_REPORT_WORKING_DAYS_MAX = 30;

export function transferReportWorkingDaysFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SPC_TRANSFER_REPORT_WORKING_DAYS;
  if (raw === undefined || raw === '') return TRANSFER_REPORT_WORKING_DAYS_DEFAULT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > TRANSFER_REPORT_WORKING_DAYS_MAX) {
    throw new Error(`SPC_TRANSFER_REPORT_WORKING_DAYS must be a whole number from 1 to ${TRANSFER_REPORT_WORKING_DAYS_MAX}, got ${JSON.stringify(raw)}`);
  }
  return n;
}
