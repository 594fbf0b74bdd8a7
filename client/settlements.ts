// Typed client functions for the daily settlement, shared by the HTTP API, the CLI and the tests.
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { settlementWorkflowId } from '../domain/payment-types';
import { BANK_CODE, BUSINESS_DATE, SETTLEMENT_STATUS } from '../domain/search-attributes';
import { toAlmaty } from '../domain/calendar';
import { isBankCode } from '../domain/identifiers';
import { isRealDate } from '../domain/instant';
import type {
  DiscrepancyDecision, SettlementErrorCode, SettlementOptions, SettlementState, TransferConfirmation,
} from '../domain/settlement-types';
import { isSettlementErrorCode } from '../domain/settlement-errors';
import { confirmTransfersUpdate, resolveDiscrepancyUpdate, settlementStateQuery, settlementWorkflow } from '../workflows/settlement';
import { SettlementActionError, applicationFailureOf, errorName } from './errors';
import { withinEngineTimeout } from './deadline';

export type {
  Discrepancy, DiscrepancyDecision, SettlementErrorCode, SettlementFileInfo, SettlementLineState, SettlementOptions, SettlementState,
  SettlementStatus, TransferConfirmation,
} from '../domain/settlement-types';

export interface SettlementClientContext {
  client: Client;
  taskQueue: string;
  /** Bound of each call to Temporal (default ENGINE_CALL_TIMEOUT_MS): past it, EngineUnavailableError (503). */
  engineTimeoutMs?: number;
}


export { SettlementActionError } from './errors';

function checkBankDay(bankCode: string, businessDate: string, today = toAlmaty(new Date()).date): void {
  if (!isBankCode(bankCode)) throw new SettlementActionError('INVALID_REQUEST', `bank code must be 4 capital letters such as HSBK, got ${JSON.stringify(bankCode)}`);
  if (!isRealDate(businessDate)) throw new SettlementActionError('INVALID_REQUEST', `business date must be a real date YYYY-MM-DD, got ${JSON.stringify(businessDate)}`);
  if (businessDate > today) throw new SettlementActionError('INVALID_REQUEST', `business date ${businessDate} has not begun in Almaty (today is ${today}): a day is settled after it ends`);
}

/** The settlement refusal inside a failed update, if that is what it is. */
function refusalOf(err: unknown): { code: SettlementErrorCode; message: string } | undefined {
  return applicationFailureOf(err, isSettlementErrorCode);
}

/**
 * An update sent to a finished workflow fails as "not found" (the server looks for a running one).
 * Tells that apart from a settlement that never existed.
 */
async function hasFinished(ctx: SettlementClientContext, workflowId: string, err: unknown): Promise<boolean> {
  if (/already completed/i.test((err as Error)?.message ?? '')) return true;
  if (errorName(err) !== 'WorkflowNotFoundError') return false;
  try {
    await ctx.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (describeErr) {
    if (errorName(describeErr) === 'WorkflowNotFoundError') return false;
    throw describeErr;
  }
}

/** Attempts of an update that the server turned away because the workflow task it landed in failed. */
const UPDATE_ATTEMPTS_MAX = 6;
const UPDATE_RETRY_BASE_MS = 100;

/**
 * An update that arrives while a workflow task is running can make the server fail that task
 * ("UnhandledCommand") and answer the update with FAILED_PRECONDITION: "unexpected workflow task
 * failure". Nothing was applied; the next workflow task takes it. Retrying is safe because the
 * update id is derived from the request.
 */
function isTransientUpdateFailure(err: unknown): boolean {
  const cause = (err as { cause?: { code?: number; details?: string; message?: string } })?.cause;
  return errorName(err) === 'ServiceError' && cause?.code === 9 && /workflow task failure/i.test(`${cause.details ?? ''} ${cause.message ?? ''}`);
}

async function withUpdateRetry<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= UPDATE_ATTEMPTS_MAX || !isTransientUpdateFailure(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, UPDATE_RETRY_BASE_MS * 2 ** (attempt - 1)));
    }
  }
}

