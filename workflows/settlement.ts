// The daily settlement of one bank-day, id `settlement:<BANK>:<YYYY-MM-DD>` (the id is the
// idempotency key; the settlements row '<BANK>:<YYYY-MM-DD>' is the final guard).
//
//   closing ──▶ [discrepancy ──decision──▶] aggregated ──▶ delivered ──▶ [overdue ──▶] settled
//
// close the bank-day · reconcile with the bank's register (a mismatch waits for an operator's
// decision, with reminders) · aggregate per provider in Postgres · store the payment list (pain.001
// + CSV) and push it to the bank's webhook · wait for the bank to confirm its transfers (overdue
// after the deadline) · settle with a ledger transfer. A query answers the state at any time; the
// SettlementStatus, BankCode and BusinessDate search attributes let operators list bank-days.
//
// This file holds the order of the steps, each a named function; the pure rules they apply are in
// settlement-rules.ts, the schedule's trigger in settlement-trigger.ts. The order of commands is
// the one of the recorded histories (test/histories/settlement): a change goes behind patched().
import {
  CancellationScope, ParentClosePolicy, allHandlersFinished, condition, defineQuery, defineUpdate, isCancellation, log, patched, proxyActivities,
  proxyLocalActivities, setHandler, startChild, upsertMemo, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { providerRegisterPushWorkflow, providerRegisterPushWorkflowId } from './provider-register-push';
import type { SettlementActivities } from '../activities/settlement';
import type {
  AggregateResult, SettlementOptions, SettlementState, SettlementStatus, SettlementWorkflowInput, TransferConfirmation, WebhookState, WrittenBy,
} from '../domain/settlement-types';
import { BANK_CODE, BUSINESS_DATE, SETTLEMENT_STATUS } from '../domain/search-attributes';
import { retryPolicy } from './retry';
import { AGGREGATION_HEARTBEAT, AGGREGATION_TIMEOUT, CASE_STEP_TIMEOUT, PROVIDER_REGISTERS_HEARTBEAT, PROVIDER_REGISTERS_TIMEOUT, SETTLEMENT_STEP_TIMEOUT, localStepOptions, stepOptions } from './activity-options';
import {
  REMINDER_INTERVAL_DEFAULT_MS, allConfirmed, appendTimeline, applyLines, confirmationTargets, emptyState, isPastReconciliation, refuse,
  validateDecision, webhookRetry, type ResolveArgs,
} from './settlement-rules';

export type { ResolveArgs } from './settlement-rules';

export const settlementStateQuery = defineQuery<SettlementState>('state');
export const resolveDiscrepancyUpdate = defineUpdate<SettlementState, [ResolveArgs]>('resolveDiscrepancy');
export const confirmTransfersUpdate = defineUpdate<SettlementState, [TransferConfirmation]>('confirmTransfers');

/** Confirmation due counted from the list's delivery instead of the business date (issue 9). */
export const PATCH_CONFIRM_DUE_FROM_DELIVERY = 'confirm-due-from-delivery';
/** The providers' registers of the day, built once the day's last list is out (issue 19). */
export const PATCH_PROVIDER_REGISTERS = 'provider-registers';
/** Each register built is pushed to its provider's webhook by a child of its own (issue 19). */
export const PATCH_PROVIDER_REGISTER_PUSH = 'provider-register-push';

// The short steps run as local activities: one round trip through the server less each, which is
// most of the engine's own time in a settlement. All are idempotent, like every activity here.
const { closeBankDay, reconcileBankDay, excludePayments, storeSettlementFiles, confirmSettlementLines, markSettlementOverdue, settleSettlement } =
  proxyLocalActivities<SettlementActivities>(localStepOptions(SETTLEMENT_STEP_TIMEOUT));

const { aggregateSettlement } = proxyActivities<SettlementActivities>(stepOptions(AGGREGATION_TIMEOUT, AGGREGATION_HEARTBEAT));

/** One run of the settlement: its state and the small acts every step shares. */
interface SettlementRun {
  readonly input: SettlementWorkflowInput;
  readonly state: SettlementState;
  readonly day: { settlementId: string; bankCode: string; businessDate: string };
  readonly writtenBy: WrittenBy;
  /** True while a decision's exclusion runs: a second decision is refused meanwhile. */
  deciding: boolean;
  now(): string;
  record(event: string, detail?: string): void;
  setStatus(status: SettlementStatus, detail?: string): void;
}

function startRun(input: SettlementWorkflowInput): SettlementRun {
  const info = workflowInfo();
  const now = () => new Date().toISOString();
  const state = emptyState(input, info.workflowId, now());
  const record = (event: string, detail?: string) => appendTimeline(state, now(), event, detail);
  return {
    input,
    state,
    day: { settlementId: state.settlementId, bankCode: input.bankCode, businessDate: input.businessDate },
    writtenBy: { workflowId: info.workflowId, runId: info.runId },
    deciding: false,
    now,
    record,
    setStatus(status, detail) {
      state.status = status;
      record(status, detail);
      upsertSearchAttributes([{ key: SETTLEMENT_STATUS, value: status }]);
    },
  };
}

/** The operator's decision on a discrepancy: accept the day, or exclude named payments first. */
async function decide(run: SettlementRun, { decision, operator }: ResolveArgs): Promise<SettlementState> {
  const { state } = run;
  run.deciding = true;
  try {
    let excludedRefs: string[] = [];
    if ('excludeRefs' in decision) {
      const result = await excludePayments({ ...run.day, refs: decision.excludeRefs, writtenBy: run.writtenBy });
      if (!result.ok) throw refuse(result.code, result.message);
      excludedRefs = [...decision.excludeRefs];
    }
    state.resolution = { decision: excludedRefs.length > 0 ? 'exclude' : 'accept', excludedRefs, operator, at: run.now() };
    run.record('decision', excludedRefs.length > 0 ? `${operator} excluded ${excludedRefs.join(', ')}` : `${operator} accepted the day as posted`);
    return state;
  } finally {
    run.deciding = false;
  }
}

/** The bank's confirmation of its transfers; one that completes the day answers once the day is settled. */
async function confirm(run: SettlementRun, confirmation: TransferConfirmation): Promise<SettlementState> {
  const { state } = run;
  const targets = confirmationTargets(state, confirmation);
  if (targets.length > 0) {
    const result = await confirmSettlementLines({ settlementId: state.settlementId, lines: targets });
    if (!result.ok) throw refuse(result.code, result.message);
    applyLines(state, result.lines);
    run.record('confirmed', `${targets.length} line(s)${confirmation.transferRef ? `, transfer ${confirmation.transferRef}` : ''}`);
  }
  if (allConfirmed(state)) await condition(() => state.status === 'settled');
  return state;
}

function installHandlers(run: SettlementRun): void {
  const { state } = run;
  setHandler(settlementStateQuery, () => state);
  setHandler(resolveDiscrepancyUpdate, (args) => decide(run, args), { validator: (args) => validateDecision(state, run.deciding, args) });
  setHandler(confirmTransfersUpdate, (confirmation) => confirm(run, confirmation), {
    validator: (confirmation) => void confirmationTargets(state, confirmation),
  });
}

/** 1. Close the bank-day: from here on, new payments of this bank get the next business date. */
async function closeDay(run: SettlementRun): Promise<{ alreadyAggregated: boolean }> {
  const closed = await closeBankDay({ ...run.day, writtenBy: run.writtenBy });
  run.state.dates.closedAt = closed.closedAt;
  run.record('closed', `bank-day closed at ${closed.closedAt}`);
  return { alreadyAggregated: isPastReconciliation(closed.priorStatus) };
}

/** 2. Reconcile with the bank's register; a mismatch waits for an operator's decision, with reminders. */
async function reconcile(run: SettlementRun): Promise<void> {
  const { state } = run;
  const reconciled = await reconcileBankDay(run.day);
  state.register = reconciled.register;
  state.discrepancies = reconciled.discrepancies;
  if (reconciled.discrepancies.length === 0) return;
  run.setStatus('discrepancy', `${reconciled.discrepancies.length} difference(s) with the bank's register`);
  const since = run.now();
  const reminderMs = run.input.options?.reminderIntervalMs ?? REMINDER_INTERVAL_DEFAULT_MS;
  while (state.resolution === null) {
    if (await condition(() => state.resolution !== null, reminderMs)) break;
    state.reminders += 1;
    log.warn('settlement waits for an operator decision on a discrepancy', { settlementId: state.settlementId, since, reminders: state.reminders });
    upsertMemo({ discrepancySince: since, discrepancyReminders: state.reminders, lastReminderAt: run.now() });
  }
}

/** 3. Aggregate per provider in Postgres. */
async function aggregate(run: SettlementRun): Promise<AggregateResult> {
  const { state } = run;
  const aggregated: AggregateResult = await aggregateSettlement(run.day);
  state.counts = aggregated.counts;
  state.totals = aggregated.totals;
  applyLines(state, aggregated.lines);
  Object.assign(state.dates, {
    aggregatedAt: aggregated.aggregatedAt,
    executionDate: aggregated.executionDate,
    confirmDueDate: aggregated.confirmDueDate,
    confirmDeadlineAt: aggregated.confirmDeadlineAt,
  });
  run.setStatus('aggregated', `${aggregated.counts.accepted} payment(s), ${aggregated.lines.length} line(s), ${aggregated.totals.net} KZT`);
  return aggregated;
}

/** 4a. The payment list, stored (the bank API serves it from there); returns when its confirmation is due. */
async function storeList(run: SettlementRun, aggregated: AggregateResult): Promise<{ confirmDueDate: string; confirmDeadlineAt: string }> {
  const { state } = run;
  const files = await storeSettlementFiles({ settlementId: state.settlementId });
  state.files = files.files;
  state.dates.deliveredAt = files.deliveredAt;
  // The confirmation is due counted from delivery (histories recorded before keep the old deadline).
  const dueFromDelivery = patched(PATCH_CONFIRM_DUE_FROM_DELIVERY) && files.confirmDeadlineAt !== undefined && files.confirmDueDate !== undefined;
  const confirmDueDate = dueFromDelivery ? (files.confirmDueDate as string) : aggregated.confirmDueDate;
  const confirmDeadlineAt = dueFromDelivery ? (files.confirmDeadlineAt as string) : aggregated.confirmDeadlineAt;
  Object.assign(state.dates, { confirmDueDate, confirmDeadlineAt });
  run.setStatus('delivered', files.files.map((f) => `${f.format} ${f.sha256.slice(0, 12)}`).join(', '));
  return { confirmDueDate, confirmDeadlineAt };
}

/**
 * 4c. The providers' registers of the day (activities/provider-register.ts): built by whichever
 * settlement of the date delivers last; the others find the day still waiting. A failure here is
 * the providers' and the operator's, not the bank's: it is recorded and the settlement goes on.
 */
async function buildRegisters(run: SettlementRun): Promise<void> {
  if (!patched(PATCH_PROVIDER_REGISTERS)) return;
  const { buildProviderRegisters } = proxyActivities<SettlementActivities>({
    startToCloseTimeout: PROVIDER_REGISTERS_TIMEOUT, heartbeatTimeout: PROVIDER_REGISTERS_HEARTBEAT, retry: { ...retryPolicy, maximumAttempts: 10 },
  });
  try {
    const built = await buildProviderRegisters({ businessDate: run.day.businessDate });
    if (built.status !== 'built') return;
    run.record('provider registers', `${built.registers.length} register(s) of ${run.day.businessDate}`);
    if (patched(PATCH_PROVIDER_REGISTER_PUSH)) await startRegisterPushes(built.registers.map((r) => r.id), run.input.options);
  } catch (err) {
    log.warn('provider registers not built', { businessDate: run.day.businessDate, error: String(err) });
    run.record('provider registers failed', 'spc provider registers build --date rebuilds them');
  }
}

/**
 * 4d. One push per register, an abandoned child (workflows/provider-register-push.ts) that outlives
 * this settlement. A register kept from an earlier build already has its push: the start finds it.
 */
async function startRegisterPushes(registerIds: string[], options: SettlementOptions | undefined): Promise<void> {
  // All in one workflow task: started one after the other, each start waits a round trip through the server.
  await Promise.all(registerIds.map(async (registerId) => {
    try {
      await startChild(providerRegisterPushWorkflow, {
        workflowId: providerRegisterPushWorkflowId(registerId),
        args: [{ registerId, retry: options?.webhookRetry }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
    } catch (err) {
      if ((err as Error)?.name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
  }));
}

interface WebhookPush {
  scope: CancellationScope | undefined;
  done: Promise<void>;
}

/** 4b. The list pushed to the bank's webhook, in its own scope: it retries until delivered or cancelled. */
function pushWebhook(run: SettlementRun, options: SettlementOptions | undefined): WebhookPush {
  const { state } = run;
  const { deliverSettlementWebhook } = proxyActivities<SettlementActivities>({ startToCloseTimeout: CASE_STEP_TIMEOUT, retry: webhookRetry(options) });
  const scope = new CancellationScope();
  state.webhook = { status: 'pending' };
  const done = scope
    .run(() => deliverSettlementWebhook({ settlementId: state.settlementId }))
    .then(
      (webhook: WebhookState) => {
        state.webhook = webhook;
        if (webhook.status === 'delivered') run.record('webhook delivered', `${webhook.url} after ${webhook.attempts} attempt(s)`);
      },
      (err: unknown) => {
        if (!isCancellation(err)) throw err;
        state.webhook = { ...state.webhook, status: 'cancelled' };
      },
    );
  return { scope, done };
}

/** 5. Wait for the bank's confirmation; past the deadline the settlement is overdue, and still settles. */
async function awaitConfirmation(run: SettlementRun, due: { confirmDueDate: string; confirmDeadlineAt: string }): Promise<void> {
  const { state } = run;
  const deadlineMs = run.input.options?.confirmDeadlineMs ?? Date.parse(due.confirmDeadlineAt) - Date.now();
  if (await condition(() => allConfirmed(state), Math.max(1, deadlineMs))) return;
  const overdue = await markSettlementOverdue({ settlementId: state.settlementId });
  state.dates.overdueAt = overdue.overdueAt;
  run.setStatus('overdue', `no full confirmation by ${due.confirmDueDate}`);
  await condition(() => allConfirmed(state));
}

/** 6. Settle: one ledger transfer; every accepted payment of the day now shows this settlement as settled. */
async function settle(run: SettlementRun, aggregated: AggregateResult): Promise<void> {
  const settled = await settleSettlement({ settlementId: run.state.settlementId, writtenBy: run.writtenBy });
  run.state.dates.settledAt = settled.settledAt;
  run.setStatus('settled', aggregated.lines.length === 0 ? 'nothing to transfer' : `${aggregated.totals.net} KZT transferred`);
}

export async function settlementWorkflow(input: SettlementWorkflowInput): Promise<SettlementState> {
  const run = startRun(input);
  const { state } = run;
  installHandlers(run);
  upsertSearchAttributes([
    { key: BANK_CODE, value: input.bankCode },
    { key: BUSINESS_DATE, value: input.businessDate },
    { key: SETTLEMENT_STATUS, value: 'closing' },
  ]);
  run.record('started', `by ${input.startedBy}`);

  const { alreadyAggregated } = await closeDay(run);
  if (!alreadyAggregated) await reconcile(run);
  const aggregated = await aggregate(run);

  let webhook: WebhookPush = { scope: undefined, done: Promise.resolve() };
  if (aggregated.lines.length > 0) {
    const due = await storeList(run, aggregated);
    webhook = pushWebhook(run, input.options);
    await buildRegisters(run);
    await awaitConfirmation(run, due);
  } else await buildRegisters(run);

  await settle(run, aggregated);
  // Once the bank confirmed its transfers, pushing the list again is moot.
  if (state.webhook.status === 'pending') webhook.scope?.cancel();
  await webhook.done;
  await condition(allHandlersFinished);
  return state;
}
