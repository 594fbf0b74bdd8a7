// Activities of the complaint workflow (workflows/complaint.ts): the complaints row is the read
// model of the API, the CLI and /ops, and every step is versioned so a retried step is a no-op.
// The webhook reuses the settlement webhook's way of delivering: one attempt per activity run, the
// activity's retry policy for backoff, an Idempotency-Key per pushed version.
import type { ActivityDeps } from './deps';
import type { Db } from '../db/connection';
import type { WrittenBy } from './payment-posting';
import { recordOperatorAction } from '../db/operator-audit';
import { addBusinessDays, addDays, almatyToUtc, toAlmaty } from '../domain/calendar';
import { type ComplaintInput, type ComplaintResolution, type ComplaintStatus, type Disposition } from '../domain/complaint-types';
import { WebhookDeliveryError } from './settlement-webhook';
import { postWebhook, webhookRefusal } from './webhook-post';
import { signingSecrets } from '../db/webhook-secrets';
import { complaintView } from '../domain/complaint-view';
// Deadlines per disposition, SPC_COMPLAINT_DEADLINES over the defaults: read in infra/config.ts.
import { complaintDeadlinesFromEnv } from '../infra/config';

/** Two payments are candidate twins when this close in time (same bank, account and amount). */
export const DUPLICATE_WINDOW_MS = 24 * 60 * 60_000;
export const COMPLAINT_WEBHOOK_EVENT = 'complaint.changed';
const HISTORY_ENTRIES_MAX = 200;

export interface OpenResult {
  deadlineAt: string;
  version: number;
  twin: null | { twinBankRef: string; refundBankRef: string; nextCorrectionN: number };
}

export interface StepInput {
  complaintId: string;
  /** The version this step makes (state.version + 1): a retried step finds it applied. */
  version: number;
  event: string;
  by: string;
  status?: ComplaintStatus;
  assignee?: string;
  resolution?: ComplaintResolution;
  proposedCorrectionId?: string;
  escalated?: boolean;
}

// A bank (bank:<CODE>), a household's cabinet (cabinet:<account>) and the SPC itself are no operators.
const isOperator = (by: string) => !by.startsWith('bank:') && !by.startsWith('cabinet:') && by !== 'spc';

type OpenInput = ComplaintInput & { writtenBy: WrittenBy };

