// Closing a bank-day and reconciling it with what the bank declared.
//
// The close takes the bank_days row FOR UPDATE, the lock every payment posting takes FOR SHARE
// (activities/payment-posting.ts lockOpenBankDay): a payment racing the close either committed
// before it and is in this day's settlement, or waits, sees the day closed and moves to the next
// business day. Cancellations check the same row, so none of the day's payments can be cancelled
// after the close. Every activity here is idempotent.
import type { ActivityDeps } from './deps';
import { postReversal } from './payment';
import { formatAmount, fromDb } from '../domain/money';
import { declaredOf, ownRegisterDates, registerDiscrepancies, type RegisterTally } from '../domain/reconciliation';
import type { CalendarOverrides } from '../domain/calendar';
import type { Db } from '../db/connection';
import { isoSeconds, refusal } from './settlement-support';
import type { BankDayRef, CloseResult, Discrepancy, ExcludeResult, ReconcileResult, SettlementStatus, WrittenBy } from '../domain/settlement-types';
import { ApplicationFailure } from '@temporalio/common';

/** Most payments one exclusion decision may name: a larger mismatch is a wrong register, not a few bad payments. */
export const EXCLUDE_REFS_MAX = 1_000;
/** Rejected register rows listed with a discrepancy; the rest are in register_rows. */
export const REJECTED_ROWS_LISTED_MAX = 50;

interface RegisterReconRow {
  id: string;
  declared_count: number;
  declared_total: string;
  status: string;
  /** The register's business date is the day being settled; false: a late register of an earlier day. */
  own_day: boolean;
  /** Accepted rows whose payment is still accepted, and their sum. */
  live_count: number;
  live_total: string;
  /** Later registers of the same bank and date that repeat one of its references: its newer versions. */
  newer_ids: string[];
}

/**
 * Joins a register row (rr, with the bank code as parameter) to the payment that stands for it now,
 * as p: the replacement of the latest correction reposted before a close (a chain of corrections
 * is followed to its end, since every correction names the original reference), else the row's own
 * payment. A row whose payment was moved or resplit in the open day is present with its amount (the
 * replacement carries the same amount); a refunded or cancelled one is not.
 */
const CURRENT_PAYMENT_OF_ROW = `LEFT JOIN payments o ON o.bank_code = ? AND o.bank_ref = rr.bank_ref
       LEFT JOIN LATERAL (SELECT c.replacement_payment_id FROM corrections c
                           WHERE c.bank_code = o.bank_code AND c.bank_ref = o.bank_ref AND c.status = 'applied' AND c.replacement_payment_id IS NOT NULL
                           ORDER BY c.n DESC LIMIT 1) rc ON true
       LEFT JOIN payments p ON p.id = COALESCE(rc.replacement_payment_id, o.id)`;

/** Closes the bank-day (inserting its row if no payment ever opened it) and creates the settlement row. */
async function closeBankDay(db: Db, input: BankDayRef & { writtenBy: WrittenBy }): Promise<CloseResult> {
  const bank = await db('banks').where({ code: input.bankCode }).first('code');
  if (!bank) {
    throw ApplicationFailure.create({ type: 'UNKNOWN_BANK', message: `bank ${input.bankCode} is not registered at the SPC: check the bank code`, nonRetryable: true });
  }
  return db.transaction(async (trx) => {
    await trx.raw('INSERT INTO bank_days (bank_code, business_date) VALUES (?, ?) ON CONFLICT DO NOTHING', [input.bankCode, input.businessDate]);
    await trx.raw('SELECT 1 FROM bank_days WHERE bank_code = ? AND business_date = ? FOR UPDATE', [input.bankCode, input.businessDate]);
    const closed = await trx.raw<{ rows: Array<{ closed_at: Date }> }>(
      `UPDATE bank_days SET closed_at = COALESCE(closed_at, now()), closed_by_workflow_id = COALESCE(closed_by_workflow_id, ?)
        WHERE bank_code = ? AND business_date = ? RETURNING closed_at`,
      [input.writtenBy.workflowId, input.bankCode, input.businessDate],
    );
    const prior = await trx('settlements').where({ id: input.settlementId }).first('status');
    await trx.raw(
      `INSERT INTO settlements (id, bank_code, business_date, status, workflow_id, run_id) VALUES (?, ?, ?, 'closing', ?, ?)
       ON CONFLICT (id) DO UPDATE SET run_id = EXCLUDED.run_id`,
      [input.settlementId, input.bankCode, input.businessDate, input.writtenBy.workflowId, input.writtenBy.runId],
    );
    return { closedAt: isoSeconds(closed.rows[0]?.closed_at) as string, priorStatus: (prior?.status as SettlementStatus | undefined) ?? null };
  });
}

