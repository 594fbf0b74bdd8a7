// Personal accounts as the stores and the operator's commands look at them: how many there are
// (`spc up` seeds demo accounts into an empty database), whether a number is one (before an access
// code or a mail subscription is stored for it; `spc demo`'s unknown account), and what the demo pays.
import type { Knex } from 'knex';

export async function countAccounts(db: Knex): Promise<number> {
  const { count } = (await db('personal_accounts').count({ count: '*' }).first()) as { count: string };
  return Number(count);
}

export async function accountExists(db: Knex, number: string): Promise<boolean> {
  return Boolean(await db('personal_accounts').where({ number }).first('number'));
}

/** One line of an account's latest invoice, with the meter's highest known reading (the floor of the next). */
export interface LatestInvoiceLine {
  number: string;
  service_code: string;
  amount_due: string;
  meter_id: string | null;
  previous: string | null;
}

/**
 * The latest invoice's lines of the first `accountsMax` accounts by number (the same every run),
 * by account and service order: what `spc demo` pays.
 */
export async function firstAccountsLatestLines(db: Knex, accountsMax: number): Promise<LatestInvoiceLine[]> {
  const { rows } = await db.raw<{ rows: LatestInvoiceLine[] }>(
    `SELECT a.number, l.service_code, l.amount_due, l.meter_id,
            GREATEST(l.previous_reading, (SELECT max(r.value) FROM meter_readings r WHERE r.meter_id = l.meter_id))::text AS previous
       FROM (SELECT number FROM personal_accounts ORDER BY number LIMIT ?) a
       CROSS JOIN LATERAL (SELECT id FROM invoices WHERE account_number = a.number ORDER BY period DESC LIMIT 1) i
       JOIN invoice_lines l ON l.invoice_id = i.id
       JOIN services s ON s.code = l.service_code
      ORDER BY a.number, s.sort_order`,
    [accountsMax],
  );
  return rows;
}
