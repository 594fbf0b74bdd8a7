// The month half of the provider bench: the month's earlier list days, copied from the peak day
// (same banks, same providers, same amounts: what the matching reads is list lines), and a month
// of transfers the providers report received, several per list line (partial credits), some short,
// some over, some for days with no list, as a bank statement has them.
import type { Knex } from 'knex';
import { addDays, isWeekend } from '../domain/calendar';
import { Money, formatAmount } from '../domain/money';

export interface ReportedLine { bankCode: string; businessDate: string; amount: string; statementRef: string }

/** The `days` weekdays before `today`. */
export function weekdaysBefore(today: string, days: number): string[] {
  const out: string[] = [];
  for (let d = addDays(today, -1); out.length < days; d = addDays(d, -1)) if (!isWeekend(d)) out.push(d);
  return out;
}

/** Copies the peak day's delivered settlements and their lines to each of `dates`. */
export async function copyListDays(db: Knex, today: string, dates: string[]): Promise<void> {
  for (const date of dates) {
    await db.raw(
      `INSERT INTO settlements (id, bank_code, business_date, status, payment_count, payments_total, reversal_count, reversals_total, net_total,
                                execution_date, confirm_due_date, msg_id, aggregated_at, delivered_at, workflow_id)
       SELECT bank_code || ':' || ?, bank_code, ?::date, 'delivered', payment_count, payments_total, reversal_count, reversals_total, net_total,
              ?::date, ?::date, msg_id || '-' || ?, aggregated_at, delivered_at, 'bench-copy:' || bank_code || ':' || ?
         FROM settlements WHERE business_date = ?`,
      [date, date, date, date, date.replace(/-/g, ''), date, today],
    );
    await db.raw(
      `INSERT INTO settlement_lines (settlement_id, line_no, provider_id, amount, payment_count, end_to_end_id)
       SELECT s.bank_code || ':' || ?, l.line_no, l.provider_id, l.amount, l.payment_count, l.end_to_end_id || '-' || ?
         FROM settlement_lines l JOIN settlements s ON s.id = l.settlement_id WHERE s.business_date = ?`,
      [date, date.replace(/-/g, ''), today],
    );
  }
}

/**
 * Per provider, the month's transfers: each list line in `parts` credits (the last one short by
 * 1.00 on every 10th line, over by 1.00 on every 15th), plus one transfer for a day with no list per 50 lines.
 */
export async function monthTransfers(db: Knex, dates: string[], parts: number): Promise<Map<string, ReportedLine[]>> {
  const lines = await db('settlement_lines as l').join('settlements as s', 's.id', 'l.settlement_id').whereIn('s.business_date', dates).andWhere('l.amount', '>', 0)
    .orderBy(['l.provider_id', 's.business_date', 's.bank_code']).select('l.provider_id', 's.bank_code', 's.business_date', 'l.amount');
  const byProvider = new Map<string, ReportedLine[]>();
  lines.forEach((l, i) => {
    const out = byProvider.get(l.provider_id) ?? [];
    const total = new Money(l.amount).plus(i % 10 === 0 ? -1 : i % 15 === 0 ? 1 : 0);
    const part = total.dividedBy(parts).toDecimalPlaces(2, Money.ROUND_DOWN);
    for (let p = 0; p < parts; p++) {
      const amount = p < parts - 1 ? part : total.minus(part.times(parts - 1));
      out.push({ bankCode: l.bank_code, businessDate: l.business_date, amount: formatAmount(amount), statementRef: `ST-${l.bank_code}-${l.business_date}-${p + 1}` });
    }
    if (i % 50 === 0) out.push({ bankCode: l.bank_code, businessDate: addDays(dates[dates.length - 1] as string, -3), amount: '10.00', statementRef: `ST-${l.bank_code}-nolist-${i}` });
    byProvider.set(l.provider_id, out);
  });
  return byProvider;
}
