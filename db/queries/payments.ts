// The payment read model: what the SPC knows of a payment by its bank reference, from Postgres
// alone. The bank API, the CLI and the client's answer to a repeated submission all read it here,
// so they answer the same, also long after the payment's workflow has left Temporal's retention.
import type { Knex } from 'knex';
import { formatAmount, fromDb } from '../../domain/money';
import { almatyToUtc } from '../../domain/calendar';
import type { Allocation } from '../../domain/payment-types';

export type RecordedStatus = 'accepted' | 'cancelled' | 'excluded' | 'corrected';
export type EffectiveStatus = RecordedStatus | 'settled';

export interface PaymentRecord {
  id: string;
  bankCode: string;
  bankRef: string;
  requestHash: string;
  status: RecordedStatus;
  /** `settled` once the settlement of the payment's bank-day is settled; derived, never stored. */
  effectiveStatus: EffectiveStatus;
  account: string;
  channel: string;
  amount: string;
  paidAt: string;
  businessDate: string;
  /** The bank-day's cut-off instant: cancellation is refused from then on. */
  closesAt: string;
  dayClosedAt: string | null;
  postedAt: string;
  cancelledAt: string | null;
  registerId: string | null;
  pileNo: string | null;
  /** The workflow that wrote the payment: `payment:<BANK>:<ref>`, or the register's workflow for a register row. */
  workflowId: string;
  runId: string;
  settlementId: string | null;
  settlementStatus: string | null;
  allocations: Allocation[];
}

export interface RejectionRecord {
  code: string;
  message: string;
  at: string;
  workflowId: string;
}

export async function allocationsOf(db: Knex | Knex.Transaction, paymentId: string): Promise<Allocation[]> {
  const rows = await db('allocations as a')
    .join('services as s', 's.code', 'a.service_code')
    .where({ 'a.payment_id': paymentId })
    .orderBy([{ column: 's.sort_order' }, { column: 'a.service_code' }])
    .select('a.service_code', 'a.provider_id', 'a.amount');
  return rows.map((a) => ({ service: a.service_code, provider: a.provider_id, amount: formatAmount(fromDb(a.amount)) }));
}

/** The payment posted under this reference, or null. */
export async function findPayment(db: Knex | Knex.Transaction, bankCode: string, bankRef: string): Promise<PaymentRecord | null> {
  const row = await db('payments as p')
    .join('banks as b', 'b.code', 'p.bank_code')
    .leftJoin('bank_days as d', function joinDay() {
      this.on('d.bank_code', 'p.bank_code').andOn('d.business_date', 'p.business_date');
    })
    .leftJoin('settlements as s', function joinSettlement() {
      this.on('s.bank_code', 'p.bank_code').andOn('s.business_date', 'p.business_date');
    })
    .where({ 'p.bank_code': bankCode, 'p.bank_ref': bankRef })
    .first(
      'p.id', 'p.bank_ref', 'p.request_hash', 'p.channel', 'p.account_number', 'p.amount', 'p.paid_at', 'p.business_date', 'p.status',
      'p.register_id', 'p.pile_no', 'p.posted_at', 'p.cancelled_at', 'p.workflow_id', 'p.run_id', 'b.cutoff_local', 'd.closed_at',
      's.id as settlement_id', 's.status as settlement_status',
    );
  if (!row) return null;
  return {
    id: String(row.id),
    bankCode,
    bankRef: row.bank_ref,
    requestHash: row.request_hash,
    status: row.status,
    effectiveStatus: row.status === 'accepted' && row.settlement_status === 'settled' ? 'settled' : row.status,
    account: row.account_number,
    channel: row.channel,
    amount: formatAmount(fromDb(row.amount)),
    paidAt: row.paid_at.toISOString(),
    businessDate: row.business_date,
    closesAt: almatyToUtc(row.business_date, row.cutoff_local).toISOString(),
    dayClosedAt: row.closed_at ? row.closed_at.toISOString() : null,
    postedAt: row.posted_at.toISOString(),
    cancelledAt: row.cancelled_at ? row.cancelled_at.toISOString() : null,
    registerId: row.register_id,
    pileNo: row.pile_no,
    workflowId: row.workflow_id,
    runId: row.run_id,
    settlementId: row.settlement_id ?? null,
    settlementStatus: row.settlement_status ?? null,
    allocations: await allocationsOf(db, String(row.id)),
  };
}

/** The latest refusal of this reference (a refused reference may be used again, so there may be several). */
export async function latestRejection(db: Knex, bankCode: string, bankRef: string): Promise<RejectionRecord | null> {
  const row = await db('payment_rejections').where({ bank_code: bankCode, bank_ref: bankRef }).orderBy('id', 'desc').first('code', 'message', 'created_at', 'workflow_id');
  return row ? { code: row.code, message: row.message, at: row.created_at.toISOString(), workflowId: row.workflow_id } : null;
}

export interface CorrectionSummary {
  id: string;
  /** The operator's short reference, `K<seq>`. */
  ref: string;
  kind: string;
  status: string;
  mode: string | null;
}

/** The corrections proposed for a payment, oldest first. */
export async function correctionsOf(db: Knex, bankCode: string, bankRef: string): Promise<CorrectionSummary[]> {
  const rows = await db('corrections').where({ bank_code: bankCode, bank_ref: bankRef }).orderBy('n').select('id', 'seq', 'kind', 'status', 'mode');
  return rows.map((c) => ({ id: c.id, ref: `K${c.seq}`, kind: c.kind, status: c.status, mode: c.mode }));
}

/** Whether the SPC recorded a payment of this reference (any status): a complaint about one must name one it has. */
export async function paymentExists(db: Knex, bankCode: string, bankRef: string): Promise<boolean> {
  return Boolean(await db('payments').where({ bank_code: bankCode, bank_ref: bankRef }).first('id'));
}
