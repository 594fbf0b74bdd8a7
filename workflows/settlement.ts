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
// The schedule of each bank starts `settlementTriggerWorkflow` at the bank's cut-off; it works out
// the business date and starts the settlement as an abandoned child with the business-key id.
import {
  ApplicationFailure, CancellationScope, ParentClosePolicy, allHandlersFinished, condition, defineQuery, defineUpdate, isCancellation, log,
  patched, proxyActivities, proxyLocalActivities, setHandler, sleep, startChild, upsertMemo, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SettlementActivities } from '../activities/settlement';
import type {
  AggregateResult, DiscrepancyDecision, SettlementErrorCode, SettlementLineState, SettlementOptions, SettlementState, SettlementStatus,
  SettlementWorkflowInput, TransferConfirmation, WebhookState,
} from '../domain/settlement-types';
import { BANK_REF_RE, settlementWorkflowId } from '../domain/payment-types';
import { settlementIdOf } from '../domain/identifiers';
import { BANK_CODE, BUSINESS_DATE, SETTLEMENT_STATUS } from '../domain/search-attributes';
import { retryPolicy } from './retry';

export interface ResolveArgs {
  decision: DiscrepancyDecision;
  operator: string;
}

export const settlementStateQuery = defineQuery<SettlementState>('state');
export const resolveDiscrepancyUpdate = defineUpdate<SettlementState, [ResolveArgs]>('resolveDiscrepancy');
export const confirmTransfersUpdate = defineUpdate<SettlementState, [TransferConfirmation]>('confirmTransfers');

export const DEFAULT_REMINDER_INTERVAL_MS = 60 * 60_000;
export const DEFAULT_WEBHOOK_RETRY = { initialIntervalMs: 10_000, maximumIntervalMs: 10 * 60_000, backoffCoefficient: 2 } as const;
/** Most payments one exclusion may name (the activity checks the same limit). */
export const DECISION_REFS_MAX = 1_000;
export const TRANSFER_REF_RE = /^[A-Za-z0-9._:/-]{1,64}$/;
const OPERATOR_RE = /^[\p{L}\p{N}._@-]{1,64}$/u;
/** Confirmation due counted from the list's delivery instead of the business date (issue 9). */
export const PATCH_CONFIRM_DUE_FROM_DELIVERY = 'confirm-due-from-delivery';
/** A timeline longer than this keeps its first and last entries: the query result stays small. */
const TIMELINE_ENTRIES_MAX = 100;

// The short steps run as local activities: one round trip through the server less each, which is
// most of the engine's own time in a settlement. All are idempotent, like every activity here.
const { closeBankDay, reconcileBankDay, excludePayments, storeSettlementFiles, confirmSettlementLines, markSettlementOverdue, settleSettlement } =
  proxyLocalActivities<SettlementActivities>({
    startToCloseTimeout: '2 minutes',
    // Beyond this, retries are scheduled as durable timers instead of inside one workflow task.
    localRetryThreshold: '10s',
    retry: retryPolicy,
  });

// Aggregating a million payments takes seconds, on a loaded machine minutes; it heartbeats.
const { aggregateSettlement } = proxyActivities<SettlementActivities>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: '1 minute', retry: retryPolicy });

