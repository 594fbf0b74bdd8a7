// The pure rules of the settlement workflow: what a decision or a confirmation must look like, the
// state a settlement starts from, how lines and the timeline are kept. Deterministic and free of
// commands (no activities, timers or search attributes), so the workflow file holds only the order
// of its steps; a change here never changes a recorded history's command sequence.
import { ApplicationFailure } from '@temporalio/workflow';
import type {
  DiscrepancyDecision, SettlementErrorCode, SettlementLineState, SettlementOptions, SettlementState, SettlementWorkflowInput, TransferConfirmation,
} from '../domain/settlement-types';
import { BANK_REF_RE } from '../domain/payment-types';
import { settlementIdOf } from '../domain/identifiers';
import { sumTiynText } from '../domain/tiyn';

export interface ResolveArgs {
  decision: DiscrepancyDecision;
  operator: string;
}

export const REMINDER_INTERVAL_DEFAULT_MS = 60 * 60_000;
export const WEBHOOK_RETRY_DEFAULT = { initialIntervalMs: 10_000, maximumIntervalMs: 10 * 60_000, backoffCoefficient: 2 } as const;
/** Most payments one exclusion may name (the activity checks the same limit). */
export const DECISION_REFS_MAX = 1_000;
export const TRANSFER_REF_RE = /^[A-Za-z0-9._:/-]{1,64}$/;
const OPERATOR_RE = /^[\p{L}\p{N}._@-]{1,64}$/u;
/** A timeline longer than this keeps its first and last entries: the query result stays small. */
const TIMELINE_ENTRIES_MAX = 100;

/** A refused update: typed and non-retryable, so the client reads its code (domain/settlement-errors.ts). */
export function refuse(code: SettlementErrorCode, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

export function emptyState(input: SettlementWorkflowInput, workflowId: string, startedAt: string): SettlementState {
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

/** The webhook push's retry policy: the defaults, overridden by the injected options (tests). */
export function webhookRetry(options: SettlementOptions | undefined) {
  const r = { ...WEBHOOK_RETRY_DEFAULT, ...options?.webhookRetry };
  return { initialInterval: r.initialIntervalMs, maximumInterval: r.maximumIntervalMs, backoffCoefficient: r.backoffCoefficient };
}

/** Appends to the timeline; past TIMELINE_ENTRIES_MAX an entry from the middle goes. */
export function appendTimeline(state: SettlementState, at: string, event: string, detail?: string): void {
  state.timeline.push({ at, event, ...(detail ? { detail } : {}) });
  if (state.timeline.length > TIMELINE_ENTRIES_MAX) state.timeline.splice(TIMELINE_ENTRIES_MAX / 2, 1);
}

/** The lines as Postgres holds them, with the counts and the confirmed total that follow from them. */
export function applyLines(state: SettlementState, lines: SettlementLineState[]): void {
  state.lines = lines;
  const confirmed = lines.filter((l) => l.confirmedAt !== null);
  state.counts.lines = lines.length;
  state.counts.confirmedLines = confirmed.length;
  state.totals.confirmed = sumAmounts(confirmed.map((l) => l.amount));
}

export const allConfirmed = (state: SettlementState): boolean => state.lines.every((l) => l.confirmedAt !== null);

/** Exact, and no decimal library in the workflow bundle (domain/tiyn.ts). */
export function sumAmounts(amounts: string[]): string {
  return sumTiynText(amounts);
}

export function validateDecision(state: SettlementState, deciding: boolean, args: ResolveArgs): void {
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

/** The shape of a confirmation, before any line is looked at; throws a refusal. */
function checkConfirmationShape(state: SettlementState, c: TransferConfirmation): void {
  if (!['delivered', 'overdue', 'settled'].includes(state.status)) {
    throw refuse('NOT_AWAITING_CONFIRMATION', `settlement ${state.settlementId} is ${state.status}: its payment list has not gone out, there is nothing to confirm yet`);
  }
  if (typeof c !== 'object' || c === null) throw refuse('INVALID_REQUEST', 'a confirmation is { transferRef?, lines?: [{ lineNo, transferRef }] }');
  if (c.transferRef !== undefined && (typeof c.transferRef !== 'string' || !TRANSFER_REF_RE.test(c.transferRef))) {
    throw refuse('INVALID_REQUEST', 'transferRef must be 1-64 letters, digits or . _ : / -');
  }
}

/** The lines a confirmation confirms now (already confirmed ones with the same reference are skipped); throws a refusal. */
export function confirmationTargets(state: SettlementState, c: TransferConfirmation): Array<{ lineNo: number; transferRef: string | null }> {
  checkConfirmationShape(state, c);
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

/** A settlement row past reconciliation: a re-run skips the register comparison and the decision. */
export function isPastReconciliation(priorStatus: SettlementState['status'] | null): boolean {
  return priorStatus !== null && !['closing', 'discrepancy'].includes(priorStatus);
}
