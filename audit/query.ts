// Temporal visibility queries over the SPC's search attributes. The string built here is what
// `spc workflows list` and `spc audit export` send to the server, and what they print: pasted
// into the Temporal Web UI's filter box it shows the same workflows.
// Pure: no I/O.
import { isBankCode } from '../domain/identifiers';
import { isRealDate } from '../domain/instant';

/** The SPC's workflow kinds and the workflow type names Temporal records for them. */
export const WORKFLOW_TYPES = {
  payment: 'paymentWorkflow',
  settlement: 'settlementWorkflow',
  register: 'registerWorkflow',
} as const;
export type WorkflowKind = keyof typeof WORKFLOW_TYPES;
export const WORKFLOW_KINDS = Object.keys(WORKFLOW_TYPES) as WorkflowKind[];

/** Temporal's execution statuses, as the visibility query language spells them. */
export const EXECUTION_STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew', 'TimedOut'] as const;
export type ExecutionStatusName = (typeof EXECUTION_STATUSES)[number];

export interface WorkflowFilter {
  type?: WorkflowKind;
  bank?: string;
  /** One business date (YYYY-MM-DD); exclusive with from/to. */
  date?: string;
  from?: string;
  to?: string;
  /** Business status: PaymentStatus for payments, SettlementStatus for settlements, either when no type is given. */
  status?: string;
  executionStatus?: ExecutionStatusName;
  workflowId?: string;
}

/** Thrown when a filter value cannot be put into a visibility query; the message names the option. */
export class InvalidFilterError extends Error {
  override name = 'CliError';
  constructor(message: string) {
    super(message);
  }
}

const STATUS_RE = /^[a-z][a-z_]{0,31}$/;
/** Workflow ids are business keys (payment:HSBK:ref): quotes and backslashes never occur in them. */
const WORKFLOW_ID_RE = /^[^'"\\\s]{1,1000}$/;

export function assertDate(value: string, option: string): string {
  if (!isRealDate(value)) throw new InvalidFilterError(`${option} must be a date as YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return value;
}

export function assertBank(value: string, option = '--bank'): string {
  if (!isBankCode(value)) throw new InvalidFilterError(`${option} must be a 4-letter bank code such as HSBK, got ${JSON.stringify(value)}`);
  return value;
}

const quote = (value: string) => `'${value}'`;

/**
 * Builds the visibility query of a filter: clauses joined by AND, in a fixed order, so the same
 * filter always prints the same string. An empty filter lists every SPC workflow type.
 */
export function buildVisibilityQuery(filter: WorkflowFilter): string {
  const clauses: string[] = [];
  if (filter.workflowId !== undefined) {
    if (!WORKFLOW_ID_RE.test(filter.workflowId)) throw new InvalidFilterError(`--workflow-id must not contain quotes, backslashes or spaces, got ${JSON.stringify(filter.workflowId)}`);
    clauses.push(`WorkflowId = ${quote(filter.workflowId)}`);
  }
  if (filter.type !== undefined) {
    const typeName = WORKFLOW_TYPES[filter.type];
    if (!typeName) throw new InvalidFilterError(`--type must be one of ${WORKFLOW_KINDS.join(', ')}, got ${JSON.stringify(filter.type)}`);
    clauses.push(`WorkflowType = ${quote(typeName)}`);
  } else if (filter.workflowId === undefined) {
    clauses.push(`WorkflowType IN (${Object.values(WORKFLOW_TYPES).map(quote).join(', ')})`);
  }
  if (filter.bank !== undefined) clauses.push(`BankCode = ${quote(assertBank(filter.bank))}`);
  if (filter.date !== undefined) {
    if (filter.from !== undefined || filter.to !== undefined) throw new InvalidFilterError('give either --date or --from/--to, not both');
    clauses.push(`BusinessDate = ${quote(assertDate(filter.date, '--date'))}`);
  }
  // BusinessDate is a Keyword holding YYYY-MM-DD, so string order is date order.
  if (filter.from !== undefined) clauses.push(`BusinessDate >= ${quote(assertDate(filter.from, '--from'))}`);
  if (filter.to !== undefined) clauses.push(`BusinessDate <= ${quote(assertDate(filter.to, '--to'))}`);
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) throw new InvalidFilterError(`--from ${filter.from} is after --to ${filter.to}`);
  if (filter.status !== undefined) {
    if (!STATUS_RE.test(filter.status)) throw new InvalidFilterError(`--status must be a lower-case status such as accepted or settled, got ${JSON.stringify(filter.status)}`);
    const s = quote(filter.status);
    if (filter.type === 'payment') clauses.push(`PaymentStatus = ${s}`);
    else if (filter.type === 'settlement') clauses.push(`SettlementStatus = ${s}`);
    else if (filter.type === 'register') throw new InvalidFilterError('--status filters payments and settlements; registers have no business status attribute: use --execution-status');
    else clauses.push(`(PaymentStatus = ${s} OR SettlementStatus = ${s})`);
  }
  if (filter.executionStatus !== undefined) {
    if (!EXECUTION_STATUSES.includes(filter.executionStatus)) throw new InvalidFilterError(`--execution-status must be one of ${EXECUTION_STATUSES.join(', ')}`);
    clauses.push(`ExecutionStatus = ${quote(filter.executionStatus)}`);
  }
  return clauses.join(' AND ');
}

/** The kind of a workflow type name, or undefined for a type that is not the SPC's. */
export function kindOfType(typeName: string): WorkflowKind | undefined {
  return WORKFLOW_KINDS.find((k) => WORKFLOW_TYPES[k] === typeName);
}
