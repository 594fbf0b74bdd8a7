// Structured logs of the long-running processes (`spc api`, `spc worker`, `spc keeper`): one JSON
// object per line on stderr, {"time","level","msg","pid","role",...fields}, so a log shipper can
// index workflowId, bankCode, bankRef and activityType without parsing prose. The same logger is
// fastify's (it has pino's shape: level methods taking (fields, msg) or (msg), child(), level) and,
// through temporalLogger(), the Temporal SDK Runtime's, which adds the workflow and activity context.
//
// Personal data never reaches a log line (redact()): fields named like personal data (accounts,
// names, addresses, readings, whole requests) are replaced, and in free text (messages, errors,
// URLs) any run of 6-16 digits that is not part of an identifier is masked, because personal
// accounts are 6-16 digits and a database error or an invoice URL may quote one.
// Secrets never reach one either: credential headers and fields (authorization, cookie, token) are
// replaced, and in free text a URL's `token` query parameter and the codec UI's capability path
// (/codec/ui/<value>, retired) are masked, since fastify logs every request's URL.
import type { LogLevel as SdkLogLevel, LogMetadata } from '@temporalio/common';
import { LOG_LEVELS, type LogLevel } from './config';

export type { LogLevel } from './config';
type Fields = Record<string, unknown>;

