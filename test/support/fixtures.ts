// Small builders for tests on a migrated database: the reference world (banks, providers,
// services, holidays) and accounts with an invoice whose lines the test spells out.
import type { Knex } from 'knex';
import { seedReferenceData } from '../../db/seed/reference';
import { currentPeriod, dueDateFor, parsePeriod } from '../../db/seed/demo';
import { Money, formatAmount } from '../../domain/money';

export async function createWorld(db: Knex): Promise<void> {
  await seedReferenceData(db);
}

export interface FixtureLine {
  service: string;
  /** Signed decimal string: > 0 debt carried over, < 0 credit. Default '0.00'. */
  opening?: string;
  charged: string;
  /** Meter reading at the start of the period; metered services only. Default '0.000'. */
  previousReading?: string;
}

export interface CreateAccountOptions {
  number: string;
  lines: FixtureLine[];
  /** YYYY-MM-01 (or YYYY-MM); default: the current month in Asia/Almaty. */
  period?: string;
  holderName?: string;
  address?: string;
}

/**
 * Creates the account if it is new, a meter for every metered service on the invoice (kept if it
 * exists), and the invoice for `period` with the given lines; amount_due is computed as the
 * schema requires, GREATEST(opening + charged, 0).
 */
export async function createAccount(db: Knex, opts: CreateAccountOptions): Promise<{ invoiceId: string }> {
  const period = parsePeriod(opts.period ?? currentPeriod());
  if (opts.lines.length === 0) throw new Error(`createAccount(${opts.number}): give at least one invoice line`);
  return db.transaction(async (trx) => {
    const codes = opts.lines.map((l) => l.service);
    const services = await trx('services').whereIn('code', codes).select<Array<{ code: string; metered: boolean }>>('code', 'metered');
    const metered = new Map(services.map((s) => [s.code, s.metered]));
    const unknown = codes.filter((c) => !metered.has(c));
    if (unknown.length > 0) throw new Error(`createAccount(${opts.number}): unknown service(s) ${unknown.join(', ')}; call createWorld(db) first`);

    await trx('personal_accounts')
      .insert({ number: opts.number, holder_name: opts.holderName ?? 'Тестов Тест Тестович', address: opts.address ?? 'г. Алматы, ул. Тестовая, д. 1, кв. 1' })
      .onConflict('number')
      .ignore();

    const meterIds = new Map<string, string>();
    for (const line of opts.lines) {
      if (!metered.get(line.service)) {
        if (line.previousReading !== undefined) throw new Error(`createAccount(${opts.number}): ${line.service} is not metered; drop previousReading`);
        continue;
      }
      await trx('meters')
        .insert({ account_number: opts.number, service_code: line.service, serial_no: `FX-${opts.number}-${line.service}` })
        .onConflict(['account_number', 'service_code'])
        .ignore();
      const meter = await trx('meters').where({ account_number: opts.number, service_code: line.service }).first<{ id: string }>('id');
      if (!meter) throw new Error(`invariant: meter for ${opts.number}/${line.service} not found after insert`);
      meterIds.set(line.service, String(meter.id));
    }

    const [invoice] = await trx('invoices').insert({ account_number: opts.number, period, due_date: dueDateFor(period) }).returning<Array<{ id: string }>>('id');
    if (!invoice) throw new Error('invariant: invoice insert returned no id');
    const invoiceId = String(invoice.id);

    await trx('invoice_lines').insert(
      opts.lines.map((line) => {
        const opening = new Money(line.opening ?? '0');
        const charged = new Money(line.charged);
        const due = Money.max(opening.plus(charged), 0);
        const meterId = meterIds.get(line.service);
        return {
          invoice_id: invoiceId,
          service_code: line.service,
          opening_balance: formatAmount(opening),
          charged: formatAmount(charged),
          amount_due: formatAmount(due),
          meter_id: meterId ?? null,
          previous_reading: meterId ? (line.previousReading ?? '0.000') : null,
        };
      }),
    );
    return { invoiceId };
  });
}