/**
 * The registers reconciled in this bank-day, with their live figures: the day's own (those dated on
 * it or on the non-business days right before it, ownDates), and the late registers of earlier days
 * whose first open bank-day on arrival is this one. A register is late when the bank-day that settles
 * its date had closed before it arrived: its own day, or for a weekend or holiday (which has no
 * bank-day of its own) the first bank-day after it. So a Saturday register that comes after Monday
 * closed is reconciled on Tuesday, the day it arrives in, instead of by nobody.
 */
async function registersOfDay(db: Db, input: BankDayRef, ownDates: string[]): Promise<RegisterTally[]> {
  const { rows } = await db.raw<{ rows: RegisterReconRow[] }>(
    `WITH regs AS (
       SELECT r.id, r.bank_code, r.business_date, r.created_at, r.declared_count, r.declared_total, r.status, r.business_date = ANY(?::date[]) AS own_day
         FROM registers r
        WHERE r.bank_code = ?
          AND (r.business_date = ANY(?::date[])
               OR (r.business_date < ?::date
                   AND EXISTS (SELECT 1 FROM bank_days own
                                WHERE own.bank_code = r.bank_code AND own.closed_at < r.created_at
                                  AND own.business_date = (SELECT min(s.business_date) FROM bank_days s
                                                            WHERE s.bank_code = r.bank_code AND s.business_date >= r.business_date))
                   AND ?::date = (SELECT min(d.business_date) FROM bank_days d
                                   WHERE d.bank_code = r.bank_code AND d.business_date > r.business_date
                                     AND (d.closed_at IS NULL OR d.closed_at > r.created_at))))
     )
     SELECT regs.id, regs.declared_count, regs.declared_total, regs.status, regs.own_day,
            ARRAY(SELECT r2.id FROM registers r2
                   WHERE r2.bank_code = regs.bank_code AND r2.business_date = regs.business_date
                     AND (r2.created_at, r2.id) > (regs.created_at, regs.id)
                     AND EXISTS (SELECT 1 FROM register_rows a JOIN register_rows b ON b.bank_ref = a.bank_ref
                                  WHERE a.register_id = regs.id AND b.register_id = r2.id)
                   ORDER BY r2.id) AS newer_ids,
            count(rr.line_no) FILTER (WHERE p.status = 'accepted')::int AS live_count,
            COALESCE(sum(p.amount) FILTER (WHERE p.status = 'accepted'), 0) AS live_total
       FROM regs
       LEFT JOIN register_rows rr ON rr.register_id = regs.id AND rr.status = 'accepted'
       ${CURRENT_PAYMENT_OF_ROW}
      GROUP BY regs.id, regs.bank_code, regs.business_date, regs.created_at, regs.declared_count, regs.declared_total, regs.status, regs.own_day
      ORDER BY regs.id`,
    [ownDates, input.bankCode, ownDates, input.businessDate, input.businessDate, input.bankCode],
  );
  return rows.map((r) => ({
    id: String(r.id), declaredCount: Number(r.declared_count), declaredTotal: String(r.declared_total), status: r.status, ownDay: r.own_day,
    liveCount: r.live_count, liveTotal: String(r.live_total), newerIds: r.newer_ids.map(String),
  }));
}

/**
 * The day's accepted payments, less those that late registers of earlier days produced (theirs to
 * account for). A replacement payment of a correction before the close comes from the register of
 * the payment it replaces (corrections.bank_ref is always the original's reference).
 */
