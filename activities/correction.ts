// Activities of the correction workflow (workflows/correction.ts). Each is idempotent: the
// corrections row is the record, keyed by the workflow id, and a retried apply returns what the
// first one stored. Business refusals are returned as values (the workflow turns them into
// non-retryable ApplicationFailures); anything thrown is an infrastructure fault and is retried.
//
// Before the payment's bank-day closes a correction reverses the payment and posts a replacement
// in the same day (through activities/correction-posting.ts, the seam to the posting module).
// After the close it posts a 'correction' ledger transaction and one adjustment per provider,
// which the bank's next list nets into its provider lines (activities/settlement-aggregate.ts).
import type { Knex } from 'knex';
import type { ActivityDeps } from './deps';
import type { WrittenBy } from './payment-posting';
import { postReplacement, reversePayment, splitFor } from './correction-posting';
import { reissueCorrectedInvoices } from './invoice-reissue';
import { recordOperatorAction } from '../db/operator-audit';
import { providerDeltas, sameAllocations, sameSplit } from '../domain/correction';
import {
  CORRECTIONS_APPLIED_PER_PAYMENT_MAX, CORRECTIONS_PER_PAYMENT_MAX, correctionRef, isCorrectionErrorCode, type AppliedCorrection, type CorrectionErrorCode, type CorrectionInput,
  type CorrectionPreview, type CorrectionRefusal,
} from '../domain/correction-types';
import { toAlmaty } from '../domain/calendar';
import { Money, formatAmount, fromDb } from '../domain/money';
import type { Allocation, Channel } from '../domain/payment-types';
import { PaymentRejection } from '../domain/payment-validation';

/** Thrown inside a transaction to roll it back with a business refusal. */
class CorrectionRefused extends Error {
  constructor(readonly code: CorrectionErrorCode, message: string) {
    super(message);
  }
}

function refusalFrom(err: unknown): CorrectionRefusal | undefined {
  if (err instanceof CorrectionRefused) return { ok: false, code: err.code, message: err.message };
  if (err instanceof PaymentRejection) return { ok: false, code: isCorrectionErrorCode(err.code) ? err.code : 'INVALID_REQUEST', message: err.message };
  return undefined;
}

interface PaymentRow {
  id: string;
  bank_ref: string;
  account_number: string;
  amount: string;
  status: string;
  business_date: string;
  paid_at: Date;
  channel: Channel;
}

interface Head {
  payment: PaymentRow;
  /** The payment's split as corrections so far left it. */
  allocations: Allocation[];
  account: string;
}

/** Replacement payments are '<bankRef>/K<seq>' (cut to fit 64 characters). */
export function replacementRef(bankRef: string, seq: string): string {
  const suffix = `/${correctionRef(seq)}`;
  return `${bankRef.slice(0, 64 - suffix.length)}${suffix}`;
}

async function loadAllocations(trx: Knex | Knex.Transaction, paymentId: string): Promise<Allocation[]> {
  const rows = await trx('allocations as a').join('services as s', 's.code', 'a.service_code').where({ 'a.payment_id': paymentId })
    .orderBy([{ column: 's.sort_order' }, { column: 'a.service_code' }]).select('a.service_code', 'a.provider_id', 'a.amount');
  return rows.map((r) => ({ service: r.service_code, provider: r.provider_id, amount: formatAmount(fromDb(r.amount)) }));
}

/**
 * The payment as earlier corrections left it: the latest replacement payment (or the original),
 * the split of the latest applied correction, and the account it now belongs to. Locks the row.
 */
async function loadHead(trx: Knex.Transaction, bankCode: string, bankRef: string): Promise<Head> {
  const original = await trx('payments').where({ bank_code: bankCode, bank_ref: bankRef }).first('id');
  if (!original) throw new CorrectionRefused('PAYMENT_NOT_FOUND', `no payment ${bankRef} of bank ${bankCode}: check the bank reference`);
  const last = await trx('corrections').where({ bank_code: bankCode, bank_ref: bankRef, status: 'applied' }).orderBy('n', 'desc')
    .first('kind', 'payment_id', 'replacement_payment_id', 'new_allocations', 'account_from', 'account_to');
  if (last?.kind === 'refund') throw new CorrectionRefused('PAYMENT_NOT_CORRECTABLE', `payment ${bankRef} was refunded: there is nothing left to correct`);
  // A reposted correction's replacement stands for the payment now; an adjusted one left the payment
  // it corrected standing (the money moved through adjustments), so the chain goes on from there.
  const headId = last ? (last.replacement_payment_id ?? last.payment_id) : original.id;
  const payment: PaymentRow | undefined = await trx('payments').where({ id: headId }).forUpdate()
    .first('id', 'bank_ref', 'account_number', 'amount', 'status', 'business_date', 'paid_at', 'channel');
  if (!payment) throw new Error(`invariant: payment ${headId} vanished`);
  if (payment.status !== 'accepted') throw new CorrectionRefused('PAYMENT_NOT_CORRECTABLE', `payment ${payment.bank_ref} is ${payment.status}: there is nothing to correct`);
  const allocations = last ? (last.new_allocations as Allocation[]) : await loadAllocations(trx, payment.id);
  const account = last ? (last.account_to ?? last.account_from) : payment.account_number;
  return { payment, allocations, account };
}