function refuse(code: SettlementErrorCode, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

function emptyState(input: SettlementWorkflowInput, workflowId: string, startedAt: string): SettlementState {
  return {
    settlementId: settlementIdOf(input.bankCode, input.businessDate),
    workflowId,
    bankCode: input.bankCode,
    businessDate: input.businessDate,
    status: 'closing',
    startedBy: input.startedBy,
    counts: { payments: 0, reversals: 0, accepted: 0, lines: 0, confirmedLines: 0 },
    totals: { payments: '0.00', reversals: '0.00', net: '0.00', confirmed: '0.00' },
    register: null,
    discrepancies: [],
    resolution: null,
    reminders: 0,
    lines: [],
    files: [],
    webhook: { status: 'unknown' },
    dates: { startedAt },
    timeline: [],
  };
}

function webhookRetry(options: SettlementOptions | undefined) {
  const r = { ...DEFAULT_WEBHOOK_RETRY, ...options?.webhookRetry };
  return { initialInterval: r.initialIntervalMs, maximumInterval: r.maximumIntervalMs, backoffCoefficient: r.backoffCoefficient };
}

export async function settlementWorkflow(input: SettlementWorkflowInput): Promise<SettlementState> {
  const info = workflowInfo();
  const writtenBy = { workflowId: info.workflowId, runId: info.runId };
  const now = () => new Date().toISOString();
  const state = emptyState(input, info.workflowId, now());
  const day = { settlementId: state.settlementId, bankCode: input.bankCode, businessDate: input.businessDate };
  let deciding = false;

  const { deliverSettlementWebhook } = proxyActivities<SettlementActivities>({ startToCloseTimeout: '1 minute', retry: webhookRetry(input.options) });

  function record(event: string, detail?: string): void {
    state.timeline.push({ at: now(), event, ...(detail ? { detail } : {}) });
    if (state.timeline.length > TIMELINE_ENTRIES_MAX) state.timeline.splice(TIMELINE_ENTRIES_MAX / 2, 1);
  }

  function setStatus(status: SettlementStatus, detail?: string): void {
    state.status = status;
    record(status, detail);
    upsertSearchAttributes([{ key: SETTLEMENT_STATUS, value: status }]);
  }

  function applyLines(lines: SettlementLineState[]): void {
    state.lines = lines;
    const confirmed = lines.filter((l) => l.confirmedAt !== null);
    state.counts.lines = lines.length;
    state.counts.confirmedLines = confirmed.length;
    state.totals.confirmed = sumAmounts(confirmed.map((l) => l.amount));
  }

  const allConfirmed = () => state.lines.every((l) => l.confirmedAt !== null);

  setHandler(settlementStateQuery, () => state);

  setHandler(
    resolveDiscrepancyUpdate,
    async ({ decision, operator }) => {
      deciding = true;
      try {
        let excludedRefs: string[] = [];
        if ('excludeRefs' in decision) {
          const result = await excludePayments({ ...day, refs: decision.excludeRefs, writtenBy });
          if (!result.ok) throw refuse(result.code, result.message);
          excludedRefs = [...decision.excludeRefs];
        }
        state.resolution = { decision: excludedRefs.length > 0 ? 'exclude' : 'accept', excludedRefs, operator, at: now() };
        record('decision', excludedRefs.length > 0 ? `${operator} excluded ${excludedRefs.join(', ')}` : `${operator} accepted the day as posted`);
        return state;
      } finally {
        deciding = false;
      }
    },
    { validator: (args) => validateDecision(state, deciding, args) },
  );

  setHandler(
    confirmTransfersUpdate,
    async (confirmation) => {
      const targets = confirmationTargets(state, confirmation);
      if (targets.length > 0) {
        const result = await confirmSettlementLines({ settlementId: state.settlementId, lines: targets });
        if (!result.ok) throw refuse(result.code, result.message);
        applyLines(result.lines);
        record('confirmed', `${targets.length} line(s)${confirmation.transferRef ? `, transfer ${confirmation.transferRef}` : ''}`);
      }
      // A confirmation that completes the day answers once the day is settled.
      if (allConfirmed()) await condition(() => state.status === 'settled');
      return state;
    },
    { validator: (confirmation) => void confirmationTargets(state, confirmation) },
  );

  upsertSearchAttributes([
    { key: BANK_CODE, value: input.bankCode },
    { key: BUSINESS_DATE, value: input.businessDate },
    { key: SETTLEMENT_STATUS, value: 'closing' },
  ]);
  record('started', `by ${input.startedBy}`);

  // 1. Close the bank-day: from here on, new payments of this bank get the next business date.
  const closed = await closeBankDay({ ...day, writtenBy });
  state.dates.closedAt = closed.closedAt;
  record('closed', `bank-day closed at ${closed.closedAt}`);
  const alreadyAggregated = closed.priorStatus !== null && !['closing', 'discrepancy'].includes(closed.priorStatus);

  // 2. Reconcile with the bank's register; a mismatch waits for an operator's decision.
  if (!alreadyAggregated) {
    const reconciled = await reconcileBankDay(day);
    state.register = reconciled.register;
    state.discrepancies = reconciled.discrepancies;
    if (reconciled.discrepancies.length > 0) {
      setStatus('discrepancy', `${reconciled.discrepancies.length} difference(s) with the bank's register`);
      const since = now();
      const reminderMs = input.options?.reminderIntervalMs ?? DEFAULT_REMINDER_INTERVAL_MS;
      while (state.resolution === null) {
        if (await condition(() => state.resolution !== null, reminderMs)) break;
        state.reminders += 1;
        log.warn('settlement waits for an operator decision on a discrepancy', { settlementId: state.settlementId, since, reminders: state.reminders });
        upsertMemo({ discrepancySince: since, discrepancyReminders: state.reminders, lastReminderAt: now() });
      }
    }
  }

  // 3. Aggregate per provider in Postgres.
  const aggregated: AggregateResult = await aggregateSettlement(day);
  state.counts = aggregated.counts;
  state.totals = aggregated.totals;
  applyLines(aggregated.lines);
  Object.assign(state.dates, {
    aggregatedAt: aggregated.aggregatedAt,
    executionDate: aggregated.executionDate,
    confirmDueDate: aggregated.confirmDueDate,
    confirmDeadlineAt: aggregated.confirmDeadlineAt,
  });
  setStatus('aggregated', `${aggregated.counts.accepted} payment(s), ${aggregated.lines.length} line(s), ${aggregated.totals.net} KZT`);

  let webhookScope: CancellationScope | undefined;
  let webhookDone: Promise<void> = Promise.resolve();
  if (aggregated.lines.length > 0) {
    // 4. The payment list: stored (the bank API serves it from there) and pushed to the bank's webhook.
    const files = await storeSettlementFiles({ settlementId: state.settlementId });
    state.files = files.files;
    state.dates.deliveredAt = files.deliveredAt;
    // The confirmation is due counted from delivery (histories recorded before keep the old deadline).
    const dueFromDelivery = patched(PATCH_CONFIRM_DUE_FROM_DELIVERY) && files.confirmDeadlineAt !== undefined && files.confirmDueDate !== undefined;
    const confirmDueDate = dueFromDelivery ? (files.confirmDueDate as string) : aggregated.confirmDueDate;
    const confirmDeadlineAt = dueFromDelivery ? (files.confirmDeadlineAt as string) : aggregated.confirmDeadlineAt;
    Object.assign(state.dates, { confirmDueDate, confirmDeadlineAt });
    setStatus('delivered', files.files.map((f) => `${f.format} ${f.sha256.slice(0, 12)}`).join(', '));

    webhookScope = new CancellationScope();
    state.webhook = { status: 'pending' };
    webhookDone = webhookScope
      .run(() => deliverSettlementWebhook({ settlementId: state.settlementId }))
      .then(
        (webhook: WebhookState) => {
          state.webhook = webhook;
          if (webhook.status === 'delivered') record('webhook delivered', `${webhook.url} after ${webhook.attempts} attempt(s)`);
        },
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
          state.webhook = { ...state.webhook, status: 'cancelled' };
        },
      );

    // 5. Wait for the bank's confirmation; past the deadline the settlement is overdue, and still settles.
    const deadlineMs = input.options?.confirmDeadlineMs ?? Date.parse(confirmDeadlineAt) - Date.now();
    if (!(await condition(allConfirmed, Math.max(1, deadlineMs)))) {
      const overdue = await markSettlementOverdue({ settlementId: state.settlementId });
      state.dates.overdueAt = overdue.overdueAt;
      setStatus('overdue', `no full confirmation by ${confirmDueDate}`);
      await condition(allConfirmed);
    }
  }

  // 6. Settle: one ledger transfer; every accepted payment of the day now shows this settlement as settled.
  const settled = await settleSettlement({ settlementId: state.settlementId, writtenBy });
  state.dates.settledAt = settled.settledAt;
  setStatus('settled', aggregated.lines.length === 0 ? 'nothing to transfer' : `${aggregated.totals.net} KZT transferred`);

  // Once the bank confirmed its transfers, pushing the list again is moot.
  if (state.webhook.status === 'pending') webhookScope?.cancel();
  await webhookDone;
  await condition(allHandlersFinished);
  return state;
}

