// Operators' and auditors' commands: workflows list, calendar list|add-holiday|add-workday,
// audit export|replay|ledger|archive. Calendar edits are operator actions: refused without an
// operator name and recorded in operator_audit, refusals included.
import type { Command } from 'commander';
import type { Runtime } from '../runtime';
import { registerWorkflowCommands } from './ops-workflows';
import { registerCalendarCommands } from './ops-calendar';
import { registerAuditCommands } from './ops-audit';

/** Kept importable from here for their callers. */
export { replayReason } from './ops-audit-report';
export { uiListUrl, workflowRow, WORKFLOWS_LIST_DEFAULT_LIMIT, WORKFLOWS_LIST_LIMIT_MAX, type WorkflowRow } from './ops-workflows';

export function registerOpsCommands(program: Command, rt: Runtime): void {
  registerWorkflowCommands(program, rt);
  registerCalendarCommands(program, rt);
  registerAuditCommands(program, rt);
}
