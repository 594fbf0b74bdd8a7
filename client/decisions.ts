// The one way a person decides another's proposal, a correction or a period close: the CLI
// (`spc correction approve|reject`, `spc period approve|reject`) and the /ops page both call
// `decide`, so the rules cannot differ between the entrances:
// - the decider is an authenticated identity (the CLI's token, the /ops session), never a name from
//   a flag or a form; an auditor may not decide (OPERATOR_ROLE_FORBIDDEN);
// - a reject carries a reason, free text of 1-500 characters (REASON_REQUIRED);
// - four eyes (approver ≠ proposer, an approver is a supervisor or admin, 'spc' decides nothing) is
//   the workflow's update, which records its own refusals in operator_audit;
// - every other refusal is recorded here, so the trail shows each attempt, whichever entrance.
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { recordOperatorAction } from '../db/operator-audit';
import type { OperatorIdentity } from '../db/operators';
import { DECISION_NOTE_CHARS_MAX } from '../domain/decisions';
import { freeTextProblem } from '../domain/free-text';
import { ACTING_ROLES } from '../domain/operator-roles';
import type { PeriodApproval } from '../domain/period-approval';
import { CorrectionActionError, decideCorrection, resolveCorrectionId, type CorrectionState } from './corrections';
import { ActionError, DecisionActionError } from './errors';
import { decidePeriodClose } from './period-approval';

export interface DecisionContext {
  client: Client;
  taskQueue: string;
  db: Db;
}

/** What is decided: a correction by its workflow id or K<seq>, or a period's close by its month. */
export type DecisionSubject = { kind: 'correction'; ref: string } | { kind: 'period'; period: string };

export interface DecisionRequest {
  subject: DecisionSubject;
  approve: boolean;
  /** A reject's reason (required) or an approve's note (optional). */
  note?: string;
  /** The authenticated person deciding. */
  decider: OperatorIdentity;
}

export type DecisionResult = { kind: 'correction'; correction: CorrectionState } | { kind: 'period'; approval: PeriodApproval };

/** Refusals the workflows record in operator_audit themselves (fourEyesRefusal in the update). */
const WORKFLOW_RECORDED_CODES = new Set<string>(['SELF_APPROVAL', 'RESERVED_OPERATOR', 'COMPLAINANT_APPROVAL', 'ROLE_MAY_NOT_APPROVE']);

function argsOf(subject: DecisionSubject, correctionId?: string): Record<string, unknown> {
  return subject.kind === 'correction' ? { correctionId: correctionId ?? subject.ref } : { period: subject.period };
}

/** Why the decision is refused before the workflow is asked, or undefined. */
function checkDecision(req: DecisionRequest, action: string): ActionError | undefined {
  const { decider } = req;
  if (!ACTING_ROLES.includes(decider.role)) {
    return new DecisionActionError('OPERATOR_ROLE_FORBIDDEN', `${action} needs the role ${ACTING_ROLES.join(' or ')}; ${decider.id} is ${decider.role}`);
  }
  if (req.approve) return undefined;
  const problem = freeTextProblem(req.note, 'a reject\'s reason', DECISION_NOTE_CHARS_MAX);
  return problem ? new DecisionActionError('REASON_REQUIRED', problem) : undefined;
}

async function run(ctx: DecisionContext, req: DecisionRequest, correctionId: string | null): Promise<DecisionResult> {
  const decision = { operator: req.decider.id, role: req.decider.role, approve: req.approve, note: req.note };
  if (req.subject.kind === 'period') return { kind: 'period', approval: await decidePeriodClose(ctx, req.subject.period, decision) };
  if (!correctionId) throw new CorrectionActionError('CORRECTION_NOT_FOUND', `no correction ${req.subject.ref}`);
  return { kind: 'correction', correction: await decideCorrection(ctx, correctionId, decision) };
}

/**
 * Approves or rejects a proposal as `decider`; a refusal is an ActionError with its code (and is in
 * operator_audit, action `correction.approve|reject` or `period.approve|reject`).
 */
export async function decide(ctx: DecisionContext, req: DecisionRequest): Promise<DecisionResult> {
  const verb = req.approve ? 'approve' : 'reject';
  const action = `${req.subject.kind}.${verb}`;
  const correctionId = req.subject.kind === 'correction' ? await resolveCorrectionId(ctx.db, req.subject.ref) : null;
  const args = argsOf(req.subject, correctionId ?? undefined);
  const early = checkDecision(req, `${req.subject.kind} ${verb}`);
  if (early) {
    const extra = early.code === 'OPERATOR_ROLE_FORBIDDEN' ? { role: req.decider.role } : {};
    await recordOperatorAction(ctx.db, { operator: req.decider.id, action, args: { ...args, ...extra }, outcome: `refused: ${early.code}` });
    throw early;
  }
  try {
    return await run(ctx, req, correctionId);
  } catch (err) {
    if (!(err instanceof ActionError)) throw err;
    if (!WORKFLOW_RECORDED_CODES.has(err.code)) await recordOperatorAction(ctx.db, { operator: req.decider.id, action, args, outcome: `refused: ${err.code}` });
    throw err;
  }
}
