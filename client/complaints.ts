// Typed client functions for complaints, shared by the bank API, the CLI, /ops and the tests. The
// complaint workflow writes; reads come from the complaints row (one read model for every entrance).
import { TypedSearchAttributes } from '@temporalio/common';
import type { Db } from '../db/connection';
import {
  COMPLAINT_TEXT_CHARS_MAX, NOT_POSTED_COMPLAINTS_PER_DAY_DEFAULT, complaintId, complaintWorkflowId, isComplaintErrorCode, isDisposition, type ComplaintInput,
  type ComplaintState,
} from '../domain/complaint-types';
import { complaintView, type ComplaintView } from '../domain/complaint-view';
import { freeTextProblem } from '../domain/free-text';
import { BANK_CODE } from '../domain/search-attributes';
import { BANK_REF_RE } from '../domain/payment-types';
import { toAlmaty } from '../domain/calendar';
import { assignComplaintUpdate, closeComplaintUpdate, complaintWorkflow, resolveComplaintUpdate } from '../workflows/complaint';
import { ComplaintActionError, applicationFailureOf, errorName } from './errors';
import { EngineUnavailableError, withinEngineTimeout } from './deadline';
import type { CorrectionClientContext } from './corrections';
import { isBankCode } from '../domain/identifiers';
import { complaintStatusOf, countNotPostedComplaintsSince, findComplaintRecord, listComplaintRecords } from '../db/queries/complaints';
import { paymentExists } from '../db/queries/payments';

export type { ComplaintView } from '../domain/complaint-view';

/** The same as a correction's: the Temporal client, its task queue and the read model's database. */
export type ComplaintClientContext = CorrectionClientContext;

export { ComplaintActionError } from './errors';

/**
 * How long raising waits for the workflow to write the complaint's row: within the API's answer
 * window. Past it (no worker polling, Postgres cut off) the bank gets 503 and raises again, which
 * finds the same workflow.
 */
export const RAISE_WAIT_MS = 15_000;
const RAISE_POLL_MS = 150;
export const COMPLAINTS_LISTED_MAX = 200;

/** raisedBy: 'bank:<CODE>' through the API, the operator's name from the CLI. */
export type RaiseRequest = Omit<ComplaintInput, 'complaintId'>;

export interface RaiseLimits {
  /** PAYMENT_NOT_POSTED complaints per bank and Almaty day (default NOT_POSTED_COMPLAINTS_PER_DAY_DEFAULT). */
  notPostedPerDayMax?: number;
}

/**
 * Refuses a new PAYMENT_NOT_POSTED complaint past the bank's quota for the day. Counted before the
 * workflow starts, so two requests racing at the quota may both pass: a bound on floods, not an
 * exact count.
 */
async function checkNotPostedQuota(ctx: ComplaintClientContext, bankCode: string, max: number, now: Date): Promise<void> {
  const dayStart = new Date(`${toAlmaty(now).date}T00:00:00+05:00`);
  if ((await countNotPostedComplaintsSince(ctx.db, bankCode, dayStart)) >= max) {
    throw new ComplaintActionError('COMPLAINT_LIMIT', `bank ${bankCode} raised ${max} PAYMENT_NOT_POSTED complaints today (Almaty time), the most one bank may: raise more tomorrow, or call the back office`);
  }
}

