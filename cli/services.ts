// Long-running services beside the worker: the HTTP API (bank API, cashier, operator page) and the
// settlement schedule keeper. `spc up` starts both; `spc api` and `spc keeper` start one each.
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import type { SpcConfig } from '../infra/config';
import { startScheduleSync, type ScheduleSync } from '../infra/schedules';
import { randomBytes } from 'node:crypto';
import { startApiServer } from '../api/server';
import { createMailer } from '../infra/mailer';
import type { PayloadCodec } from '@temporalio/common';
import type { FastifyBaseLogger } from 'fastify';
import { processLogger, type LogLevel } from '../infra/log';
import { startReadModelGauges } from '../infra/read-model-gauges';

const OPERATOR_TOKEN_BYTES = 18;

/** A token for the operator page of one run, when SPC_OPS_PAGE_TOKEN is not set. */
export function newOperatorToken(): string {
  return randomBytes(OPERATOR_TOKEN_BYTES).toString('base64url');
}

/**
 * fastify logs two lines per request at info: at the default level the HTTP logger keeps to
 * warnings and errors (requests are counted in /metrics); SPC_LOG_LEVEL=debug shows every request.
 */
function httpLogLevel(level: LogLevel): LogLevel {
  return level === 'debug' || level === 'trace' || level === 'error' || level === 'silent' ? level : 'warn';
}

export interface Services {
  apiUrl?: string;
  /** The operator page's address with its token, when the API runs. */
  opsUrl?: string;
  /** The schedule keeper's loop, when it runs here. */
  scheduleSync?: ScheduleSync;
  stop(): Promise<void>;
}

export async function startServices(opts: {
  cfg: SpcConfig;
  db: Db;
  client: Client;
  api: boolean;
  /** Run the schedule keeper here (default true); at most one keeper should run per namespace, though more are harmless. */
  schedules?: boolean;
  temporalUiUrl?: string;
  log: (m: string) => void;
  /** The installation's payload codec, served at the API's /codec. */
  payloadCodec?: PayloadCodec;
}): Promise<Services> {
  const stops: Array<() => Promise<void>> = [];
  let scheduleSync: ScheduleSync | undefined;
  if (opts.schedules !== false) {
    // One settlement schedule per bank at its cut-off, created now and kept in step with changed cut-offs.
    const schedules = await startScheduleSync(opts.client, opts.db, { taskQueue: opts.cfg.temporal.taskQueue, log: opts.log });
    stops.push(() => schedules.stop());
    scheduleSync = schedules;
    // One keeper per installation: the gauges read from Postgres are refreshed here, not by every worker.
    const gauges = startReadModelGauges(opts.db, { log: opts.log });
    stops.push(async () => gauges.stop());
  }
  let apiUrl: string | undefined;
  let opsUrl: string | undefined;
  if (opts.api) {
    // Without a configured token the scripts' shared Bearer of /ops/api is one for this run only,
    // so that nothing guessable protects them.
    const operatorToken = opts.cfg.operatorToken ?? newOperatorToken();
    const codecAuditLog = processLogger().child({ component: 'codec' });
    // The cabinet's subscription form mails its confirmation link through the same relay as the invoices.
    const { smtpUrl, publicUrl, mailFrom } = opts.cfg.households;
    const mailer = smtpUrl ? createMailer(smtpUrl) : undefined;
    if (mailer) stops.push(async () => mailer.close());
    const server = await startApiServer({
      db: opts.db, client: opts.client, taskQueue: opts.cfg.temporal.taskQueue, operatorToken, temporalUiUrl: opts.temporalUiUrl,
      host: opts.cfg.httpHost, port: opts.cfg.httpPort, rateLimit: opts.cfg.rateLimit, readingsWindowDays: opts.cfg.readingsWindow, payloadCodec: opts.payloadCodec,
      notPostedComplaintsPerDayMax: opts.cfg.notPostedComplaintsPerDayMax, mail: mailer ? { mailer, links: { publicUrl, mailFrom } } : undefined,
      // An audit line per decode at info, whatever the HTTP log's level (which is warn by default).
      codecAudit: (entry) => codecAuditLog.info(entry, 'codec decode'),
      // pino's shape (infra/log.ts); fastify's type names every pino member.
      logger: processLogger().child({ component: 'http' }, { level: httpLogLevel(opts.cfg.logLevel) }) as unknown as FastifyBaseLogger,
    }).catch(async (err: NodeJS.ErrnoException) => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      if (err.code === 'EADDRINUSE') throw new Error(`port ${opts.cfg.httpPort} on ${opts.cfg.httpHost} is in use: set PORT (and HOST) to a free one, or start with --no-api`);
      throw err;
    });
    stops.push(() => server.close());
    apiUrl = opts.cfg.publicBaseUrl ?? server.url;
    // Operators sign in as people (issue 16 item 6); the shared token is a script's Bearer only.
    opsUrl = `${apiUrl}/ops`;
    opts.log(`HTTP API listening on ${server.url}`);
  }
  return {
    apiUrl,
    opsUrl,
    scheduleSync,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
