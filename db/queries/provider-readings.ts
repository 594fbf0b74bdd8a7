// A period's meter readings as a provider downloads them (GET /v1/provider/readings, issue 18
// item 2, first cut): the readings of the provider's metered services only, that came in with
// payments against the period's invoices and still stand (a cancelled or excluded payment's
// reading does not count, as on the invoice: db/queries/invoices.ts). Per account and meter:
// previous, current, the channel and time it came in and the bank that sent it.
import type { Knex } from 'knex';

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
}

export async function findProviderReadings(
  db: Knex, providerId: string, period: string, limit = PROVIDER_READINGS_MAX,
): Promise<{ readings: ProviderReadingRow[]; truncated: boolean }> {
  const rows = await db('meter_readings as r')
    .join('meters as m', 'm.id', 'r.meter_id')
    .join('services as s', 's.code', 'm.service_code')
    .join('payments as p', 'p.id', 'r.payment_id')
    .join('invoices as i', 'i.id', 'p.invoice_id')
    .where({ 's.provider_id': providerId, 's.metered': true, 'p.status': 'accepted' })
    .where('i.period', `${period}-01`)
    .orderBy([{ column: 'm.account_number' }, { column: 'm.service_code' }, { column: 'r.read_at' }, { column: 'r.id' }])
    .limit(limit + 1)
    .select('m.account_number', 'm.service_code', 'm.serial_no', 'r.previous_value', 'r.value', 'p.channel', 'r.read_at', 'p.bank_code');
  return {
    truncated: rows.length > limit,
    readings: rows.slice(0, limit).map((r) => ({
      account: r.account_number, service: r.service_code, meterSerial: r.serial_no, previous: r.previous_value, current: r.value,
      channel: r.channel, readAt: r.read_at, bankCode: r.bank_code,
    })),
  };
}