/** Identical requests share one update id, so Temporal itself deduplicates a retried call. */
function updateIdFor(kind: string, payload: unknown): string {
  return `${kind}-${createHash('sha256').update(JSON.stringify(payload)).digest('hex').slice(0, 32)}`;
}

/**
 * Starts the settlement of a bank-day (closing it). Starting it again is harmless: the answer
 * names the settlement already running (or finished) with alreadyStarted = true. A settlement that
 * failed or was terminated may be started again; it resumes from what the database holds.
 */
export async function startSettlement(
  ctx: SettlementClientContext,
  bankCode: string,
  businessDate: string,
  opts: { operator?: string; options?: SettlementOptions } = {},
): Promise<{ workflowId: string; runId: string; alreadyStarted: boolean }> {
  checkBankDay(bankCode, businessDate);
  return withinEngineTimeout(ctx.client, 'settlement start', () => startOrFind(ctx, bankCode, businessDate, opts), ctx.engineTimeoutMs);
}

async function startOrFind(
  ctx: SettlementClientContext,
  bankCode: string,
  businessDate: string,
  opts: { operator?: string; options?: SettlementOptions },
): Promise<{ workflowId: string; runId: string; alreadyStarted: boolean }> {
  const workflowId = settlementWorkflowId(bankCode, businessDate);
  try {
    const handle = await ctx.client.workflow.start(settlementWorkflow, {
      workflowId,
      taskQueue: ctx.taskQueue,
      args: [{ bankCode, businessDate, startedBy: opts.operator ?? 'operator', options: opts.options }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: new TypedSearchAttributes([
        { key: BANK_CODE, value: bankCode },
        { key: BUSINESS_DATE, value: businessDate },
        { key: SETTLEMENT_STATUS, value: 'closing' },
      ]),
    });
    return { workflowId, runId: handle.firstExecutionRunId, alreadyStarted: false };
  } catch (err) {
    if (errorName(err) !== 'WorkflowExecutionAlreadyStartedError') throw err;
    const described = await ctx.client.workflow.getHandle(workflowId).describe();
    return { workflowId, runId: described.runId, alreadyStarted: true };
  }
}

/** The settlement's state from its workflow (running or finished), or null when there is none. */
export function getSettlementState(ctx: SettlementClientContext, bankCode: string, businessDate: string): Promise<SettlementState | null> {
  return withinEngineTimeout(ctx.client, 'settlement query', () => queryState(ctx, bankCode, businessDate), ctx.engineTimeoutMs);
}

/** getSettlementState without a deadline of its own, for callers inside one (a nested deadline would replace theirs). */
async function queryState(ctx: SettlementClientContext, bankCode: string, businessDate: string): Promise<SettlementState | null> {
  try {
    return await ctx.client.workflow.getHandle(settlementWorkflowId(bankCode, businessDate)).query(settlementStateQuery);
  } catch (err) {
    if (errorName(err) === 'WorkflowNotFoundError') return null;
    throw err;
  }
}

/**
 * The operator's decision on a settlement waiting in 'discrepancy': accept the day as posted, or
 * exclude named payments (marked 'excluded' and reversed in the ledger). Throws
 * SettlementActionError when refused (no discrepancy waiting, unknown payment, ...).
 */
export async function resolveDiscrepancy(
  ctx: SettlementClientContext,
  bankCode: string,
  businessDate: string,
  decision: DiscrepancyDecision,
  operator: string,
): Promise<SettlementState> {
  const workflowId = settlementWorkflowId(bankCode, businessDate);
  return withinEngineTimeout(ctx.client, 'discrepancy decision', async () => {
    try {
      return await withUpdateRetry(() =>
        ctx.client.workflow.getHandle(workflowId).executeUpdate(resolveDiscrepancyUpdate, {
          args: [{ decision, operator }],
          updateId: updateIdFor('resolve', { decision, operator }),
        }),
      );
    } catch (err) {
      if (await hasFinished(ctx, workflowId, err)) throw new SettlementActionError('NOT_AWAITING_DECISION', `settlement ${workflowId} has finished: no discrepancy waits for a decision`);
      if (errorName(err) === 'WorkflowNotFoundError') throw new SettlementActionError('SETTLEMENT_NOT_FOUND', `no settlement of ${bankCode} for ${businessDate}: start it first`);
      const refusal = refusalOf(err);
      if (refusal) throw new SettlementActionError(refusal.code, refusal.message);
      throw err;
    }
  }, ctx.engineTimeoutMs);
}

/** A confirmation's answer: the state, or the refusal (the bank API answers it with the code's status). */
export type ConfirmOutcome = { ok: true; state: SettlementState } | { ok: false; code: SettlementErrorCode; message: string };

/**
 * The bank's confirmation of its transfers: every line at once (lines omitted) or the lines named.
 * When the last line is confirmed the answer comes once the day is settled. With no worker polling
 * (or Temporal down) it gives up after ctx.engineTimeoutMs with EngineUnavailableError; the update
 * may still be applied later, and repeating the same confirmation answers it (same update id).
 */
export function confirmTransfers(
  ctx: SettlementClientContext,
  bankCode: string,
  businessDate: string,
  confirmation: TransferConfirmation,
): Promise<ConfirmOutcome> {
  return withinEngineTimeout(ctx.client, 'confirmation', () => confirmOrAnswer(ctx, bankCode, businessDate, confirmation), ctx.engineTimeoutMs);
}

async function confirmOrAnswer(
  ctx: SettlementClientContext,
  bankCode: string,
  businessDate: string,
  confirmation: TransferConfirmation,
): Promise<ConfirmOutcome> {
  const workflowId = settlementWorkflowId(bankCode, businessDate);
  try {
    const state = await withUpdateRetry(() =>
      ctx.client.workflow.getHandle(workflowId).executeUpdate(confirmTransfersUpdate, {
        args: [confirmation],
        updateId: updateIdFor('confirm', confirmation),
      }),
    );
    return { ok: true, state };
  } catch (err) {
    if (await hasFinished(ctx, workflowId, err)) return answerFromSettled(ctx, bankCode, businessDate, confirmation);
    if (errorName(err) === 'WorkflowNotFoundError') return { ok: false, code: 'SETTLEMENT_NOT_FOUND', message: `no settlement of ${bankCode} for ${businessDate}` };
    const refusal = refusalOf(err);
    if (refusal) return { ok: false, ...refusal };
    throw err;
  }
}

/** The settlement has finished: a confirmation that matches what was recorded is answered as a repeat. */
async function answerFromSettled(
  ctx: SettlementClientContext,
  bankCode: string,
  businessDate: string,
  confirmation: TransferConfirmation,
): Promise<ConfirmOutcome> {
  const state = await queryState(ctx, bankCode, businessDate);
  if (!state) return { ok: false, code: 'SETTLEMENT_NOT_FOUND', message: `no settlement of ${bankCode} for ${businessDate}` };
  if (state.status !== 'settled') {
    return { ok: false, code: 'NOT_AWAITING_CONFIRMATION', message: `the workflow of settlement ${state.settlementId} ended in status ${state.status} (failed or terminated): start it again with spc settle, then confirm` };
  }
  const matches = confirmation.lines
    ? confirmation.lines.every((c) => state.lines.some((l) => l.lineNo === c.lineNo && l.transferRef === c.transferRef))
    : confirmation.transferRef === undefined || state.lines.every((l) => l.transferRef === confirmation.transferRef);
  if (matches) return { ok: true, state };
  return { ok: false, code: 'ALREADY_SETTLED', message: `settlement ${state.settlementId} is ${state.status} with other transfer references; it cannot be confirmed again` };
}