async function newSplit(trx: Knex.Transaction, input: CorrectionInput, head: Head, now: Date): Promise<{ account: string; allocations: Allocation[] }> {
  const amount = formatAmount(fromDb(head.payment.amount));
  if (input.kind === 'refund') return { account: head.account, allocations: [] };
  if (input.kind === 'move') {
    const account = input.target.account;
    if (!account) throw new CorrectionRefused('INVALID_REQUEST', 'a move needs the target personal account');
    return { account, allocations: await splitFor(trx, { bankCode: input.bankCode, account, amount, lines: input.target.lines }, now) };
  }
  if (!input.target.lines?.length) throw new CorrectionRefused('INVALID_REQUEST', 'a resplit needs the per-service amounts of the new split');
  return { account: head.account, allocations: await splitFor(trx, { bankCode: input.bankCode, account: head.account, amount, lines: input.target.lines }, now) };
}

export interface ProposeInput extends CorrectionInput {
  writtenBy: WrittenBy;
}

/** Runs `work` in a transaction; a business refusal thrown inside rolls it back and is returned as a value. */
async function refusable<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T | CorrectionRefusal> {
  try {
    return await db.transaction(work);
  } catch (err) {
    const refusal = refusalFrom(err);
    if (refusal) return refusal;
    throw err;
  }
}

/** Refuses a proposal for a payment corrected too often, or with another correction waiting for a decision. */
async function checkProposable(trx: Knex.Transaction, input: ProposeInput): Promise<void> {
  const count = await trx('corrections').where({ bank_code: input.bankCode, bank_ref: input.bankRef }).count<{ n: string }[]>({ n: '*' });
  if (Number(count[0]?.n ?? 0) >= CORRECTIONS_PER_PAYMENT_MAX) throw new CorrectionRefused('CORRECTION_LIMIT', `payment ${input.bankRef} has ${CORRECTIONS_PER_PAYMENT_MAX} corrections already`);
  const applied = await trx('corrections').where({ bank_code: input.bankCode, bank_ref: input.bankRef, status: 'applied' }).count<{ n: string }[]>({ n: '*' });
  if (Number(applied[0]?.n ?? 0) >= CORRECTIONS_APPLIED_PER_PAYMENT_MAX) {
    throw new CorrectionRefused('CORRECTION_LIMIT', `payment ${input.bankRef} was corrected ${CORRECTIONS_APPLIED_PER_PAYMENT_MAX} times already: a chain this long needs a person to untangle it, not another correction`);
  }
  const pendingOther = await trx('corrections').where({ bank_code: input.bankCode, bank_ref: input.bankRef, status: 'proposed' }).whereNot({ id: input.correctionId }).first('id');
  if (pendingOther) throw new CorrectionRefused('INVALID_REQUEST', `correction ${pendingOther.id} of payment ${input.bankRef} waits for a decision: decide it first`);
}

/** The corrections row of a proposal (a repeat inserts nothing) and, the first time, the operator's action. */
async function insertProposal(trx: Knex.Transaction, input: ProposeInput, head: Head, next: { account: string; allocations: Allocation[] }): Promise<void> {
  const inserted = await trx.raw<{ rows: Array<{ seq: string }> }>(
    `INSERT INTO corrections (id, bank_code, bank_ref, n, kind, status, payment_id, amount, account_from, account_to, target_lines, reason,
                              complaint_id, proposed_by, old_allocations, new_allocations, workflow_id, run_id)
     VALUES (?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING seq`,
    [input.correctionId, input.bankCode, input.bankRef, input.n, input.kind, head.payment.id, head.payment.amount, head.account,
      input.kind === 'move' ? next.account : null, input.target.lines ? JSON.stringify(input.target.lines) : null, input.reason,
      input.complaintId ?? null, input.proposedBy, JSON.stringify(head.allocations), JSON.stringify(next.allocations),
      input.writtenBy.workflowId, input.writtenBy.runId],
  );
  if (inserted.rows.length === 0) return;
  await recordOperatorAction(trx, {
    operator: input.proposedBy, action: 'correction.propose',
    args: { correctionId: input.correctionId, kind: input.kind, bankCode: input.bankCode, bankRef: input.bankRef, target: input.target, reason: input.reason, complaintId: input.complaintId ?? null },
  });
}