async function acceptedOfDay(db: Db, input: BankDayRef, late: RegisterTally[]): Promise<{ count: number; total: string }> {
  const posted = await db.raw<{ rows: Array<{ n: number; total: string }> }>(
    `SELECT count(*)::int AS n, COALESCE(sum(p.amount), 0) AS total FROM payments p
      WHERE p.bank_code = ? AND p.business_date = ? AND p.status = 'accepted'
        AND (cardinality(?::text[]) = 0 OR COALESCE(p.register_id, (SELECT o.register_id FROM corrections c
                                       JOIN payments o ON o.bank_code = c.bank_code AND o.bank_ref = c.bank_ref
                                      WHERE c.replacement_payment_id = p.id), '') <> ALL(?::text[]))`,
    [input.bankCode, input.businessDate, late.map((r) => r.id), late.map((r) => r.id)],
  );
  return { count: posted.rows[0]?.n ?? 0, total: formatAmount(fromDb(posted.rows[0]?.total)) };
}

/** The rows the SPC refused: the usual explanation of a mismatch, listed for the operator. */
async function rejectedRows(db: Db, registerIds: string[]): Promise<Discrepancy[]> {
  const rejected = await db('register_rows')
    .whereIn('register_id', registerIds)
    .andWhere({ status: 'rejected' })
    .orderBy([{ column: 'register_id' }, { column: 'line_no' }])
    .limit(REJECTED_ROWS_LISTED_MAX)
    .select('register_id', 'bank_ref', 'code', 'message');
  return rejected.map((row) => ({ kind: 'register_row_rejected', registerId: String(row.register_id), bankRef: row.bank_ref, code: row.code ?? undefined, message: row.message ?? undefined }));
}

/** Rows counted accepted whose payment was since cancelled or excluded: they count for nothing. */
async function withdrawnRows(db: Db, bankCode: string, registerIds: string[]): Promise<Discrepancy[]> {
  const withdrawn = await db.raw<{ rows: Array<{ register_id: string; bank_ref: string; status: string | null }> }>(
    `SELECT rr.register_id, rr.bank_ref, p.status FROM register_rows rr
       ${CURRENT_PAYMENT_OF_ROW}
      WHERE rr.register_id = ANY(?::text[]) AND rr.status = 'accepted' AND p.status IS DISTINCT FROM 'accepted'
      ORDER BY rr.register_id, rr.line_no LIMIT ?`,
    [bankCode, registerIds, REJECTED_ROWS_LISTED_MAX],
  );
  return withdrawn.rows.map((row) => ({
    kind: 'register_row_withdrawn', registerId: row.register_id, bankRef: row.bank_ref, code: row.status ?? 'missing',
    message: `row ${row.bank_ref} was accepted but its payment is ${row.status ?? 'missing'} now: it does not count as accepted`,
  }));
}

/**
 * Compares what the bank declared in its registers with what the SPC holds as accepted (the rule:
 * domain/reconciliation.ts). No register: nothing to compare, no discrepancy. A mismatch puts the
 * settlement in 'discrepancy' with the differences listed.
 *
 * A late register (stored after its own day had closed: the paper piles come the next morning) is
 * reconciled in the settlement of the first bank-day that was open when it arrived.
 */
async function reconcileBankDay(db: Db, input: BankDayRef, cal: CalendarOverrides): Promise<ReconcileResult> {
  const registers = await registersOfDay(db, input, ownRegisterDates(input.businessDate, cal));
  if (registers.length === 0) {
    // Nothing declared, nothing to compare: no pass over the day's payments.
    await db('settlements').where({ id: input.settlementId }).update({ discrepancies: JSON.stringify([]) });
    return { register: null, discrepancies: [] };
  }
  const accepted = await acceptedOfDay(db, input, registers.filter((r) => !r.ownDay));
  const register = declaredOf(registers);
  const discrepancies = registerDiscrepancies(registers, accepted);
  if (discrepancies.length > 0) discrepancies.push(...(await rejectedRows(db, register.registerIds)));
  discrepancies.push(...(await withdrawnRows(db, input.bankCode, register.registerIds)));
  await db('settlements')
    .where({ id: input.settlementId })
    .whereIn('status', ['closing', 'discrepancy'])
    .update({ discrepancies: JSON.stringify(discrepancies), ...(discrepancies.length > 0 ? { status: 'discrepancy' } : {}) });
  return { accepted, register, discrepancies };
}

type PaymentOfDay = { id: string; bank_ref: string; status: string; business_date: string; corrected: boolean };

