// Approve and reject on /ops (four eyes on a correction or a period close): the session's operator
// decides through client/decisions.ts `decide`, the same function as `spc correction approve|reject`
// and `spc period approve|reject`, so the roles, four eyes, the reason a reject needs and the
// operator_audit lines are one rule. The decider is the session's, never a name from the form; a
// refusal answers its code with the status of its table (api/errors.ts).
import { decide, type DecisionResult, type DecisionSubject } from '../client/decisions';
import type { OpsActionDeps } from './ops-actions';
import type { OpsSession } from './ops-auth';

/** What the page shows after a decision. */
export interface OpsDecisionAnswer {
  kind: DecisionSubject['kind'];
  id: string;
  ref: string | null;
  approve: boolean;
  status: string;
}

function answerOf(result: DecisionResult, approve: boolean): OpsDecisionAnswer {
  if (result.kind === 'period') return { kind: 'period', id: result.approval.period, ref: null, approve, status: result.approval.status };
  const c = result.correction;
  return { kind: 'correction', id: c.correctionId, ref: c.ref ?? null, approve, status: c.status };
}

/** Decides `subject` as the signed-in operator; `reason` is a reject's reason or an approve's note. */
export async function decideOnOps(deps: OpsActionDeps, session: OpsSession, subject: DecisionSubject, approve: boolean, reason: unknown): Promise<OpsDecisionAnswer> {
  const decider = { id: session.id, role: session.role, displayName: session.displayName };
  // A field that is not text (a JSON number or object) is no reason: empty, so a reject is REASON_REQUIRED.
  const note = typeof reason === 'string' ? reason : reason === undefined ? undefined : '';
  return answerOf(await decide(deps, { subject, approve, note, decider }), approve);
}