/** Records the proposal (and the operator's action) and previews the change; a repeat returns the same preview. */
async function proposeCorrection(deps: ActivityDeps, input: ProposeInput): Promise<{ ok: true; preview: CorrectionPreview } | CorrectionRefusal> {
  return refusable(deps.db, async (trx) => {
    const head = await loadHead(trx, input.bankCode, input.bankRef);
    await checkProposable(trx, input);
    const next = await newSplit(trx, input, head, deps.clock());
    if (input.kind !== 'refund' && next.account === head.account && sameSplit(next.allocations, head.allocations)) {
      throw new CorrectionRefused('NOTHING_TO_CORRECT', `payment ${input.bankRef} is already split that way on account ${head.account}`);
    }
    await insertProposal(trx, input, head, next);
    const row = await trx('corrections').where({ id: input.correctionId }).first('seq');
    return {
      ok: true as const,
      preview: {
        seq: String(row.seq), ref: correctionRef(row.seq), paymentId: String(head.payment.id), amount: formatAmount(fromDb(head.payment.amount)),
        businessDate: head.payment.business_date, accountFrom: head.account, accountTo: input.kind === 'move' ? next.account : null,
        oldAllocations: head.allocations, newAllocations: next.allocations,
      },
    };
  });
}

/** An operator's step that changed nothing (a refused self-approval, a reminder): the audit trail keeps it. */
async function recordCorrectionStep(deps: ActivityDeps, input: { correctionId: string; operator: string; action: string; outcome: string; args?: Record<string, unknown> }): Promise<void> {
  await recordOperatorAction(deps.db, { operator: input.operator, action: input.action, args: { correctionId: input.correctionId, ...input.args }, outcome: input.outcome });
}

async function rejectCorrection(deps: ActivityDeps, input: { correctionId: string; operator: string; note: string | null; outcome?: string }): Promise<{ decidedAt: string }> {
  return deps.db.transaction(async (trx) => {
    const updated = await trx('corrections').where({ id: input.correctionId, status: 'proposed' })
      .update({ status: 'rejected', decided_by: input.operator, decision_note: input.note, decided_at: deps.clock() }).returning('decided_at');
    if (updated.length > 0) {
      await recordOperatorAction(trx, { operator: input.operator, action: 'correction.reject', args: { correctionId: input.correctionId, note: input.note }, outcome: input.outcome ?? 'ok' });
    }
    const row = await trx('corrections').where({ id: input.correctionId }).first('decided_at');
    return { decidedAt: (row?.decided_at as Date).toISOString() };
  });
}

/** The columns of a corrections row that a repost reads. */
interface RepostRow {
  kind: string;
  bank_code: string;
  bank_ref: string;
  seq: string | number;
  account_to: string | null;
  /** The split stored with the proposal: what the approver saw, and what is applied. */
  new_allocations: Allocation[];
}

/** The proposal's view of the payment, as stored with it. */
interface ProposalRow {
  id: string;
  payment_id: string | number;
  amount: string;
  account_from: string;
  old_allocations: Allocation[];
}

/**
 * The approver decides on the preview: the payment as it stood then and the split proposed for it.
 * If the payment moved since (another replacement, another split, another account), that decision is
 * about something that no longer exists, so the apply refuses instead of applying it elsewhere.
 */
function checkUnchanged(c: ProposalRow, head: Head): void {
  const moved = String(c.payment_id) !== String(head.payment.id) || c.account_from !== head.account
    || !fromDb(c.amount).eq(fromDb(head.payment.amount)) || !sameAllocations(c.old_allocations, head.allocations);
  if (moved) throw new CorrectionRefused('CORRECTION_STALE', `payment ${head.payment.bank_ref} changed since correction ${c.id} was proposed: reject it and propose again on what stands now`);
}

/**
 * While the bank-day is open: the payment is reversed and, unless refunded, a replacement posted in
 * the same day. Returns the replacement's split and id.
 */