function sumAmounts(amounts: string[]): string {
  // Integer tiyn in a bigint: exact, and no decimal library in the workflow bundle.
  let tiyn = 0n;
  for (const a of amounts) {
    const [whole, frac = ''] = a.split('.');
    tiyn += BigInt(whole ?? '0') * 100n + BigInt((frac + '00').slice(0, 2));
  }
  const s = tiyn.toString().padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

function validateDecision(state: SettlementState, deciding: boolean, args: ResolveArgs): void {
  if (state.status !== 'discrepancy' || state.resolution !== null || deciding) {
    throw refuse('NOT_AWAITING_DECISION', `settlement ${state.settlementId} is ${state.status}${state.resolution ? ' and already decided' : ''}: no discrepancy waits for a decision`);
  }
  if (typeof args?.operator !== 'string' || !OPERATOR_RE.test(args.operator)) {
    throw refuse('INVALID_REQUEST', 'a decision needs the operator\'s name (1-64 letters, digits or . _ @ -)');
  }
  const d = args.decision as Partial<{ accept: unknown; excludeRefs: unknown }> | undefined;
  if (d?.accept === true && d.excludeRefs === undefined) return;
  const refs = d?.excludeRefs;
  if (d?.accept === undefined && Array.isArray(refs) && refs.length >= 1 && refs.length <= DECISION_REFS_MAX) {
    const bad = refs.filter((r) => typeof r !== 'string' || !BANK_REF_RE.test(r));
    if (bad.length > 0) throw refuse('INVALID_REQUEST', `excludeRefs must be bank references (1-64 letters, digits, . _ - /): ${JSON.stringify(bad.slice(0, 5))}`);
    if (new Set(refs).size !== refs.length) throw refuse('INVALID_REQUEST', 'excludeRefs names a payment twice');
    return;
  }
  throw refuse('INVALID_REQUEST', `a decision is either { accept: true } or { excludeRefs: [1-${DECISION_REFS_MAX} bank references] }`);
}

/** The lines a confirmation confirms now (already confirmed ones with the same reference are skipped); throws a refusal. */
function confirmationTargets(state: SettlementState, c: TransferConfirmation): Array<{ lineNo: number; transferRef: string | null }> {
  if (!['delivered', 'overdue', 'settled'].includes(state.status)) {
    throw refuse('NOT_AWAITING_CONFIRMATION', `settlement ${state.settlementId} is ${state.status}: its payment list has not gone out, there is nothing to confirm yet`);
  }
  if (typeof c !== 'object' || c === null) throw refuse('INVALID_REQUEST', 'a confirmation is { transferRef?, lines?: [{ lineNo, transferRef }] }');
  if (c.transferRef !== undefined && (typeof c.transferRef !== 'string' || !TRANSFER_REF_RE.test(c.transferRef))) {
    throw refuse('INVALID_REQUEST', 'transferRef must be 1-64 letters, digits or . _ : / -');
  }
  if (c.lines === undefined) {
    return state.lines.filter((l) => l.confirmedAt === null).map((l) => ({ lineNo: l.lineNo, transferRef: c.transferRef ?? null }));
  }
  if (c.transferRef !== undefined) throw refuse('INVALID_REQUEST', 'give either transferRef (for all lines) or lines (each with its transferRef), not both');
  if (!Array.isArray(c.lines) || c.lines.length === 0) throw refuse('INVALID_REQUEST', 'lines must list at least one { lineNo, transferRef }');
  const seen = new Set<number>();
  const targets: Array<{ lineNo: number; transferRef: string }> = [];
  for (const entry of c.lines) {
    const line = state.lines.find((l) => l.lineNo === entry?.lineNo);
    if (!line) throw refuse('UNKNOWN_LINE', `settlement ${state.settlementId} has no line ${JSON.stringify(entry?.lineNo)} (lines 1-${state.lines.length})`);
    if (seen.has(line.lineNo)) throw refuse('INVALID_REQUEST', `line ${line.lineNo} is listed twice`);
    seen.add(line.lineNo);
    if (typeof entry.transferRef !== 'string' || !TRANSFER_REF_RE.test(entry.transferRef)) {
      throw refuse('INVALID_REQUEST', `line ${line.lineNo}: transferRef must be 1-64 letters, digits or . _ : / -`);
    }
    if (line.confirmedAt !== null) {
      if (line.transferRef !== entry.transferRef) throw refuse('LINE_ALREADY_CONFIRMED', `line ${line.lineNo} was already confirmed with transfer ${line.transferRef ?? '(none)'}`);
      continue;
    }
    targets.push({ lineNo: line.lineNo, transferRef: entry.transferRef });
  }
  return targets;
}

// ---- the schedule's trigger ------------------------------------------------------------------

/** Set by Temporal on every workflow a schedule starts: the time the schedule meant, not when it ran. */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export interface SettlementTriggerInput {
  bankCode: string;
  options?: SettlementOptions;
}

export interface SettlementTriggerResult {
  outcome: 'started' | 'already_started' | 'not_business_day' | 'unknown_bank';
  bankCode: string;
  businessDate: string;
  workflowId?: string;
  /** Earlier bank-days left unsettled that this run started settlements for. */
  swept?: string[];
}

/** The trigger also settles earlier bank-days left unsettled (issue 9); histories recorded before do not. */
export const PATCH_TRIGGER_SWEEPS_UNSETTLED = 'trigger-sweeps-unsettled-days';

const { settlementTriggerInfo, unsettledBankDaysOf } = proxyActivities<SettlementActivities>({ startToCloseTimeout: '1 minute', retry: retryPolicy });

/** Starts the settlement of a bank-day as a child that outlives the trigger; false when it was already started. */
async function startSettlementChild(bankCode: string, businessDate: string, startedBy: string, options: SettlementTriggerInput['options']): Promise<boolean> {
  try {
    await startChild(settlementWorkflow, {
      workflowId: settlementWorkflowId(bankCode, businessDate),
      args: [{ bankCode, businessDate, startedBy, options }],
      // The settlement outlives this trigger by days (it waits for the bank's confirmation).
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [
        { key: BANK_CODE, value: bankCode },
        { key: BUSINESS_DATE, value: businessDate },
        { key: SETTLEMENT_STATUS, value: 'closing' },
      ],
    });
    return true;
  } catch (err) {
    if ((err as Error)?.name === 'WorkflowExecutionAlreadyStartedError') return false;
    throw err;
  }
}

/**
 * Money posted but never listed: bank-days before this one with accepted payments and no
 * settlement are settled now, oldest first, within the bounds of unsettledBankDaysOf.
 */
async function sweepUnsettledDays(input: SettlementTriggerInput, businessDate: string): Promise<string[]> {
  if (!patched(PATCH_TRIGGER_SWEEPS_UNSETTLED)) return [];
  const { dates } = await unsettledBankDaysOf({ bankCode: input.bankCode, before: businessDate });
  const swept: string[] = [];
  for (const date of dates) {
    if (await startSettlementChild(input.bankCode, date, 'sweep', input.options)) swept.push(date);
  }
  if (swept.length > 0) log.warn('settled bank-days left unsettled', { bankCode: input.bankCode, dates: swept });
  return swept;
}

/**
 * Started daily by the bank's schedule at its cut-off (Asia/Almaty). Works out the business date
 * from the scheduled time (so a late, caught-up run settles the right day), does nothing on a
 * non-business day, waits if the bank's cut-off moved later than the schedule knows, and starts the
 * settlement with its business-key id. A settlement already started (by an operator) is left alone.
 */
export async function settlementTriggerWorkflow(input: SettlementTriggerInput): Promise<SettlementTriggerResult> {
  const scheduledAt = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME) ?? new Date();
  const info = await settlementTriggerInfo({ bankCode: input.bankCode, at: scheduledAt.toISOString() });
  const result = { bankCode: input.bankCode, businessDate: info.businessDate };
  if (!info.bankExists) return { ...result, outcome: 'unknown_bank' };
  // Also on a non-business day: a holiday declared after payments were posted to it is swept here.
  const swept = await sweepUnsettledDays(input, info.businessDate);
  const withSwept = swept.length > 0 ? { ...result, swept } : result;
  if (!info.isBusinessDay) return { ...withSwept, outcome: 'not_business_day' };
  const untilCutoffMs = Date.parse(info.cutoffAt) - Date.now();
  if (untilCutoffMs > 0) await sleep(untilCutoffMs);

  const workflowId = settlementWorkflowId(input.bankCode, info.businessDate);
  const started = await startSettlementChild(input.bankCode, info.businessDate, 'schedule', input.options);
  return { ...withSwept, outcome: started ? 'started' : 'already_started', workflowId };
}
