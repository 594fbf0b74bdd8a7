// A period's meter readings as a provider downloads them (GET /v1/provider/readings, issue 18
// item 2): the readings of the provider's metered services only, that came in during the period's
// readings range (domain/billing-period.ts: after the previous period's window, through this one's,
// so a late reading counts for the next period) and still stand (a cancelled or excluded payment's
// reading does not count, as on the invoice: db/queries/invoices.ts). Per account and meter:
// previous, current, the channel and time it came in and who sent it. Readings households submitted
// in their cabinet (cabinet_readings, issue 20) count the same: channel 'cabinet', no bank.
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
  /** A bank's channel, or 'cabinet' for a household's own reading. */
  channel: string;
  readAt: Date;
  /** Null for a household's own reading (channel 'cabinet'). */
  bankCode: string | null;
  /** Who sent it: `bank:<code>`, or `household` for a cabinet reading. */
  sentBy: string;
}

interface ReadingSqlRow {
  account_number: string; service_code: string; serial_no: string; previous_value: string; value: string; channel: string; read_at: Date; bank_code: string | null;
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
  const { rows } = await db.raw<{ rows: ReadingSqlRow[] }>(
    `SELECT * FROM (
       SELECT m.account_number, m.service_code, m.serial_no, r.previous_value, r.value, p.channel, r.read_at, p.bank_code, r.id, 0 AS src
         FROM meter_readings r
         JOIN meters m ON m.id = r.meter_id JOIN services s ON s.code = m.service_code
         JOIN payments p ON p.id = r.payment_id
        WHERE s.provider_id = ? AND s.metered AND p.status = 'accepted' AND r.read_at >= ? AND r.read_at < ?
       UNION ALL
       SELECT m.account_number, m.service_code, m.serial_no, c.previous_value, c.value, 'cabinet', c.read_at, NULL, c.id, 1
         FROM cabinet_readings c
         JOIN meters m ON m.id = c.meter_id JOIN services s ON s.code = m.service_code
        WHERE s.provider_id = ? AND s.metered AND c.read_at >= ? AND c.read_at < ?) x
      ORDER BY account_number, service_code, read_at, src, id
      LIMIT ?`,
    [providerId, range.fromUtc, range.untilUtc, providerId, range.fromUtc, range.untilUtc, limit + 1],
  );
  return {
    window: current,
    truncated: rows.length > limit,
    readings: rows.slice(0, limit).map((r) => ({
      account: r.account_number, service: r.service_code, meterSerial: r.serial_no, previous: r.previous_value, current: r.value,
      channel: r.channel, readAt: r.read_at, bankCode: r.bank_code, sentBy: r.bank_code === null ? 'household' : `bank:${r.bank_code}`,
    })),
  };
}