async function repostInOpenDay(
  deps: ActivityDeps,
  trx: Knex.Transaction,
  c: RepostRow,
  head: Head,
  at: { now: Date; writtenBy: WrittenBy },
): Promise<{ allocations: Allocation[]; replacementId: string | null }> {
  await trx('payments').where({ id: head.payment.id }).update({ status: 'corrected', cancelled_at: at.now });
  await reversePayment(trx, head.payment.id, head.payment.business_date, at.writtenBy);
  if (c.kind === 'refund') return { allocations: [], replacementId: null };
  const bank = await deps.reference.bank(c.bank_code);
  if (!bank) throw new Error(`bank ${c.bank_code} vanished from the reference data`);
  // The replacement carries the stored split as its per-service amounts; if the invoice no longer
  // takes it as it is (a new month dropped a service, a service changed provider), it is stale.
  const stale = (why: string) => new CorrectionRefused('CORRECTION_STALE', `the split approved for ${c.bank_ref} no longer fits the invoice (${why}): reject the correction and propose again`);
  const accepted = await postReplacement(trx, {
    bank, calendar: await deps.reference.calendar(), bankCode: c.bank_code, bankRef: replacementRef(c.bank_ref, String(c.seq)),
    channel: head.payment.channel, account: c.account_to ?? head.account, amount: formatAmount(fromDb(head.payment.amount)),
    lines: c.new_allocations.map((a) => ({ service: a.service, amount: a.amount })), paidAt: head.payment.paid_at.toISOString(), writtenBy: at.writtenBy,
  }, at.now).catch((err: unknown) => {
    throw err instanceof PaymentRejection ? stale(`${err.code}: ${err.message}`) : err;
  });
  if (!sameAllocations(accepted.allocations, c.new_allocations)) throw stale('a service is with another provider now');
  // The replacement belongs to the same day: the day is open and locked FOR SHARE by the caller.
  if (accepted.businessDate !== head.payment.business_date) throw new Error(`invariant: replacement landed on ${accepted.businessDate}, not ${head.payment.business_date}`);
  const replacement = await trx('payments').where({ bank_code: c.bank_code, bank_ref: accepted.bankRef }).first('id');
  return { allocations: accepted.allocations, replacementId: replacement.id };
}

/**
 * Applies an approved correction in one transaction: reversal and replacement while the bank-day
 * is open, a correction transaction and adjustments once it is closed. A retry returns the first
 * application.
 */
async function applyCorrection(deps: ActivityDeps, input: { correctionId: string; operator: string; note: string | null; writtenBy: WrittenBy }): Promise<{ ok: true; applied: AppliedCorrection } | CorrectionRefusal> {
  return refusable(deps.db, async (trx) => {
    const c = await trx('corrections').where({ id: input.correctionId }).forUpdate().first();
    if (!c) throw new CorrectionRefused('CORRECTION_NOT_FOUND', `no correction ${input.correctionId}`);
    if (c.status === 'applied') return { ok: true as const, applied: await appliedOf(trx, c) };
    if (c.status !== 'proposed') throw new CorrectionRefused('NOT_AWAITING_DECISION', `correction ${input.correctionId} is ${c.status}`);
    const head = await loadHead(trx, c.bank_code, c.bank_ref);
    checkUnchanged(c, head);
    const now = deps.clock();
    const day = await trx.raw('SELECT closed_at FROM bank_days WHERE bank_code = ? AND business_date = ? FOR SHARE', [c.bank_code, head.payment.business_date]);
    const open = !day.rows[0]?.closed_at;
    let replacementId: string | null = null;
    let newAllocations: Allocation[];
    if (open) {
      ({ allocations: newAllocations, replacementId } = await repostInOpenDay(deps, trx, c, head, { now, writtenBy: input.writtenBy }));
    } else {
      // Exactly the split the approver saw: recomputing it could give another if the invoice moved.
      newAllocations = c.new_allocations as Allocation[];
      await postAdjustments(trx, c, head, newAllocations, toAlmaty(now).date, input.writtenBy);
    }
    await trx('corrections').where({ id: c.id }).update({
      status: 'applied', mode: open ? 'reposted' : 'adjusted', decided_by: input.operator, decision_note: input.note, decided_at: now, applied_at: now,
      old_allocations: JSON.stringify(head.allocations), new_allocations: JSON.stringify(newAllocations), replacement_payment_id: replacementId,
    });
    await recordOperatorAction(trx, { operator: input.operator, action: 'correction.approve', args: { correctionId: c.id, note: input.note, mode: open ? 'reposted' : 'adjusted' } });
    // A replacement payment posts to the target's current invoice itself; adjustments do not.
    await reissueCorrectedInvoices(trx, {
      paymentId: String(head.payment.id),
      deltas: [{ account: head.account, allocations: head.allocations, sign: 1 }, ...(open ? [] : [{ account: c.account_to ?? head.account, allocations: newAllocations, sign: -1 as const }])],
    });
    return { ok: true as const, applied: await appliedOf(trx, await trx('corrections').where({ id: c.id }).first()) };
  });
}

