// Gauges read from Postgres: settlements overdue for confirmation, bank-days before today that
// hold accepted payments but were never settled (db/queries/unsettled.ts, the query /ops and the
// ledger audit ask), and what the back office has waiting (db/queries/back-office-gauges.ts). They are refreshed on a fixed interval by the schedule keeper, never per
// scrape: any number of Prometheus servers scraping every few seconds cost Postgres nothing more.
import type { Knex } from 'knex';
import { toAlmaty } from '../domain/calendar';
import { findUnsettledBankDays, UNSETTLED_DAYS_LISTED_MAX } from '../db/queries/unsettled';
import { countBackOfficeWaiting, type BackOfficeCounts } from '../db/queries/back-office-gauges';
import { metrics } from './metrics';

/** A minute is fresh enough for days and deadlines, and two small queries a minute are nothing. */
export const READ_MODEL_REFRESH_MS = 60_000;

let values: ({ overdue: number; unsettled: number; atMs: number } & BackOfficeCounts) | undefined;

metrics.gauge('spc_settlements_overdue', 'Settlements whose bank has not confirmed its transfers by the deadline (status overdue).', () => values?.overdue);
metrics.gauge(
  'spc_bank_days_unsettled',
  `Bank-days before today (Almaty) with accepted payments and no settlement: money on no payment list (at most ${UNSETTLED_DAYS_LISTED_MAX} counted).`,
  () => values?.unsettled,
);
metrics.gauge('spc_complaints_overdue', 'Complaints past their deadline and not resolved (open, assigned or escalated).', () => values?.complaintsOverdue);
metrics.gauge('spc_transfer_cases_open', 'Open TRANSFER_NOT_RECEIVED cases: a bank confirmed a transfer its provider has not reported received.', () => values?.transferCasesOpen);
metrics.gauge('spc_mails_failed', 'Invoice mails of the last 24 hours refused for good (5xx, or out of attempts).', () => values?.mailsFailed);
metrics.gauge('spc_mails_uncertain', 'Invoice mails of the last 24 hours whose worker died while sending: not sent again, maybe never received.', () => values?.mailsUncertain);
metrics.gauge('spc_read_model_refreshed_timestamp_seconds', 'When the gauges read from Postgres were last refreshed (Unix seconds).', () => (values ? values.atMs / 1000 : undefined));
const refreshFailures = metrics.counter('spc_read_model_refresh_failures_total', 'Refreshes of the gauges read from Postgres that failed.');

/** Reads the gauges now (the keeper's loop calls it; tests call it directly). */
export async function refreshReadModelGauges(db: Knex, now: Date = new Date()): Promise<void> {
  const [overdue, unsettled, waiting] = await Promise.all([
    db('settlements').where({ status: 'overdue' }).count<{ n: string }[]>({ n: '*' }),
    findUnsettledBankDays(db, toAlmaty(now).date),
    countBackOfficeWaiting(db, now),
  ]);
  values = { overdue: Number(overdue[0]?.n ?? 0), unsettled: unsettled.length, atMs: now.getTime(), ...waiting };
}

/** Refreshes at once and then every intervalMs; a failed refresh is counted and logged, the last values stay. */
export function startReadModelGauges(db: Knex, opts: { intervalMs?: number; log: (m: string) => void }): { stop(): void } {
  const refresh = () =>
    refreshReadModelGauges(db).catch((err: Error) => {
      refreshFailures.inc();
      opts.log(`read-model gauges not refreshed: ${err.message}`);
    });
  void refresh();
  const timer = setInterval(refresh, opts.intervalMs ?? READ_MODEL_REFRESH_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
