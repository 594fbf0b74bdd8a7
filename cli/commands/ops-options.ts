// Options the operators' commands share: whole numbers, workflow kinds and statuses, and the
// selection of workflows (--bank, --date, --from/--to, --type, --workflow-id) that audit commands take.
import type { Command } from 'commander';
import { buildVisibilityQuery, EXECUTION_STATUSES, WORKFLOW_KINDS, type ExecutionStatusName, type WorkflowFilter, type WorkflowKind } from '../../audit';
import { CliError } from '../runtime';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function positiveInt(value: string, option: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`${option} must be a whole number from 1 to ${max}, got ${value}`);
  return n;
}

export function kindOption(value: string | undefined): WorkflowKind | undefined {
  if (value === undefined) return undefined;
  if (!(WORKFLOW_KINDS as string[]).includes(value)) throw new CliError(`--type must be one of ${WORKFLOW_KINDS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as WorkflowKind;
}

export function executionStatusOption(value: string | undefined): ExecutionStatusName | undefined {
  if (value === undefined) return undefined;
  const match = EXECUTION_STATUSES.find((s) => s.toLowerCase() === value.toLowerCase());
  if (!match) throw new CliError(`--execution-status must be one of ${EXECUTION_STATUSES.join(', ')}, got ${JSON.stringify(value)}`);
  return match;
}

export interface SelectionOpts {
  bank?: string;
  date?: string;
  from?: string;
  to?: string;
  type?: string;
  workflowId?: string[];
}

/** A visibility query for the options, or undefined when only workflow ids were given. */
export function selectionQuery(opts: SelectionOpts): string | undefined {
  const filter: WorkflowFilter = { type: kindOption(opts.type), bank: opts.bank, date: opts.date, from: opts.from, to: opts.to };
  const any = Object.values(filter).some((v) => v !== undefined);
  if (!any && opts.workflowId?.length) return undefined;
  if (!any) throw new CliError('select workflows: --bank, --date or --from/--to, --type, or --workflow-id (repeatable)');
  return buildVisibilityQuery(filter);
}

export const selectionOptions = (cmd: Command) =>
  cmd
    .option('--bank <code>', 'bank code')
    .option('--date <yyyy-mm-dd>', 'one business date')
    .option('--from <yyyy-mm-dd>', 'business dates from (inclusive)')
    .option('--to <yyyy-mm-dd>', 'business dates to (inclusive)')
    .option('--type <type>', `workflow kind: ${WORKFLOW_KINDS.join(' | ')}`)
    .option('--workflow-id <id>', 'a workflow id (repeatable), e.g. payment:HSBK:ref-1', collect);