/** Raises a complaint (or finds the one already raised for this payment and disposition). */
export async function raiseComplaint(ctx: ComplaintClientContext, req: RaiseRequest, limits: RaiseLimits = {}): Promise<{ complaint: ComplaintView; created: boolean }> {
  const bad = (m: string) => new ComplaintActionError('INVALID_REQUEST', m);
  if (!isBankCode(req.bankCode)) throw bad('bank code must be 4 capital letters such as HSBK');
  if (typeof req.bankRef !== 'string' || !BANK_REF_RE.test(req.bankRef)) throw bad('bankRef must be 1-64 letters, digits or . _ - /');
  if (!isDisposition(req.disposition)) throw bad(`disposition ${JSON.stringify(req.disposition)} is not one of the documented codes (docs/complaints.md)`);
  const textProblem = freeTextProblem(req.text, 'text', COMPLAINT_TEXT_CHARS_MAX);
  if (textProblem) throw bad(textProblem);
  const text = req.text.trim();
  // The SPC has no record of a payment that "was not posted": every other disposition names one.
  // TRANSFER_NOT_RECEIVED names a list line (<PROVIDER>/<date>), checked by its raiser (client/transfer-cases.ts).
  if (req.disposition !== 'PAYMENT_NOT_POSTED' && req.disposition !== 'TRANSFER_NOT_RECEIVED') {
    if (!(await paymentExists(ctx.db, req.bankCode, req.bankRef))) throw new ComplaintActionError('PAYMENT_NOT_FOUND', `no payment ${req.bankRef} of ${req.bankCode}: check the reference, or raise PAYMENT_NOT_POSTED`);
  }
  const id = complaintId(req.bankCode, req.bankRef, req.disposition);
  const existing = await findComplaintRecord(ctx.db, id);
  if (existing) return { complaint: complaintView(existing), created: false };
  if (req.disposition === 'PAYMENT_NOT_POSTED') await checkNotPostedQuota(ctx, req.bankCode, limits.notPostedPerDayMax ?? NOT_POSTED_COMPLAINTS_PER_DAY_DEFAULT, new Date());
  let created = true;
  try {
    await withinEngineTimeout(ctx.client, 'complaint', () => ctx.client.workflow.start(complaintWorkflow, {
      workflowId: complaintWorkflowId(id),
      taskQueue: ctx.taskQueue,
      args: [{ complaintId: id, bankCode: req.bankCode, bankRef: req.bankRef, disposition: req.disposition, text, raisedBy: req.raisedBy, options: req.options }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: new TypedSearchAttributes([{ key: BANK_CODE, value: req.bankCode }]),
    }));
  } catch (err) {
    if (errorName(err) !== 'WorkflowExecutionAlreadyStartedError') throw err;
    created = false;
  }
  const deadline = Date.now() + RAISE_WAIT_MS;
  for (;;) {
    const row = await findComplaintRecord(ctx.db, id);
    if (row) return { complaint: complaintView(row), created };
    if (Date.now() > deadline) {
      throw new EngineUnavailableError('complaint', new Error(`complaint ${id} was started but has not been written within ${RAISE_WAIT_MS} ms: look at workflow ${complaintWorkflowId(id)}`));
    }
    await new Promise((resolve) => setTimeout(resolve, RAISE_POLL_MS));
  }
}

function refusalOf(err: unknown): ComplaintActionError | undefined {
  const failure = applicationFailureOf(err, isComplaintErrorCode);
  return failure ? new ComplaintActionError(failure.code, failure.message) : undefined;
}

async function update<A>(ctx: ComplaintClientContext, id: string, def: typeof assignComplaintUpdate | typeof resolveComplaintUpdate | typeof closeComplaintUpdate, args: A): Promise<ComplaintState> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const call = () => ctx.client.workflow.getHandle(complaintWorkflowId(id)).executeUpdate(def as any, { args: [args] }) as Promise<ComplaintState>;
    return await withinEngineTimeout(ctx.client, 'complaint update', call);
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal) throw refusal;
    if (errorName(err) === 'WorkflowNotFoundError' || /already completed/i.test((err as Error)?.message ?? '')) {
      const status = await complaintStatusOf(ctx.db, id);
      if (status) throw new ComplaintActionError('INVALID_TRANSITION', `complaint ${id} is ${status} and its workflow has finished`);
      throw new ComplaintActionError('COMPLAINT_NOT_FOUND', `no complaint ${id}`);
    }
    throw err;
  }
}

export const assignComplaint = (ctx: ComplaintClientContext, id: string, args: { operator: string; assignee?: string }) => update(ctx, id, assignComplaintUpdate, args);
export async function resolveComplaint(ctx: ComplaintClientContext, id: string, args: { operator: string; correctionId?: string; explanation?: string }): Promise<ComplaintState> {
  const problem = freeTextProblem(args.explanation, 'explanation', COMPLAINT_TEXT_CHARS_MAX, false);
  if (problem) throw new ComplaintActionError('INVALID_REQUEST', problem);
  return update(ctx, id, resolveComplaintUpdate, args);
}
export const closeComplaint = (ctx: ComplaintClientContext, id: string, args: { operator: string }) => update(ctx, id, closeComplaintUpdate, args);

/** One complaint; with `bank`, only that bank's (another bank's complaint is as good as absent). */
export async function getComplaint(db: Db, id: string, bank?: string): Promise<ComplaintView | null> {
  const row = await findComplaintRecord(db, id, bank);
  return row ? complaintView(row) : null;
}

export async function listComplaints(db: Db, filter: { bank?: string; status?: string; limit?: number } = {}): Promise<ComplaintView[]> {
  const rows = await listComplaintRecords(db, { bankCode: filter.bank, status: filter.status, limit: Math.min(filter.limit ?? 50, COMPLAINTS_LISTED_MAX) });
  return rows.map(complaintView);
}
