// One correction of one payment, id `correction:<BANK>:<bankRef>:<n>` (the id is the idempotency
// key; the corrections row is the final guard).
//
//   proposing ──▶ proposed ──approve (another operator)──▶ applied
//                    │   └──reject──▶ rejected
//                    └── a reminder every reminderIntervalMs while nobody decides
//
// Four eyes: the proposer's own approval is refused with a typed, non-retryable SELF_APPROVAL
// failure (the update fails, the workflow goes on waiting) and recorded in operator_audit, as is
// every other step. Since FOUR_EYES_PATCH the proposer is compared case-insensitively, 'spc'
// decides nothing, the raiser of a complaint cannot approve the SPC's refund for it, and only a
// supervisor or an admin approves (domain/operator-roles.ts fourEyesRefusal). A refused proposal fails the workflow with its typed code.
import {
  ApplicationFailure, allHandlersFinished, condition, defineQuery, defineUpdate, getExternalWorkflowHandle, log, patched, proxyLocalActivities,
  setHandler, upsertMemo, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { CorrectionActivities } from '../activities/correction';
import {
  CORRECTION_ERROR_CODES, CORRECTION_KINDS, OPERATOR_NAME_RE, SYSTEM_OPERATOR, type CorrectionErrorCode, type CorrectionInput, type CorrectionState, type DecideArgs,
} from '../domain/correction-types';
import { complaintWorkflowId } from '../domain/complaint-types';
import { correctionProposedSignal } from './complaint-signals';
import { fourEyesRefusal } from '../domain/operator-roles';
import { BANK_CODE } from '../domain/search-attributes';
import { CASE_STEP_TIMEOUT, localStepOptions } from './activity-options';

export const correctionStateQuery = defineQuery<CorrectionState>('state');
export const decideCorrectionUpdate = defineUpdate<CorrectionState, [DecideArgs]>('decide');

/** A correction nobody decides is flagged again this often. */
export const CORRECTION_REMINDER_DEFAULT_MS = 4 * 60 * 60_000;
/** Four eyes between authenticated people (issue 16 item 6): case, 'spc', the complainant, the role. */
export const FOUR_EYES_PATCH = 'correction-four-eyes-identities';
const NOTE_CHARS_MAX = 500;

const { proposeCorrection, recordCorrectionStep, rejectCorrection, applyCorrection } = proxyLocalActivities<CorrectionActivities>(localStepOptions(CASE_STEP_TIMEOUT));

function refuse(code: CorrectionErrorCode, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

/**
 * An operator's correction for a complaint tells the complaint, which shows it to the bank. The
 * SPC's own (a duplicate's refund) is the complaint's child and already shown. A complaint that is
 * gone or finished does not hold the correction up.
 */
async function tellComplaint(input: CorrectionInput): Promise<void> {
  if (!input.complaintId || input.proposedBy === SYSTEM_OPERATOR) return;
  try {
    await getExternalWorkflowHandle(complaintWorkflowId(input.complaintId)).signal(correctionProposedSignal, { correctionId: input.correctionId, by: input.proposedBy });
  } catch (err) {
    log.warn('the complaint was not told of its correction', { complaintId: input.complaintId, correctionId: input.correctionId, error: String(err) });
  }
}

export async function correctionWorkflow(input: CorrectionInput): Promise<CorrectionState> {
  const info = workflowInfo();
  const writtenBy = { workflowId: info.workflowId, runId: info.runId };
  const now = () => new Date().toISOString();
  const state: CorrectionState = {
    correctionId: input.correctionId, ref: null, bankCode: input.bankCode, bankRef: input.bankRef, n: input.n, kind: input.kind,
    status: 'proposing', reason: input.reason, proposedBy: input.proposedBy, complaintId: input.complaintId ?? null,
    preview: null, decision: null, applied: null, reminders: 0, refusals: [],
  };
  let deciding = false;

  setHandler(correctionStateQuery, () => state);
  setHandler(
    decideCorrectionUpdate,
    async ({ operator, approve, note, role }) => {
      const refusal = patched(FOUR_EYES_PATCH)
        ? fourEyesRefusal({ decider: operator, approve, role, proposer: state.proposedBy, complaintRaisedBy: input.complaintRaisedBy })
        : operator === state.proposedBy ? 'SELF_APPROVAL' : undefined;
      if (refusal) {
        // Four eyes. Thrown from the handler (not the validator) so that the attempt is in the
        // history and in operator_audit; the workflow keeps waiting for another operator.
        state.refusals.push({ operator, code: refusal, at: now() });
        await recordCorrectionStep({ correctionId: state.correctionId, operator, action: approve ? 'correction.approve' : 'correction.reject', outcome: `refused: ${refusal}` });
        throw refuse(refusal, `${operator} may not ${approve ? 'approve' : 'reject'} correction ${state.correctionId} (${CORRECTION_ERROR_CODES[refusal].message}): another operator must decide it`);
      }
      deciding = true;
      try {
        const trimmed = typeof note === 'string' && note.trim() ? note.trim().slice(0, NOTE_CHARS_MAX) : null;
        if (approve) {
          const result = await applyCorrection({ correctionId: state.correctionId, operator, note: trimmed, writtenBy });
          if (!result.ok) {
            await rejectCorrection({ correctionId: state.correctionId, operator, note: `refused at apply: ${result.code}`, outcome: `refused: ${result.code}` });
            state.status = 'rejected';
            state.decision = { operator, approve: false, note: `refused at apply: ${result.code}: ${result.message}`, at: now() };
            throw refuse(result.code, result.message);
          }
          state.applied = result.applied;
          state.status = 'applied';
        } else {
          await rejectCorrection({ correctionId: state.correctionId, operator, note: trimmed });
          state.status = 'rejected';
        }
        state.decision ??= { operator, approve, note: trimmed, at: now() };
        return state;
      } finally {
        deciding = false;
      }
    },
    {
      validator: (args) => {
        if (state.status !== 'proposed' || deciding) throw refuse('NOT_AWAITING_DECISION', `correction ${state.correctionId} is ${state.status}: nothing waits for a decision`);
        if (typeof args?.operator !== 'string' || !OPERATOR_NAME_RE.test(args.operator)) throw refuse('INVALID_REQUEST', 'a decision needs the operator\'s name (1-64 letters, digits or . _ @ -)');
        if (typeof args.approve !== 'boolean') throw refuse('INVALID_REQUEST', 'a decision is { operator, approve: true | false, note? }');
      },
    },
  );

  upsertSearchAttributes([{ key: BANK_CODE, value: input.bankCode }]);
  if (!CORRECTION_KINDS.includes(input.kind)) throw refuse('INVALID_REQUEST', `kind must be one of ${CORRECTION_KINDS.join(', ')}`);

  const proposed = await proposeCorrection({ ...input, writtenBy });
  if (!proposed.ok) throw refuse(proposed.code, proposed.message);
  state.preview = proposed.preview;
  state.ref = proposed.preview.ref;
  state.status = 'proposed';
  upsertMemo({ correctionRef: state.ref, kind: input.kind, proposedBy: input.proposedBy });
  if (patched('correction-tells-complaint')) await tellComplaint(input);

  const reminderMs = input.options?.reminderIntervalMs ?? CORRECTION_REMINDER_DEFAULT_MS;
  while (!(await condition(() => state.status === 'applied' || state.status === 'rejected', reminderMs))) {
    state.reminders += 1;
    log.warn('correction waits for a second operator', { correctionId: state.correctionId, reminders: state.reminders });
    upsertMemo({ correctionReminders: state.reminders, lastReminderAt: now() });
  }
  await condition(allHandlersFinished);
  return state;
}