async function openComplaint(deps: ActivityDeps, deadlines: Record<Disposition, number>, input: OpenInput): Promise<OpenResult> {
  const { db } = deps;
  const now = deps.clock();
  const existing = await db('complaints').where({ id: input.complaintId }).first('deadline_at', 'version');
  let deadlineAt: Date;
  if (existing) deadlineAt = existing.deadline_at;
  else if (input.options?.deadlineMs !== undefined) deadlineAt = new Date(now.getTime() + input.options.deadlineMs);
  else {
    // The end (Almaty) of the n-th business day after the day it was raised.
    const due = addBusinessDays(toAlmaty(now).date, deadlines[input.disposition], await deps.reference.calendar());
    deadlineAt = almatyToUtc(addDays(due, 1), '00:00');
  }
  const twin = input.disposition === 'DUPLICATE_PAYMENT' ? await findTwin(db, input.bankCode, input.bankRef) : null;
  await db.transaction(async (trx) => {
    const inserted = await trx.raw(
      `INSERT INTO complaints (id, bank_code, bank_ref, disposition, text, status, raised_by, twin_bank_ref, deadline_at, history, workflow_id, run_id)
       VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [input.complaintId, input.bankCode, input.bankRef, input.disposition, input.text, input.raisedBy, twin?.twinBankRef ?? null, deadlineAt,
        JSON.stringify([{ at: now.toISOString(), event: 'open', by: input.raisedBy }]), input.writtenBy.workflowId, input.writtenBy.runId],
    );
    if (inserted.rows.length > 0 && isOperator(input.raisedBy)) {
      await recordOperatorAction(trx, { operator: input.raisedBy, action: 'complaint.raise', args: { complaintId: input.complaintId, disposition: input.disposition, bankRef: input.bankRef } });
    }
  });
  return { deadlineAt: deadlineAt.toISOString(), version: existing?.version ?? 1, twin };
}

/** The other payment of a duplicate: same bank, account and amount, accepted, within DUPLICATE_WINDOW_MS; the later one is refunded. */
async function findTwin(db: Db, bankCode: string, bankRef: string): Promise<OpenResult['twin']> {
  const p = await db('payments').where({ bank_code: bankCode, bank_ref: bankRef }).first('id', 'account_number', 'amount', 'paid_at', 'status');
  // A payment already cancelled (or excluded, or corrected) has no duplicate left: its twin is the one
  // payment that stands, and refunding it would pay the payer back twice and leave the providers nothing.
  if (!p || p.status !== 'accepted') return null;
  const { rows } = await db.raw(
    `SELECT bank_ref, id, paid_at FROM payments
      WHERE bank_code = ? AND account_number = ? AND amount = ? AND status = 'accepted' AND id <> ?
        AND abs(extract(epoch FROM paid_at - ?::timestamptz)) * 1000 <= ?
      ORDER BY abs(extract(epoch FROM paid_at - ?::timestamptz)), id LIMIT 1`,
    [bankCode, p.account_number, p.amount, p.id, p.paid_at, DUPLICATE_WINDOW_MS, p.paid_at],
  );
  const twin = rows[0];
  if (!twin) return null;
  const later = (twin.paid_at > p.paid_at || (twin.paid_at.getTime() === p.paid_at.getTime() && Number(twin.id) > Number(p.id))) ? twin.bank_ref : bankRef;
  const last = await db('corrections').where({ bank_code: bankCode, bank_ref: later }).max<{ n: number | null }[]>({ n: 'n' });
  return { twinBankRef: twin.bank_ref, refundBankRef: later, nextCorrectionN: Number(last[0]?.n ?? 0) + 1 };
}

async function recordComplaintStep(deps: ActivityDeps, input: StepInput): Promise<{ version: number }> {
  const now = deps.clock();
  await deps.db.transaction(async (trx) => {
    const row = await trx('complaints').where({ id: input.complaintId }).forUpdate().first('version', 'history');
    if (!row) throw new Error(`invariant: complaint ${input.complaintId} has no row`);
    if (row.version >= input.version) return; // a retried step
    const history = [...(row.history as unknown[]), { at: now.toISOString(), event: input.event, by: input.by, ...(input.status ? { status: input.status } : {}) }].slice(-HISTORY_ENTRIES_MAX);
    await trx('complaints').where({ id: input.complaintId }).update({
      version: input.version, updated_at: now, history: JSON.stringify(history),
      ...(input.status ? { status: input.status } : {}),
      ...(input.assignee ? { assignee: input.assignee } : {}),
      ...(input.resolution ? { resolution: JSON.stringify(input.resolution) } : {}),
      ...(input.resolution?.kind === 'correction' ? { correction_id: input.resolution.correctionId } : {}),
      ...(input.proposedCorrectionId ? { correction_id: input.proposedCorrectionId } : {}),
      ...(input.escalated ? { escalated_at: now } : {}),
    });
    if (isOperator(input.by)) {
      await recordOperatorAction(trx, { operator: input.by, action: `complaint.${input.event}`, args: { complaintId: input.complaintId, status: input.status ?? null, assignee: input.assignee ?? null, resolution: input.resolution ?? null } });
    }
  });
  return { version: input.version };
}

/** For a resolution "with a correction": the correction must exist and be applied. */
async function correctionApplied(db: Db, input: { correctionId: string }): Promise<boolean> {
  const row = await db('corrections').where({ id: input.correctionId }).first('status');
  return row?.status === 'applied';
}

async function deliverComplaintWebhook(deps: ActivityDeps, input: { complaintId: string; version: number }): Promise<{ status: 'delivered' | 'not_configured' | 'superseded' | 'refused'; attempts?: number }> {
  const { db } = deps;
  const c = await db('complaints as c').join('banks as b', 'b.code', 'c.bank_code').where('c.id', input.complaintId).first('c.*', 'b.webhook_url');
  if (!c) throw new Error(`no complaint ${input.complaintId}`);
  const url: string | null = c.webhook_url;
  if (!url) return { status: 'not_configured' };
  const done = await db('complaint_webhook_deliveries').where({ complaint_id: input.complaintId, version: input.version }).first('attempts', 'delivered_at');
  if (done?.delivered_at) return { status: 'delivered', attempts: done.attempts };
  // A newer version went out (or will): the bank gets the current state, not every step in between.
  if (c.version > input.version) return { status: 'superseded' };
  await db.raw('INSERT INTO complaint_webhook_deliveries (complaint_id, version, url) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [input.complaintId, input.version, url]);
  const secrets = await signingSecrets(db, c.bank_code);
  const refusal = webhookRefusal(url, secrets);
  if (refusal) {
    // Recorded where the settlement webhook records its own, and not retried (it cannot get better).
    await db('complaint_webhook_deliveries').where({ complaint_id: input.complaintId, version: input.version }).update({ last_status: null, last_error: refusal });
    return { status: 'refused' };
  }
  const key = `complaint:${input.complaintId}:v${input.version}`;
  const { status, error } = await postWebhook(url, key, { 'x-spc-complaint-id': input.complaintId }, { event: COMPLAINT_WEBHOOK_EVENT, complaint: complaintView(c) }, secrets);
  const after = await db.raw<{ rows: Array<{ attempts: number }> }>(
    `UPDATE complaint_webhook_deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, delivered_at = CASE WHEN ? THEN now() ELSE NULL END
      WHERE complaint_id = ? AND version = ? RETURNING attempts`,
    [status, error, error === null, input.complaintId, input.version],
  );
  const attempts = after.rows[0]?.attempts ?? 0;
  if (error !== null) {
    deps.metrics.webhookFailures.inc({ bank: c.bank_code, kind: 'complaint' });
    throw new WebhookDeliveryError(url, attempts, status, error);
  }
  return { status: 'delivered', attempts };
}

export function createComplaintActivities(deps: ActivityDeps, deadlines: Record<Disposition, number> = complaintDeadlinesFromEnv()) {
  const { db } = deps;
  return {
    openComplaint: (input: OpenInput) => openComplaint(deps, deadlines, input),
    recordComplaintStep: (input: StepInput) => recordComplaintStep(deps, input),
    correctionApplied: (input: { correctionId: string }) => correctionApplied(db, input),
    deliverComplaintWebhook: (input: { complaintId: string; version: number }) => deliverComplaintWebhook(deps, input),
  };
}

export type ComplaintActivities = ReturnType<typeof createComplaintActivities>;
