// The operator_audit entries of a period close's four eyes (workflows/period-approval.ts): the
// proposal, each decision and each refused attempt. A retried activity may record a line twice;
// the trail is of attempts, and the decision itself is the workflow's.
import type { ActivityDeps } from './deps';
import { recordOperatorAction } from '../db/operator-audit';

async function recordPeriodStep(deps: ActivityDeps, input: { period: string; operator: string; action: string; outcome: string; args?: Record<string, unknown> }): Promise<void> {
  await recordOperatorAction(deps.db, { operator: input.operator, action: input.action, args: { period: input.period, ...input.args }, outcome: input.outcome });
}

export function createPeriodApprovalActivities(deps: ActivityDeps) {
  return {
    recordPeriodStep: (input: Parameters<typeof recordPeriodStep>[1]) => recordPeriodStep(deps, input),
  };
}

export type PeriodApprovalActivities = ReturnType<typeof createPeriodApprovalActivities>;
