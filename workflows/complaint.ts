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
  setHandler, startChild, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { ComplaintActivities, StepInput } from '../activities/complaint';
import { OPERATOR_NAME_RE, SYSTEM_OPERATOR, correctionWorkflowId, type CorrectionState } from '../domain/correction-types';
import {
  COMPLAINT_TEXT_CHARS_MAX, DEFAULT_CLOSE_AFTER_MS, type AssignArgs, type CloseArgs, type ComplaintErrorCode, type ComplaintInput, type ComplaintState,
  type ResolveComplaintArgs,
} from '../domain/complaint-types';
import { BANK_CODE } from '../domain/search-attributes';
import { correctionWorkflow } from './correction';
import { retryPolicy } from './retry';

export const complaintStateQuery = defineQuery<ComplaintState>('state');
export const assignComplaintUpdate = defineUpdate<ComplaintState, [AssignArgs]>('assign');
export const resolveComplaintUpdate = defineUpdate<ComplaintState, [ResolveComplaintArgs]>('resolve');
export const closeComplaintUpdate = defineUpdate<ComplaintState, [CloseArgs]>('close');

/** Webhook pushes of one version: backoff to 10 minutes, then give up (a newer version supersedes it anyway). */
export const COMPLAINT_WEBHOOK_ATTEMPTS_MAX = 30;

const { openComplaint, recordComplaintStep, correctionApplied } = proxyLocalActivities<ComplaintActivities>({
  startToCloseTimeout: '1 minute',
  localRetryThreshold: '10s',
  retry: retryPolicy,
});
const { deliverComplaintWebhook } = proxyActivities<ComplaintActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: COMPLAINT_WEBHOOK_ATTEMPTS_MAX },
});

