// One complaint, id `complaint:<BANK>:<bankRef>:<DISPOSITION>`.
//
//   open ──assign──▶ assigned ──resolve (a correction or an explanation)──▶ resolved ──close──▶ closed
//     └──────────── the deadline passes first ──▶ escalated ──assign/resolve──▶ ...
//
// A duplicate-payment complaint finds its candidate twin at once and proposes the refund of the
// later payment as a correction (a child workflow, proposed by the SPC itself: an operator
// approves it, four eyes). When that correction is applied the complaint is resolved with it.
// Every step writes the complaints row (the read model) and pushes the new version to the bank's
// webhook in the background.
import {
  ApplicationFailure, type ChildWorkflowHandle, ParentClosePolicy, allHandlersFinished, condition, defineQuery, defineUpdate, proxyActivities, proxyLocalActivities,
  patched, setHandler, startChild, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { ComplaintActivities, OpenResult, StepInput } from '../activities/complaint';
import { OPERATOR_NAME_RE, SYSTEM_OPERATOR, correctionWorkflowId, type CorrectionState } from '../domain/correction-types';
import {
  COMPLAINT_TEXT_CHARS_MAX, CLOSE_AFTER_DEFAULT_MS, type AssignArgs, type CloseArgs, type ComplaintErrorCode, type ComplaintInput, type ComplaintState,
  type ResolveComplaintArgs,
} from '../domain/complaint-types';
import { BANK_CODE } from '../domain/search-attributes';
import { correctionWorkflow } from './correction';
import { correctionProposedSignal } from './complaint-signals';
import { CASE_STEP_TIMEOUT, localStepOptions } from './activity-options';

export const complaintStateQuery = defineQuery<ComplaintState>('state');
export const assignComplaintUpdate = defineUpdate<ComplaintState, [AssignArgs]>('assign');
export const resolveComplaintUpdate = defineUpdate<ComplaintState, [ResolveComplaintArgs]>('resolve');
export const closeComplaintUpdate = defineUpdate<ComplaintState, [CloseArgs]>('close');

/** Webhook pushes of one version: backoff to 10 minutes, then give up (a newer version supersedes it anyway). */
export const COMPLAINT_WEBHOOK_ATTEMPTS_MAX = 30;

const { openComplaint, recordComplaintStep, correctionApplied } = proxyLocalActivities<ComplaintActivities>(localStepOptions(CASE_STEP_TIMEOUT));
const { deliverComplaintWebhook } = proxyActivities<ComplaintActivities>({
  startToCloseTimeout: CASE_STEP_TIMEOUT,
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: COMPLAINT_WEBHOOK_ATTEMPTS_MAX },
});