export function createCorrectionActivities(deps: ActivityDeps) {
  return {
    proposeCorrection: (input: ProposeInput) => proposeCorrection(deps, input),
    recordCorrectionStep: (input: Parameters<typeof recordCorrectionStep>[1]) => recordCorrectionStep(deps, input),
    rejectCorrection: (input: Parameters<typeof rejectCorrection>[1]) => rejectCorrection(deps, input),
    applyCorrection: (input: Parameters<typeof applyCorrection>[1]) => applyCorrection(deps, input),
  };
}

/**
 * The ledger side of a correction after the close: one balanced 'correction' transaction (a
 * provider that received too much is debited, one that received too little credited; a refund
 * credits the bank, which returns the money to the payer) and the same deltas as pending adjustments.
 */
async function postAdjustments(trx: Knex.Transaction, c: { id: string; bank_code: string; kind: string }, head: Head, next: Allocation[], bookedOn: string, writtenBy: WrittenBy): Promise<void> {
  const deltas = providerDeltas(head.allocations, next);
  if (deltas.length === 0) return; // the split changed within the same providers: no money moves between them
  const accounts = deltas.map((d) => `provider:${d.provider}`);
  const debits = deltas.map((d) => (d.amount.isNeg() ? formatAmount(d.amount.neg()) : '0'));
  const credits = deltas.map((d) => (d.amount.isPos() ? formatAmount(d.amount) : '0'));
  if (c.kind === 'refund') {
    accounts.push(`bank:${c.bank_code}`);
    debits.push('0');
    credits.push(formatAmount(fromDb(head.payment.amount)));
  }
  const d = debits.reduce((t, x) => t.plus(x), new Money(0));
  const k = credits.reduce((t, x) => t.plus(x), new Money(0));
  if (!d.eq(k)) throw new Error(`invariant: correction ${c.id} posts debits ${d.toFixed(2)} and credits ${k.toFixed(2)}`);
  await trx.raw(
    `WITH tx AS (
       INSERT INTO ledger_transactions (kind, correction_id, business_date, workflow_id, run_id) VALUES ('correction', ?, ?, ?, ?) RETURNING id
     )
     INSERT INTO ledger_postings (transaction_id, account, debit, credit)
     SELECT tx.id, a, dd, cc FROM tx, unnest(?::text[], ?::numeric[], ?::numeric[]) AS t(a, dd, cc)`,
    [c.id, bookedOn, writtenBy.workflowId, writtenBy.runId, accounts, debits, credits],
  );
  await trx.raw(
    `INSERT INTO adjustments (correction_id, bank_code, provider_id, amount)
     SELECT ?, ?, p, a FROM unnest(?::text[], ?::numeric[]) AS t(p, a)`,
    [c.id, c.bank_code, deltas.map((x) => x.provider), deltas.map((x) => formatAmount(x.amount))],
  );
}

async function appliedOf(trx: Knex.Transaction, c: Record<string, unknown>): Promise<AppliedCorrection> {
  const adjustments = await trx('adjustments').where({ correction_id: c.id }).orderBy('provider_id').select('provider_id', 'amount');
  const replacement = c.replacement_payment_id ? await trx('payments').where({ id: c.replacement_payment_id }).first('bank_ref', 'business_date') : null;
  const payment = await trx('payments').where({ id: c.payment_id }).first('business_date');
  return {
    mode: c.mode as AppliedCorrection['mode'],
    appliedAt: (c.applied_at as Date).toISOString(),
    businessDate: replacement?.business_date ?? payment.business_date,
    replacementRef: replacement?.bank_ref ?? null,
    newAllocations: c.new_allocations as Allocation[],
    adjustments: adjustments.map((a) => ({ provider: a.provider_id, amount: formatAmount(fromDb(a.amount)) })),
  };
}

export type CorrectionActivities = ReturnType<typeof createCorrectionActivities>;