function refuse(code: ComplaintErrorCode, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

function checkOperator(operator: unknown): void {
  if (typeof operator !== 'string' || !OPERATOR_NAME_RE.test(operator)) throw refuse('INVALID_REQUEST', 'an operator step needs the operator\'s name (1-64 letters, digits or . _ @ -)');
}

export async function complaintWorkflow(input: ComplaintInput): Promise<ComplaintState> {
  const info = workflowInfo();
  const now = () => new Date().toISOString();
  const state: ComplaintState = {
    complaintId: input.complaintId, workflowId: info.workflowId, bankCode: input.bankCode, bankRef: input.bankRef, disposition: input.disposition,
    status: 'opening', assignee: null, deadlineAt: null, escalatedAt: null, twinBankRef: null, proposedCorrectionId: null, resolution: null, version: 1,
  };
  const deliveries: Array<Promise<unknown>> = [];
  const settledOrDone = (p: Promise<unknown>) => p.then(() => undefined, () => undefined);

  /** Writes one step (versioned) and pushes the new version to the bank. */
  async function step(s: Omit<StepInput, 'complaintId' | 'version'>): Promise<void> {
    const version = state.version + 1;
    await recordComplaintStep({ ...s, complaintId: state.complaintId, version });
    state.version = version;
    if (s.status) state.status = s.status;
    deliveries.push(settledOrDone(deliverComplaintWebhook({ complaintId: state.complaintId, version })));
  }

  const open = () => ['open', 'assigned', 'escalated'].includes(state.status);
  let busy = false;
  async function serial<T>(work: () => Promise<T>): Promise<T> {
    await condition(() => !busy);
    busy = true;
    try {
      return await work();
    } finally {
      busy = false;
    }
  }

  setHandler(complaintStateQuery, () => state);
  setHandler(
    assignComplaintUpdate,
    ({ operator, assignee }) => serial(async () => {
      const to = assignee ?? operator;
      state.assignee = to;
      // An escalated complaint stays escalated (it is late) until it is resolved.
      await step({ event: 'assign', by: operator, assignee: to, status: state.status === 'escalated' ? 'escalated' : 'assigned' });
      return state;
    }),
    {
      validator: ({ operator, assignee }) => {
        checkOperator(operator);
        if (assignee !== undefined) checkOperator(assignee);
        if (!open()) throw refuse('INVALID_TRANSITION', `complaint ${state.complaintId} is ${state.status}: it can no longer be assigned`);
      },
    },
  );
  setHandler(
    resolveComplaintUpdate,
    ({ operator, correctionId, explanation }) => serial(async () => {
      if (correctionId !== undefined && !(await correctionApplied({ correctionId }))) {
        throw refuse('CORRECTION_NOT_FOUND', `correction ${correctionId} does not exist or is not applied yet: approve it first, or resolve with an explanation`);
      }
      if (!open()) throw refuse('INVALID_TRANSITION', `complaint ${state.complaintId} is ${state.status}`);
      state.resolution = correctionId !== undefined ? { kind: 'correction', correctionId, by: operator, at: now() } : { kind: 'explanation', text: String(explanation), by: operator, at: now() };
      await step({ event: 'resolve', by: operator, status: 'resolved', resolution: state.resolution });
      return state;
    }),
    {
      validator: ({ operator, correctionId, explanation }) => {
        checkOperator(operator);
        if (!open()) throw refuse('INVALID_TRANSITION', `complaint ${state.complaintId} is ${state.status}: it is resolved already`);
        const byCorrection = typeof correctionId === 'string' && correctionId.length > 0;
        const byText = typeof explanation === 'string' && explanation.trim().length > 0 && explanation.length <= COMPLAINT_TEXT_CHARS_MAX;
        if (byCorrection === byText) throw refuse('INVALID_REQUEST', `resolve with either correctionId or an explanation (1-${COMPLAINT_TEXT_CHARS_MAX} characters)`);
      },
    },
  );
  setHandler(
    closeComplaintUpdate,
    ({ operator }) => serial(async () => {
      if (state.status !== 'resolved') throw refuse('INVALID_TRANSITION', `complaint ${state.complaintId} is ${state.status}`);
      await step({ event: 'close', by: operator, status: 'closed' });
      return state;
    }),
    {
      validator: ({ operator }) => {
        checkOperator(operator);
        if (state.status !== 'resolved') throw refuse('INVALID_TRANSITION', `complaint ${state.complaintId} is ${state.status}: only a resolved complaint can be closed`);
      },
    },
  );

  upsertSearchAttributes([{ key: BANK_CODE, value: input.bankCode }]);
  const opened = await openComplaint({ ...input, writtenBy: { workflowId: info.workflowId, runId: info.runId } });
  state.deadlineAt = opened.deadlineAt;
  state.version = opened.version;
  state.status = 'open';
  deliveries.push(settledOrDone(deliverComplaintWebhook({ complaintId: state.complaintId, version: state.version })));

  if (opened.twin) {
    // The twin is found: propose refunding the later payment. The SPC proposes, an operator decides.
    state.twinBankRef = opened.twin.twinBankRef;
    const correctionId = correctionWorkflowId(input.bankCode, opened.twin.refundBankRef, opened.twin.nextCorrectionN);
    let child: ChildWorkflowHandle<typeof correctionWorkflow> | undefined;
    try {
      child = await startChild(correctionWorkflow, {
        workflowId: correctionId,
        args: [{
          correctionId, bankCode: input.bankCode, bankRef: opened.twin.refundBankRef, n: opened.twin.nextCorrectionN, kind: 'refund', target: {},
          reason: `duplicate of ${opened.twin.refundBankRef === input.bankRef ? opened.twin.twinBankRef : input.bankRef} (complaint ${input.complaintId})`,
          proposedBy: SYSTEM_OPERATOR, complaintId: input.complaintId,
        }],
        // The correction is the operators' to decide; it outlives a complaint closed meanwhile.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
    } catch (err) {
      // An operator started a correction of that payment in the same instant: leave it to them.
      if ((err as Error)?.name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
    if (child) {
      state.proposedCorrectionId = correctionId;
      await step({ event: 'propose_refund', by: SYSTEM_OPERATOR, proposedCorrectionId: correctionId });
    }
    void child?.result().then(
      (c: CorrectionState) => {
        if (c.status !== 'applied') return;
        void serial(async () => {
          if (!open()) return;
          state.resolution = { kind: 'correction', correctionId, by: c.decision?.operator ?? SYSTEM_OPERATOR, at: now() };
          await step({ event: 'resolve', by: c.decision?.operator ?? SYSTEM_OPERATOR, status: 'resolved', resolution: state.resolution });
        });
      },
      () => undefined, // a refused proposal leaves the complaint to the operators
    );
  }

  const untilDeadlineMs = Math.max(1, Date.parse(opened.deadlineAt) - Date.now());
  if (!(await condition(() => !open() && !busy, untilDeadlineMs))) {
    await serial(async () => {
      if (!open() || state.status === 'escalated') return;
      state.escalatedAt = now();
      await step({ event: 'escalate', by: SYSTEM_OPERATOR, status: 'escalated', escalated: true });
    });
    await condition(() => !open() && !busy);
  }
  if ((state.status as ComplaintState['status']) === 'resolved') {
    const closed = await condition(() => state.status === 'closed' && !busy, input.options?.closeAfterMs ?? DEFAULT_CLOSE_AFTER_MS);
    if (!closed) await serial(() => step({ event: 'close', by: SYSTEM_OPERATOR, status: 'closed' }));
  }
  await condition(allHandlersFinished);
  await Promise.all(deliveries);
  return state;
}