/** Why the named payments cannot be excluded (unknown in the day, or cancelled by the bank), if they cannot. */
function exclusionRefusal(input: BankDayRef, refs: string[], ofDay: Map<string, PaymentOfDay>): ExcludeResult | undefined {
  const unknown = refs.filter((ref) => !ofDay.has(ref));
  if (unknown.length > 0) {
    return refusal('UNKNOWN_PAYMENT', `no payment of ${input.bankCode} on ${input.businessDate} with reference ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` (and ${unknown.length - 10} more)` : ''}: check the references`);
  }
  const cancelled = refs.filter((ref) => ofDay.get(ref)?.status === 'cancelled');
  if (cancelled.length > 0) {
    return refusal('PAYMENT_NOT_ACCEPTED', `payment(s) ${cancelled.slice(0, 10).join(', ')} were cancelled by the bank and are not in the day any more: leave them out of the decision`);
  }
  // A corrected payment's money already moved (reposted, or adjustments carried to a later list):
  // reversing it too would count it twice, and recording it as excluded would claim what did not happen.
  const corrected = refs.filter((ref) => ofDay.get(ref)?.status === 'corrected' || ofDay.get(ref)?.corrected === true);
  if (corrected.length > 0) {
    return refusal('PAYMENT_CORRECTED', `payment(s) ${corrected.slice(0, 10).join(', ')} were corrected: excluding them would count their money twice; leave them out of the decision or propose a correction`);
  }
  return undefined;
}

/**
 * The operator's decision to leave named payments out of the day: each is marked 'excluded' and
 * reversed in the ledger, all or none. Refs already excluded are accepted again (a retried decision).
 */
async function excludePayments(db: Db, input: BankDayRef & { refs: string[]; writtenBy: WrittenBy }): Promise<ExcludeResult> {
  const refs = [...new Set(input.refs)];
  if (refs.length === 0 || refs.length > EXCLUDE_REFS_MAX) return refusal('INVALID_REQUEST', `name 1-${EXCLUDE_REFS_MAX} payments to exclude, got ${refs.length}`);
  return db.transaction(async (trx): Promise<ExcludeResult> => {
    // Serialises decisions on one settlement.
    await trx.raw('SELECT 1 FROM settlements WHERE id = ? FOR UPDATE', [input.settlementId]);
    const rows = await trx.raw<{ rows: PaymentOfDay[] }>(
      `SELECT p.id, p.bank_ref, p.status, p.business_date,
              EXISTS (SELECT 1 FROM corrections c WHERE c.payment_id = p.id AND c.status = 'applied') AS corrected
         FROM payments p WHERE p.bank_code = ? AND p.bank_ref = ANY(?) ORDER BY p.id FOR UPDATE OF p`,
      [input.bankCode, refs],
    );
    const ofDay = new Map(rows.rows.filter((r) => r.business_date === input.businessDate).map((r) => [r.bank_ref, r]));
    const refused = exclusionRefusal(input, refs, ofDay);
    if (refused) return refused;
    const toExclude = refs.filter((ref) => ofDay.get(ref)?.status === 'accepted');
    const alreadyExcluded = refs.filter((ref) => ofDay.get(ref)?.status === 'excluded');
    const ids = toExclude.map((ref) => (ofDay.get(ref) as { id: string }).id);
    if (ids.length > 0) {
      await trx.raw(`UPDATE payments SET status = 'excluded', cancelled_at = now() WHERE id = ANY(?)`, [ids]);
      for (const id of ids) await postReversal(trx, id, input.businessDate, input.writtenBy);
    }
    const current = await trx('settlements').where({ id: input.settlementId }).first('excluded_refs');
    const merged = [...new Set([...((current?.excluded_refs as string[] | undefined) ?? []), ...refs])].sort();
    await trx('settlements').where({ id: input.settlementId }).update({ excluded_refs: JSON.stringify(merged) });
    return { ok: true, excluded: toExclude, alreadyExcluded };
  });
}

export function createSettlementCloseActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    closeBankDay: (input: BankDayRef & { writtenBy: WrittenBy }) => closeBankDay(db, input),
    reconcileBankDay: async (input: BankDayRef) => reconcileBankDay(db, input, await deps.reference.calendar()),
    excludePayments: (input: BankDayRef & { refs: string[]; writtenBy: WrittenBy }) => excludePayments(db, input),
  };
}
