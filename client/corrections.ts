// Typed client functions for corrections, shared by the CLI, the operator page, complaints and the
// tests. The workflow is the writer; reads for lists come from Postgres (the corrections row).
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Db } from '../db/connection';
import {
  CORRECTION_KINDS, CORRECTION_REASON_CHARS_MAX, OPERATOR_NAME_RE, correctionWorkflowId, isCorrectionErrorCode,
  type CorrectionKind, type CorrectionOptions, type CorrectionState, type CorrectionTarget,
} from '../domain/correction-types';
import { freeTextProblem } from '../domain/free-text';
import { BANK_CODE } from '../domain/search-attributes';
import { BANK_REF_RE } from '../domain/payment-types';
import { correctionStateQuery, correctionWorkflow, decideCorrectionUpdate } from '../workflows/correction';
import { CorrectionActionError, applicationFailureOf, errorName } from './errors';
import { withinEngineTimeout } from './deadline';
import { isBankCode } from '../domain/identifiers';
import { correctionStatusOf, findCorrectionId, lastCorrectionNumber, listCorrectionRows, type CorrectionRow } from '../db/queries/corrections';

export type { CorrectionState, CorrectionKind, CorrectionTarget } from '../domain/correction-types';
export type { CorrectionRow } from '../db/queries/corrections';

export interface CorrectionClientContext {
  client: Client;
  taskQueue: string;
  db: Db;
}

export { CorrectionActionError } from './errors';

/** How long a proposal may take to be recorded before the client gives up waiting (it goes on in Temporal). */
export const PROPOSE_WAIT_MS = 60_000;
const PROPOSE_POLL_MS = 200;
/** Corrections listed at most per answer. */
export const CORRECTIONS_LISTED_MAX = 500;

function refusalOf(err: unknown): CorrectionActionError | undefined {
  const failure = applicationFailureOf(err, isCorrectionErrorCode);
  return failure ? new CorrectionActionError(failure.code, failure.message) : undefined;
}

export interface ProposeRequest {
  bankCode: string;
  bankRef: string;
  kind: CorrectionKind;
  target?: CorrectionTarget;
  reason: string;
  operator: string;
  complaintId?: string;
  options?: CorrectionOptions;
}

function checkProposal(req: ProposeRequest): void {
  const bad = (m: string) => new CorrectionActionError('INVALID_REQUEST', m);
  if (!isBankCode(req.bankCode)) throw bad(`bank code must be 4 capital letters such as HSBK, got ${JSON.stringify(req.bankCode)}`);
  if (!BANK_REF_RE.test(req.bankRef)) throw bad('bankRef must be 1-64 letters, digits or . _ - /');
  if (!CORRECTION_KINDS.includes(req.kind)) throw bad(`kind must be one of ${CORRECTION_KINDS.join(', ')}`);
  if (!OPERATOR_NAME_RE.test(req.operator)) throw bad('operator must be 1-64 letters, digits or . _ @ -');
  const reasonProblem = freeTextProblem(req.reason, 'reason', CORRECTION_REASON_CHARS_MAX);
  if (reasonProblem) throw bad(reasonProblem);
  if (req.kind === 'move' && !req.target?.account) throw bad('a move needs the target account (--to-account)');
  if (req.kind === 'resplit' && !req.target?.lines?.length) throw bad('a resplit needs the new per-service amounts (--line SERVICE=AMOUNT ...)');
}

/** Starts the correction workflow and returns once the proposal is recorded (or refused: CorrectionActionError). */
export async function proposeCorrection(ctx: CorrectionClientContext, req: ProposeRequest): Promise<CorrectionState> {
  checkProposal(req);
  const n = (await lastCorrectionNumber(ctx.db, req.bankCode, req.bankRef)) + 1;
  const workflowId = correctionWorkflowId(req.bankCode, req.bankRef, n);
  let handle;
  try {
    handle = await ctx.client.workflow.start(correctionWorkflow, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{
        correctionId: workflowId, bankCode: req.bankCode, bankRef: req.bankRef, n, kind: req.kind, target: req.target ?? {}, reason: req.reason.trim(),
        proposedBy: req.operator, complaintId: req.complaintId, options: req.options,
      }],
      // A refused proposal fails its workflow and leaves no row: its number may be used again.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: new TypedSearchAttributes([{ key: BANK_CODE, value: req.bankCode }]),
    });
  } catch (err) {
    if (errorName(err) === 'WorkflowExecutionAlreadyStartedError') throw new CorrectionActionError('INVALID_REQUEST', `correction ${workflowId} is being proposed right now: look at it with spc correction show`);
    throw err;
  }
  const deadline = Date.now() + PROPOSE_WAIT_MS;
  for (;;) {
    const described = await handle.describe();
    if (described.status.name === 'FAILED') {
      const failure = await handle.result().then(() => undefined, (e: unknown) => e);
      throw refusalOf(failure) ?? (failure as Error);
    }
    const state = await handle.query(correctionStateQuery);
    if (state.status !== 'proposing') return state;
    if (Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, PROPOSE_POLL_MS));
  }
}

/** A second operator approves or rejects; the proposer's own decision is refused with SELF_APPROVAL. */
export async function decideCorrection(ctx: CorrectionClientContext, correctionId: string, decision: { operator: string; approve: boolean; note?: string; role?: string }): Promise<CorrectionState> {
  const noteProblem = freeTextProblem(decision.note, 'note', CORRECTION_REASON_CHARS_MAX, false);
  if (noteProblem) throw new CorrectionActionError('INVALID_REQUEST', noteProblem);
  try {
    return await withinEngineTimeout(ctx.client, 'correction decision', () => ctx.client.workflow.getHandle(correctionId).executeUpdate(decideCorrectionUpdate, { args: [decision] }));
  } catch (err) {
    const refusal = refusalOf(err);
    if (refusal) throw refusal;
    if (errorName(err) === 'WorkflowNotFoundError' || /already completed/i.test((err as Error)?.message ?? '')) {
      const status = await correctionStatusOf(ctx.db, correctionId);
      if (status) throw new CorrectionActionError('NOT_AWAITING_DECISION', `correction ${correctionId} is ${status}: nothing waits for a decision`);
      throw new CorrectionActionError('CORRECTION_NOT_FOUND', `no correction ${correctionId}`);
    }
    throw err;
  }
}

/** The workflow's state (running or finished), or null. */
export async function getCorrectionState(ctx: Pick<CorrectionClientContext, 'client'>, correctionId: string): Promise<CorrectionState | null> {
  try {
    return await ctx.client.workflow.getHandle(correctionId).query(correctionStateQuery);
  } catch (err) {
    if (errorName(err) === 'WorkflowNotFoundError') return null;
    throw err;
  }
}

/** Finds a correction by its workflow id or its K<seq> reference. */
export async function resolveCorrectionId(db: Db, idOrRef: string): Promise<string | null> {
  const m = /^K(\d{1,18})$/.exec(idOrRef);
  return findCorrectionId(db, m ? { seq: m[1] as string } : { id: idOrRef });
}

/** Corrections, newest first: the read model of the CLI and the operator page. */
export async function listCorrections(db: Db, filter: { bank?: string; status?: string; limit?: number } = {}): Promise<CorrectionRow[]> {
  return listCorrectionRows(db, { bankCode: filter.bank, status: filter.status, limit: Math.min(filter.limit ?? 50, CORRECTIONS_LISTED_MAX) });
}
