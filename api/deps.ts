// What the HTTP server needs from the outside world; every route plugin receives it as its options.
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/connection';
import type { AccountSpreadSettings } from './account-spread';
import type { CabinetMail } from './cabinet-email';
import type { RateLimitSettings } from './rate-limit';
import type { ReadingsWindowDays } from '../domain/billing-period';
import type { RegisterParser } from './register-parser';
import type { CodecAuditEntry } from './routes/codec';

export interface ApiDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  /** Token of the operator page (api/routes/ops.ts); unset: the operator page is closed. */
  operatorToken?: string;
  /** Base URL of the Temporal Web UI, for links on the operator page. */
  temporalUiUrl?: string;
  /** The installation's payload codec, served to operators at /codec (api/routes/codec.ts); unset: payloads are not encrypted. */
  payloadCodec?: PayloadCodec;
  /** Where each decode's audit line goes (default: the request logger at info). */
  codecAudit?: (entry: CodecAuditEntry) => void;
  /** Payloads /codec decodes a minute (default CODEC_DECODES_PER_MINUTE_MAX); tests lower it. */
  codecDecodesPerMinuteMax?: number;
  /** A pino-compatible logger, or true for fastify's default; default: warnings and errors to stderr. */
  logger?: FastifyBaseLogger | boolean;
  /** Per-key and per-IP request limits of /v1 (default RATE_LIMITS_DEFAULT; SPC_RATE_LIMIT_* in infra/config.ts). */
  rateLimit?: RateLimitSettings;
  /** Requests a minute per client IP on /ops and /codec (api/rate-limit.ts's default when absent). */
  operatorRateLimitPerMinute?: number;
  /** Distinct accounts a key may look up invoices of per window (default ACCOUNT_SPREAD_DEFAULT). */
  accountSpread?: AccountSpreadSettings;
  /** PAYMENT_NOT_POSTED complaints a bank may raise per Almaty day (default NOT_POSTED_COMPLAINTS_PER_DAY_DEFAULT). */
  notPostedComplaintsPerDayMax?: number;
  /** Default readings window days of a billing period (default READINGS_WINDOW_DAYS_DEFAULT; SPC_READINGS_* in infra/config.ts). */
  readingsWindowDays?: ReadingsWindowDays;
  /** The mailer and link base of the cabinet's e-mail subscription form (api/cabinet-email.ts); unset: the form answers 503. The owner closes the mailer. */
  mail?: CabinetMail;
  /** Parses uploaded registers, big ones off the event loop (default: one of its own, closed with the server); tests observe it. */
  registerParser?: RegisterParser;
  /** Bound of each Temporal call a request makes (default ENGINE_CALL_TIMEOUT_MS); tests shorten it. */
  engineTimeoutMs?: number;
}
