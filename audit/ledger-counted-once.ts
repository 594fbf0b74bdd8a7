// Audit checks that money is counted once (issue 16): an excluded payment whose correction still has
// adjustments on their way to a list, a refund of a payment that no longer stands, and a bank-day
// stuck short of settled. Each is one SQL query returning the rows that break it.
import type { Knex } from 'knex';
import { rows, scopeSql } from './ledger-sql';

/** How long a settlement may sit in 'closing' or 'discrepancy' before the audit calls it stuck. */
export const STUCK_AFTER_HOURS_DEFAULT = 24;

export interface CountedOnceScope {
  date?: string;
  bank?: string;
}

/** An excluded or cancelled payment whose applied correction still has adjustments pending: they would pay it again. */
export async function excludedWithAdjustments(db: Knex, scope: CountedOnceScope) {
  const s = scopeSql(scope, 'p');
  const found = await rows(
    db,
    `SELECT p.id AS payment_id, p.bank_code, p.bank_ref, p.status, count(a.id)::int AS pending, sum(a.amount)::text AS pending_total
       FROM payments p JOIN corrections c ON c.payment_id = p.id AND c.status = 'applied'
       JOIN adjustments a ON a.correction_id = c.id AND a.settlement_id IS NULL
      WHERE p.status IN ('excluded', 'cancelled') AND ${s.sql}
      GROUP BY 1, 2, 3, 4 ORDER BY 1`,
    s.bindings,
  );
  return found.map((r) => ({
    check: 'excluded_with_adjustments' as const,
    subject: `payment ${r.payment_id} ${r.bank_code}/${r.bank_ref}`,
    detail: `${r.status}, yet ${r.pending} adjustment(s) of its correction (net ${r.pending_total}) are pending for the next list`,
    keys: { payment_id: r.payment_id },
  }));
}

/**
 * An applied refund of a payment that no longer stands: the payment was cancelled or excluded, or the
 * duplicate complaint that proposed it names a payment that was already cancelled (its twin was the one left).
 */
export async function refundOfFallenPayment(db: Knex, scope: CountedOnceScope) {
  const s = scopeSql(scope, 'p', 'c.bank_code');
  const found = await rows(
    db,
    `SELECT c.id AS correction_id, c.bank_code, c.bank_ref, p.status AS payment_status, k.id AS complaint_id, named.status AS named_status
       FROM corrections c JOIN payments p ON p.id = c.payment_id
       LEFT JOIN complaints k ON k.correction_id = c.id AND k.disposition = 'DUPLICATE_PAYMENT'
       LEFT JOIN payments named ON named.bank_code = k.bank_code AND named.bank_ref = k.bank_ref AND named.id <> p.id
      WHERE c.kind = 'refund' AND c.status = 'applied' AND ${s.sql}
        AND ((p.status IN ('cancelled', 'excluded') AND c.mode = 'adjusted')
          OR named.status IN ('cancelled', 'excluded', 'corrected'))
      ORDER BY 1`,
    s.bindings,
  );
  return found.map((r) => ({
    check: 'refund_of_fallen_payment' as const,
    subject: `correction ${r.correction_id}`,
    detail: r.named_status
      ? `refunds ${r.bank_code}/${r.bank_ref} for complaint ${r.complaint_id}, whose payment was already ${r.named_status}: the payer is refunded twice`
      : `refunds ${r.bank_code}/${r.bank_ref}, which was ${r.payment_status}`,
    keys: { correction_id: r.correction_id },
  }));
}

/** A settlement still 'closing' or 'discrepancy' longer than `stuckAfterHours` after it started. */
export async function bankDayStuck(db: Knex, scope: CountedOnceScope, now: Date, stuckAfterHours: number) {
  const s = scopeSql(scope, 's');
  const found = await rows(
    db,
    `SELECT s.id, s.status, s.created_at::text AS created_at
       FROM settlements s
      WHERE s.status IN ('closing', 'discrepancy') AND s.created_at < ?::timestamptz - make_interval(hours => ?) AND ${s.sql}
      ORDER BY 1`,
    [now.toISOString(), stuckAfterHours, ...s.bindings],
  );
  return found.map((r) => ({
    check: 'bank_day_stuck' as const,
    subject: `settlement ${r.id}`,
    detail: `${r.status} since ${r.created_at}, more than ${stuckAfterHours} h: the bank's list has not gone out`,
    keys: { settlement_id: r.id },
  }));
}
