// A period's meter readings as a provider downloads them (GET /v1/provider/readings, issue 18
// item 2): the readings of the provider's metered services only, that came in during the period's
// readings range (domain/billing-period.ts: after the previous period's window, through this one's,
// so a late reading counts for the next period) and still stand (a cancelled or excluded payment's
// reading does not count, as on the invoice: db/queries/invoices.ts). Per account and meter:
// previous, current, the channel and time it came in and who sent it.
import type { Knex } from 'knex';
import { addMonths, periodStart, readingsRangeOf, readingsWindowOf, type ReadingsWindow, type ReadingsWindowDays } from '../../domain/billing-period';

/** One answer holds at most this many readings; `truncated` says when there were more. */
export const PROVIDER_READINGS_MAX = 50_000;

export interface ProviderReadingRow {
  account: string;
  service: string;
  meterSerial: string;
  previous: string;
  current: string;
  channel: string;
  readAt: Date;
  bankCode: string;
  /** Who sent it: `bank:<code>` today; readings a household sends itself will say `household`. */
  sentBy: string;
}

export interface ProviderReadings {
  window: ReadingsWindow;
  readings: ProviderReadingRow[];
  truncated: boolean;
}

/** The readings windows of a period and the one before it (their own dates where billing_periods sets them). */
async function windowsOf(db: Knex, period: string, days: ReadingsWindowDays): Promise<{ previous: ReadingsWindow; current: ReadingsWindow }> {
  const before = addMonths(period, -1);
  const rows = await db('billing_periods')
    .whereIn('period', [periodStart(before), periodStart(period)])
    .select(db.raw("to_char(period, 'YYYY-MM') AS period"), db.raw("to_char(readings_from, 'YYYY-MM-DD') AS from"), db.raw("to_char(readings_to, 'YYYY-MM-DD') AS to"));
  const own = (p: string) => rows.find((r) => r.period === p) ?? null;
  return { previous: readingsWindowOf(before, own(before), days), current: readingsWindowOf(period, own(period), days) };
}

export async function findProviderReadings(
  db: Knex, providerId: string, period: string, days: ReadingsWindowDays, limit = PROVIDER_READINGS_MAX,
): Promise<ProviderReadings> {
  const { previous, current } = await windowsOf(db, period, days);
  const range = readingsRangeOf(previous, current);
  const rows = await db('meter_readings as r')
    .join('meters as m', 'm.id', 'r.meter_id')
    .join('services as s', 's.code', 'm.service_code')
    .join('payments as p', 'p.id', 'r.payment_id')
    .where({ 's.provider_id': providerId, 's.metered': true, 'p.status': 'accepted' })
    .where('r.read_at', '>=', range.fromUtc)
    .where('r.read_at', '<', range.untilUtc)
    .orderBy([{ column: 'm.account_number' }, { column: 'm.service_code' }, { column: 'r.read_at' }, { column: 'r.id' }])
    .limit(limit + 1)
    .select('m.account_number', 'm.service_code', 'm.serial_no', 'r.previous_value', 'r.value', 'p.channel', 'r.read_at', 'p.bank_code');
  return {
    window: current,
    truncated: rows.length > limit,
    readings: rows.slice(0, limit).map((r) => ({
      account: r.account_number, service: r.service_code, meterSerial: r.serial_no, previous: r.previous_value, current: r.value,
      channel: r.channel, readAt: r.read_at, bankCode: r.bank_code, sentBy: `bank:${r.bank_code}`,
    })),
  };
}
