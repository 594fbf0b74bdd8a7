// A period's meter readings as a provider downloads them (GET /v1/provider/readings, issue 18
// item 2, first cut): the readings of the provider's metered services only, that came in with
// payments against the period's invoices and still stand (a cancelled or excluded payment's
// reading does not count, as on the invoice: db/queries/invoices.ts). Per account and meter:
// previous, current, the channel and time it came in and the bank that sent it. Readings households
// submitted in their cabinet count the same (channel 'cabinet', no bank).
import type { Knex } from 'knex';

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
}

interface ReadingSqlRow {
  account_number: string; service_code: string; serial_no: string; previous_value: string; value: string; channel: string; read_at: Date; bank_code: string | null;
}

export async function findProviderReadings(
  db: Knex, providerId: string, period: string, limit = PROVIDER_READINGS_MAX,
): Promise<{ readings: ProviderReadingRow[]; truncated: boolean }> {
  // The households' own readings (cabinet_readings, issue 20) count like a bank's: channel 'cabinet', no bank.
  const { rows } = await db.raw<{ rows: ReadingSqlRow[] }>(
    `SELECT * FROM (
       SELECT m.account_number, m.service_code, m.serial_no, r.previous_value, r.value, p.channel, r.read_at, p.bank_code, r.id, 0 AS src
         FROM meter_readings r
         JOIN meters m ON m.id = r.meter_id JOIN services s ON s.code = m.service_code
         JOIN payments p ON p.id = r.payment_id JOIN invoices i ON i.id = p.invoice_id
        WHERE s.provider_id = ? AND s.metered AND p.status = 'accepted' AND i.period = ?::date
       UNION ALL
       SELECT m.account_number, m.service_code, m.serial_no, c.previous_value, c.value, 'cabinet', c.read_at, NULL, c.id, 1
         FROM cabinet_readings c
         JOIN meters m ON m.id = c.meter_id JOIN services s ON s.code = m.service_code JOIN invoices i ON i.id = c.invoice_id
        WHERE s.provider_id = ? AND s.metered AND i.period = ?::date) x
      ORDER BY account_number, service_code, read_at, src, id
      LIMIT ?`,
    [providerId, `${period}-01`, providerId, `${period}-01`, limit + 1],
  );
  return {
    truncated: rows.length > limit,
    readings: rows.slice(0, limit).map((r) => ({
      account: r.account_number, service: r.service_code, meterSerial: r.serial_no, previous: r.previous_value, current: r.value,
      channel: r.channel, readAt: r.read_at, bankCode: r.bank_code,
    })),
  };
}