function refuse(code: ComplaintErrorCode, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

function checkOperator(operator: unknown): void {
  if (typeof operator !== 'string' || !OPERATOR_NAME_RE.test(operator)) throw refuse('INVALID_REQUEST', 'an operator step needs the operator\'s name (1-64 letters, digits or . _ @ -)');
}

/** One run of the complaint: its state and the acts its handlers and steps share. */
interface ComplaintRun {
  readonly input: ComplaintInput;
  readonly state: ComplaintState;
  /** Webhook pushes in the background; the workflow waits for them before it returns. */
  readonly deliveries: Array<Promise<unknown>>;
  now(): string;
  /** The complaint can still be assigned or resolved. */
  open(): boolean;
  /** A handler or step is running: the next waits (steps write versions in order). */
  busy(): boolean;
  /** Writes one step (versioned) and pushes the new version to the bank. */
  step(s: Omit<StepInput, 'complaintId' | 'version'>): Promise<void>;
  /** Runs `work` when no other handler or step runs. */
  serial<T>(work: () => Promise<T>): Promise<T>;
  /** Pushes the current version to the bank's webhook in the background. */
  push(version: number): void;
}

const settledOrDone = (p: Promise<unknown>) => p.then(() => undefined, () => undefined);

function startRun(input: ComplaintInput): ComplaintRun {
  const info = workflowInfo();
  const state: ComplaintState = {
    complaintId: input.complaintId, workflowId: info.workflowId, bankCode: input.bankCode, bankRef: input.bankRef, disposition: input.disposition,
    status: 'opening', assignee: null, deadlineAt: null, escalatedAt: null, twinBankRef: null, proposedCorrectionId: null, resolution: null, version: 1,
  };
  const deliveries: Array<Promise<unknown>> = [];
  let busy = false;
  const push = (version: number) => deliveries.push(settledOrDone(deliverComplaintWebhook({ complaintId: state.complaintId, version })));
  return {
    input,
    state,
    deliveries,
    now: () => new Date().toISOString(),
    open: () => ['open', 'assigned', 'escalated'].includes(state.status),
    busy: () => busy,
    push,
    async step(s: Omit<StepInput, 'complaintId' | 'version'>): Promise<void> {
      const version = state.version + 1;
      await recordComplaintStep({ ...s, complaintId: state.complaintId, version });
      state.version = version;
      if (s.status) state.status = s.status;
      push(version);
    },
    async serial<T>(work: () => Promise<T>): Promise<T> {
      await condition(() => !busy);
      busy = true;
      try {
        return await work();
      } finally {
        busy = false;
      }
    },
  };
}

function checkAssign(run: ComplaintRun, { operator, assignee }: AssignArgs): void {
  checkOperator(operator);
  if (assignee !== undefined) checkOperator(assignee);
  if (!run.open()) throw refuse('INVALID_TRANSITION', `complaint ${run.state.complaintId} is ${run.state.status}: it can no longer be assigned`);
}

function checkResolve(run: ComplaintRun, { operator, correctionId, explanation }: ResolveComplaintArgs): void {
  checkOperator(operator);
  if (!run.open()) throw refuse('INVALID_TRANSITION', `complaint ${run.state.complaintId} is ${run.state.status}: it is resolved already`);
  const byCorrection = typeof correctionId === 'string' && correctionId.length > 0;
  const byText = typeof explanation === 'string' && explanation.trim().length > 0 && explanation.length <= COMPLAINT_TEXT_CHARS_MAX;
  if (byCorrection === byText) throw refuse('INVALID_REQUEST', `resolve with either correctionId or an explanation (1-${COMPLAINT_TEXT_CHARS_MAX} characters)`);
}

function checkClose(run: ComplaintRun, { operator }: CloseArgs): void {
  checkOperator(operator);
  if (run.state.status !== 'resolved') throw refuse('INVALID_TRANSITION', `complaint ${run.state.complaintId} is ${run.state.status}: only a resolved complaint can be closed`);
}

async function assign(run: ComplaintRun, { operator, assignee }: AssignArgs): Promise<ComplaintState> {
  const { state } = run;
  const to = assignee ?? operator;
  state.assignee = to;
  // An escalated complaint stays escalated (it is late) until it is resolved.
  await run.step({ event: 'assign', by: operator, assignee: to, status: state.status === 'escalated' ? 'escalated' : 'assigned' });
  return state;
}

async function resolve(run: ComplaintRun, { operator, correctionId, explanation }: ResolveComplaintArgs): Promise<ComplaintState> {
  const { state } = run;
  if (correctionId !== undefined && !(await correctionApplied({ correctionId }))) {
    throw refuse('CORRECTION_NOT_FOUND', `correction ${correctionId} does not exist or is not applied yet: approve it first, or resolve with an explanation`);
  }
  if (!run.open()) throw refuse('INVALID_TRANSITION', `complaint ${state.complaintId} is ${state.status}`);
  state.resolution = correctionId !== undefined ? { kind: 'correction', correctionId, by: operator, at: run.now() } : { kind: 'explanation', text: String(explanation), by: operator, at: run.now() };
  await run.step({ event: 'resolve', by: operator, status: 'resolved', resolution: state.resolution });
  return state;
}

async function close(run: ComplaintRun, { operator }: CloseArgs): Promise<ComplaintState> {
  if (run.state.status !== 'resolved') throw refuse('INVALID_TRANSITION', `complaint ${run.state.complaintId} is ${run.state.status}`);
  await run.step({ event: 'close', by: operator, status: 'closed' });
  return run.state;
}

/** An operator proposed a correction for this complaint (correctionWorkflow signals it); a late or repeated signal changes nothing. */
async function linkCorrection(run: ComplaintRun, { correctionId, by }: { correctionId: string; by: string }): Promise<void> {
  const { state } = run;
  if (!run.open() || typeof correctionId !== 'string' || state.proposedCorrectionId === correctionId) return;
  state.proposedCorrectionId = correctionId;
  await run.step({ event: 'link_correction', by, proposedCorrectionId: correctionId });
}

function installHandlers(run: ComplaintRun): void {
  setHandler(complaintStateQuery, () => run.state);
  setHandler(assignComplaintUpdate, (args) => run.serial(() => assign(run, args)), { validator: (args) => checkAssign(run, args) });
  setHandler(resolveComplaintUpdate, (args) => run.serial(() => resolve(run, args)), { validator: (args) => checkResolve(run, args) });
  setHandler(closeComplaintUpdate, (args) => run.serial(() => close(run, args)), { validator: (args) => checkClose(run, args) });
  setHandler(correctionProposedSignal, (args) => run.serial(() => linkCorrection(run, args)));
}

type Twin = NonNullable<OpenResult['twin']>;

const REFUND_NAMES_COMPLAINANT_PATCH = 'refund-names-complainant';

/** Starts the refund of the later payment as a correction the SPC proposes; undefined when an operator's is already running. */
async function startRefundCorrection(input: ComplaintInput, twin: Twin, correctionId: string): Promise<ChildWorkflowHandle<typeof correctionWorkflow> | undefined> {
  try {
    return await startChild(correctionWorkflow, {
      workflowId: correctionId,
      args: [{
        correctionId, bankCode: input.bankCode, bankRef: twin.refundBankRef, n: twin.nextCorrectionN, kind: 'refund', target: {},
        reason: `duplicate of ${twin.refundBankRef === input.bankRef ? twin.twinBankRef : input.bankRef} (complaint ${input.complaintId})`,
        proposedBy: SYSTEM_OPERATOR, complaintId: input.complaintId,
        // Four eyes: whoever raised the complaint does not approve its refund (issue 16 item 6).
        ...(patched(REFUND_NAMES_COMPLAINANT_PATCH) ? { complaintRaisedBy: input.raisedBy } : {}),
      }],
      // The correction is the operators' to decide; it outlives a complaint closed meanwhile.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
  } catch (err) {
    // An operator started a correction of that payment in the same instant: leave it to them.
    if ((err as Error)?.name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    return undefined;
  }
}

/** The twin is found: propose refunding the later payment. The SPC proposes, an operator decides. */
async function proposeRefund(run: ComplaintRun, twin: Twin): Promise<void> {
  const { input, state } = run;
  state.twinBankRef = twin.twinBankRef;
  const correctionId = correctionWorkflowId(input.bankCode, twin.refundBankRef, twin.nextCorrectionN);
  const child = await startRefundCorrection(input, twin, correctionId);
  if (child) {
    state.proposedCorrectionId = correctionId;
    await run.step({ event: 'propose_refund', by: SYSTEM_OPERATOR, proposedCorrectionId: correctionId });
  }
  void child?.result().then(
    (c: CorrectionState) => {
      if (c.status !== 'applied') return;
      void run.serial(async () => {
        if (!run.open()) return;
        state.resolution = { kind: 'correction', correctionId, by: c.decision?.operator ?? SYSTEM_OPERATOR, at: run.now() };
        await run.step({ event: 'resolve', by: c.decision?.operator ?? SYSTEM_OPERATOR, status: 'resolved', resolution: state.resolution });
      });
    },
    () => undefined, // a refused proposal leaves the complaint to the operators
  );
}

/** Waits for a resolution; past the deadline the complaint is escalated, and still waits. */
async function awaitResolution(run: ComplaintRun, deadlineAt: string): Promise<void> {
  const { state } = run;
  const untilDeadlineMs = Math.max(1, Date.parse(deadlineAt) - Date.now());
  if (await condition(() => !run.open() && !run.busy(), untilDeadlineMs)) return;
  await run.serial(async () => {
    if (!run.open() || state.status === 'escalated') return;
    state.escalatedAt = run.now();
    await run.step({ event: 'escalate', by: SYSTEM_OPERATOR, status: 'escalated', escalated: true });
  });
  await condition(() => !run.open() && !run.busy());
}

export async function complaintWorkflow(input: ComplaintInput): Promise<ComplaintState> {
  const run = startRun(input);
  const { state } = run;
  const info = workflowInfo();
  installHandlers(run);

  upsertSearchAttributes([{ key: BANK_CODE, value: input.bankCode }]);
  const opened = await openComplaint({ ...input, writtenBy: { workflowId: info.workflowId, runId: info.runId } });
  state.deadlineAt = opened.deadlineAt;
  state.version = opened.version;
  state.status = 'open';
  run.push(state.version);

  if (opened.twin) await proposeRefund(run, opened.twin);
  await awaitResolution(run, opened.deadlineAt);
  if ((state.status as ComplaintState['status']) === 'resolved') {
    const closed = await condition(() => state.status === 'closed' && !run.busy(), input.options?.closeAfterMs ?? CLOSE_AFTER_DEFAULT_MS);
    if (!closed) await run.serial(() => run.step({ event: 'close', by: SYSTEM_OPERATOR, status: 'closed' }));
  }
  await condition(allHandlersFinished);
  await Promise.all(run.deliveries);
  return state;
}
