// What a signed-in operator does on /ops (issue 16 item 6). Each action is the session's operator's,
// never a name from the request, is held to the roles of domain/operator-roles.ts (an auditor reads
// only) and is recorded in operator_audit, a refusal too.
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { recordOperatorAction } from '../db/operator-audit';
import { assignComplaint, ComplaintActionError } from '../client/complaints';
import { ACTING_ROLES, type OperatorRole } from '../domain/operator-roles';
import { ApiError } from './errors';
import type { OpsSession } from './ops-auth';

export interface OpsActionDeps {
  db: Db;
  client: Client;
  taskQueue: string;
}

/** Refuses (and records) an action the session's role may not do: 403 OPERATOR_ROLE_FORBIDDEN. */
export async function requireOpsRole(db: Db, session: OpsSession, action: string, args: Record<string, unknown>, roles: readonly OperatorRole[] = ACTING_ROLES): Promise<void> {
  if (roles.includes(session.role)) return;
  await recordOperatorAction(db, { operator: session.id, action, args: { ...args, role: session.role }, outcome: 'refused: OPERATOR_ROLE_FORBIDDEN' });
  throw new ApiError(403, 'OPERATOR_ROLE_FORBIDDEN', `${action} needs the role ${roles.join(' or ')}; ${session.id} is ${session.role}`);
}

/** Takes a complaint: assigns it to the signed-in operator. */
export async function takeComplaint(deps: OpsActionDeps, session: OpsSession, complaintId: string): Promise<{ id: string; assignee: string | null; status: string }> {
  const action = 'ops.complaint.take';
  await requireOpsRole(deps.db, session, action, { complaintId });
  try {
    const state = await assignComplaint(deps, complaintId, { operator: session.id });
    await recordOperatorAction(deps.db, { operator: session.id, action, args: { complaintId } });
    return { id: complaintId, assignee: state.assignee ?? null, status: state.status };
  } catch (err) {
    if (!(err instanceof ComplaintActionError)) throw err;
    await recordOperatorAction(deps.db, { operator: session.id, action, args: { complaintId }, outcome: `refused: ${err.code}` });
    throw new ApiError(err.code === 'COMPLAINT_NOT_FOUND' ? 404 : 409, err.code, err.message);
  }
}