export const REDACTED = '[redacted]';
/** Field names (lower case) whose values are personal data or may hold it, at any depth. */
const PERSONAL_KEYS = new Set([
  'account', 'accounts', 'accountnumber', 'personalaccount', 'payer', 'payername', 'fullname', 'ownername', 'name_of_payer',
  'address', 'payeraddress', 'readings', 'reading', 'meterreadings', 'request', 'requests', 'rows', 'body', 'args', 'input', 'lines', 'phone', 'iin',
]);
/** Field names (lower case) whose values are credentials: request headers and the operator token. */
const SECRET_KEYS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'token', 'apikey', 'api_key', 'password', 'secret']);
/** Identifiers that may be all digits (a bank's reference) and must stay searchable. */
const IDENTIFIER_KEYS = new Set(['workflowid', 'runid', 'bankref', 'bankcode', 'activityid', 'tasktoken', 'reqid', 'registerid', 'settlementid', 'workflowrunid']);
/** 6-16 digits standing alone: not after a ':' (workflow ids: payment:HSBK:<ref>), a letter, '.', '-' or another digit. */
const DIGIT_RUN = /(?<![\w:.-])\d{6,16}(?![\w.])/g;
/** A `token` query parameter (the operator page's sign-in link): its value up to the next & or #. */
const TOKEN_PARAM = /([?&]token=)[^&#\s"]*/gi;
/** An earlier start's codec UI capability (/codec/ui/<value>/decode): retired, still never logged. */
const CODEC_UI_VALUE = /(\/codec\/ui\/)(?!(?:en|de)code(?:[/?#\s"]|$))[^/?#\s"]+/g;
const DEPTH_MAX = 5;
const ITEMS_MAX = 50;
const STRING_CHARS_MAX = 4_000;

export function redactText(text: string): string {
  return (text.length > STRING_CHARS_MAX ? `${text.slice(0, STRING_CHARS_MAX)}…` : text)
    .replace(TOKEN_PARAM, `$1${REDACTED}`)
    .replace(CODEC_UI_VALUE, `$1${REDACTED}`)
    .replace(DIGIT_RUN, '[digits]');
}

/** A copy of value fit for a log line: personal fields replaced, free text masked, bounded in depth and size. */
export function redact(value: unknown, key = '', depth = 0): unknown {
  const lower = key.toLowerCase();
  if (PERSONAL_KEYS.has(lower) || SECRET_KEYS.has(lower)) return value === undefined ? undefined : REDACTED;
  if (typeof value === 'string') return IDENTIFIER_KEYS.has(lower) ? value.slice(0, 200) : redactText(value);
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value;
  if (depth >= DEPTH_MAX) return '[…]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { type: value.name, message: redactText(value.message), stack: value.stack ? redactText(value.stack) : undefined, ...(code !== undefined ? { code: String(code) } : {}) };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.slice(0, ITEMS_MAX).map((v) => redact(v, '', depth + 1));
  const http = httpSummary(lower, value);
  if (http) return redact(http, '', depth + 1);
  // Sockets, streams, clients: never walked (they are huge and may hold anything); their class is enough.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return `[${(value as object).constructor?.name ?? 'object'}]`;
  const out: Fields = {};
  for (const [k, v] of Object.entries(value as Fields)) {
    if (typeof v !== 'function') out[k] = redact(v, k, depth + 1);
  }
  return out;
}

/** fastify logs its request and reply objects under req and res: what pino's serializers keep of them. */
function httpSummary(key: string, value: object): Fields | undefined {
  if (key === 'req' && 'method' in value && 'url' in value) {
    const r = value as { method: unknown; url: unknown; id?: unknown; socket?: { remoteAddress?: unknown } };
    return { method: r.method, url: r.url, id: r.id, remoteAddress: r.socket?.remoteAddress };
  }
  if (key === 'res' && 'statusCode' in value) return { statusCode: (value as { statusCode: unknown }).statusCode };
  return undefined;
}

const RANK: Record<LogLevel | 'fatal', number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

type LogFn = { (msg: string): void; (fields: unknown, msg?: string): void };

/** pino's shape, as much of it as fastify and the SPC use. */
export interface SpcLogger {
  level: string;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  silent: LogFn;
  child(bindings: Fields, options?: { level?: string }): SpcLogger;
  isLevelEnabled(level: string): boolean;
}

export interface LoggerOptions {
  level: LogLevel;
  /** Fields of every line (role, and a child's bindings). */
  bindings?: Fields;
  /** Where lines go; default stderr. */
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(opts: LoggerOptions): SpcLogger {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const now = opts.now ?? (() => new Date());
  const bindings = opts.bindings ?? {};
  const logger = { level: opts.level } as SpcLogger;
  const emit = (level: keyof typeof RANK) => (first: unknown, msg?: string) => {
    if (RANK[level] < RANK[logger.level as LogLevel]) return;
    const fields = typeof first === 'string' ? {} : first instanceof Error ? { err: first } : (first as Fields | undefined) ?? {};
    const text = typeof first === 'string' ? first : msg ?? (first instanceof Error ? first.message : '');
    const line = { time: now().toISOString(), level, msg: redactText(text), pid: process.pid, ...(redact({ ...bindings, ...fields }) as Fields) };
    write(`${JSON.stringify(line)}\n`);
  };
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) logger[level] = emit(level) as LogFn;
  logger.silent = (() => undefined) as LogFn;
  logger.isLevelEnabled = (level: string) => (RANK[level as LogLevel] ?? Infinity) >= RANK[logger.level as LogLevel];
  logger.child = (more: Fields, options?: { level?: string }) =>
    createLogger({ ...opts, level: levelOf(options?.level) ?? (logger.level as LogLevel), bindings: { ...bindings, ...more } });
  return logger;
}

function levelOf(raw: string | undefined): LogLevel | undefined {
  return raw && (LOG_LEVELS as readonly string[]).includes(raw) ? (raw as LogLevel) : undefined;
}

/** The Temporal SDK's level for ours ('silent' has none: ERROR is the quietest). */
export function sdkLevelOf(level: LogLevel): SdkLogLevel {
  return ({ trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', silent: 'ERROR' } as const)[level];
}

/** A line of the Temporal SDK (with its workflow/activity metadata) written through an SpcLogger. */
export function writeSdkEntry(logger: SpcLogger, level: SdkLogLevel, message: string, meta: LogMetadata | undefined): void {
  const fields: Fields = {};
  for (const [k, v] of Object.entries(meta ?? {})) if (typeof k === 'string') fields[k] = v;
  logger[level.toLowerCase() as 'info'](fields, message);
}

let root: SpcLogger | undefined;

/** This process's logger (what configureProcessLogger set; before that, info to stderr). */
export function processLogger(): SpcLogger {
  root ??= createLogger({ level: 'info' });
  return root;
}

/** Sets this process's logger once at start: the configured level (SPC_LOG_LEVEL) and the process's role. */
export function configureProcessLogger(level: LogLevel, role: string): SpcLogger {
  root = createLogger({ level, bindings: { role } });
  return root;
}
