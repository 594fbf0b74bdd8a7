// Four eyes on a period close (issue 18): the close, proposed by one person (or by 'spc' for the
// schedule), waits until a second person with an approving role decides it. Same rules as a
// correction (domain/operator-roles.ts fourEyesRefusal): the proposer may not decide, 'spc' decides
// nothing, an approver is a supervisor or an admin. Every proposal, decision and refused attempt is
// recorded in operator_audit; a refused attempt fails the update and the close goes on waiting.
import { ApplicationFailure, condition, defineQuery, defineUpdate, log, proxyActivities, setHandler, upsertMemo } from '@temporalio/workflow';
import type { PeriodApprovalActivities } from '../activities/period-approval';
import { OPERATOR_NAME_RE } from '../domain/correction-types';
import { fourEyesRefusal } from '../domain/operator-roles';
import { closeProposer, type PeriodApproval, type PeriodDecideArgs } from '../domain/period-approval';
import type { PeriodErrorCode } from '../domain/period';
import { retryPolicy } from './retry';

export const periodApprovalQuery = defineQuery<PeriodApproval>('approval');
export const decidePeriodCloseUpdate = defineUpdate<PeriodApproval, [PeriodDecideArgs]>('decide');

/** A close nobody decides is flagged again this often. */
export const DEFAULT_CLOSE_REMINDER_MS = 4 * 60 * 60_000;
const NOTE_CHARS_MAX = 500;

const { recordPeriodStep } = proxyActivities<PeriodApprovalActivities>({ startToCloseTimeout: '1 minute', retry: retryPolicy });

function refuse(code: PeriodErrorCode, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true });
}

interface CloseInput {
  period: string;
  startedBy: string;
  options?: { reminderIntervalMs?: number };
}

/** The approval's state and its query and update; registered on every close, old ones answer 'approved'. */
export function installApprovalHandlers(input: CloseInput): PeriodApproval {
  const state: PeriodApproval = { period: input.period, status: 'approved', proposedBy: closeProposer(input.startedBy), decision: null, refusals: [], reminders: 0 };
  let deciding = false;
  setHandler(periodApprovalQuery, () => state);
  setHandler(
    decidePeriodCloseUpdate,
    async ({ operator, role, approve, note }) => {
      const action = approve ? 'period.approve' : 'period.reject';
      const at = new Date().toISOString();
      const refusal = fourEyesRefusal({ decider: operator, approve, role, proposer: state.proposedBy });
      if (refusal) {
        state.refusals.push({ operator, code: refusal, at });
        await recordPeriodStep({ period: input.period, operator, action, outcome: `refused: ${refusal}` });
        throw refuse(refusal, `${operator} may not ${approve ? 'approve' : 'reject'} the close of ${input.period} proposed by ${state.proposedBy}: another supervisor or admin must decide it`);
      }
      deciding = true;
      try {
        const trimmed = typeof note === 'string' && note.trim() ? note.trim().slice(0, NOTE_CHARS_MAX) : null;
        await recordPeriodStep({ period: input.period, operator, action, outcome: 'ok', args: { note: trimmed, proposedBy: state.proposedBy } });
        state.decision = { operator, approve, note: trimmed, at };
        state.status = approve ? 'approved' : 'rejected';
        return state;
      } finally {
        deciding = false;
      }
    },
    {
      validator: (args) => {
        if (state.status !== 'awaiting' || deciding) throw refuse('NOT_AWAITING_APPROVAL', `the close of ${input.period} is ${state.status}: nothing waits for a decision`);
        if (typeof args?.operator !== 'string' || !OPERATOR_NAME_RE.test(args.operator)) throw refuse('INVALID_REQUEST', 'a decision needs the operator\'s name (1-64 letters, digits or . _ @ -)');
        if (typeof args.approve !== 'boolean') throw refuse('INVALID_REQUEST', 'a decision is { operator, approve: true | false, note? }');
      },
    },
  );
  return state;
}

/** Records the proposal and waits for a second person; a rejection fails the close. */
export async function awaitCloseApproval(state: PeriodApproval, input: CloseInput): Promise<void> {
  state.status = 'proposing';
  await recordPeriodStep({ period: input.period, operator: state.proposedBy, action: 'period.propose', outcome: 'ok', args: { startedBy: input.startedBy } });
  state.status = 'awaiting';
  upsertMemo({ closeProposedBy: state.proposedBy });
  const reminderMs = input.options?.reminderIntervalMs ?? DEFAULT_CLOSE_REMINDER_MS;
  while (!(await condition(() => state.status === 'approved' || state.status === 'rejected', reminderMs))) {
    state.reminders += 1;
    log.warn('period close waits for a second person', { period: input.period, reminders: state.reminders });
    upsertMemo({ closeReminders: state.reminders });
  }
  // Set by the decide handler while the loop waited.
  if ((state.status as PeriodApproval['status']) === 'rejected') {
    throw refuse('PERIOD_CLOSE_REJECTED', `the close of ${input.period} proposed by ${state.proposedBy} was rejected by ${state.decision?.operator}${state.decision?.note ? `: ${state.decision.note}` : ''}`);
  }
}
