// The errors of the typed client functions, and reading Temporal client errors. Temporal errors are
// read by name, not instanceof: jest (and some bundlers) can load the SDK twice, and then instanceof
// fails across the two copies.
//
// A refused action is one error type, ActionError: a stable code from a table of domain/ (each code
// with its HTTP status and meaning), and a message that says what to do. One subclass per
// aggregate names where it came from; api/errors.ts answers any of them with the table's status.
import { isRejectionCode, type RejectionCode } from '../domain/payment-types';
import type { ErrorTable } from '../domain/error-table';
import { COMPLAINT_ERROR_CODES, type ComplaintErrorCode } from '../domain/complaint-types';
import { CORRECTION_ERROR_CODES, type CorrectionErrorCode } from '../domain/correction-types';
import { SETTLEMENT_ERROR_CODES, type SettlementErrorCode } from '../domain/settlement-errors';
import { PERIOD_ERROR_CODES, type PeriodErrorCode } from '../domain/period';
import { DECISION_ERROR_CODES, type DecisionErrorCode } from '../domain/decisions';

export function errorName(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : undefined;
}

/** Thrown when the SPC refuses an action for a business reason; `code` is stable, `status` is its HTTP status from the table. */
export class ActionError<C extends string = string> extends Error {
  readonly status: number;
  constructor(readonly code: C, message: string, table: ErrorTable<C>) {
    super(message || table[code].message);
    this.status = table[code].status;
  }
}

/** An ActionError subclass bound to one table, named for the aggregate (the name tests and logs show). */
function actionErrorOf<C extends string>(name: string, table: ErrorTable<C>) {
  return class extends ActionError<C> {
    override name = name;
    constructor(code: C, message: string) {
      super(code, message, table);
    }
  };
}

/** Thrown when a settlement action is refused (SETTLEMENT_ERROR_CODES). */
export const SettlementActionError = actionErrorOf<SettlementErrorCode>('SettlementActionError', SETTLEMENT_ERROR_CODES);
export type SettlementActionError = InstanceType<typeof SettlementActionError>;
/** Thrown when a correction action is refused (CORRECTION_ERROR_CODES). */
export const CorrectionActionError = actionErrorOf<CorrectionErrorCode>('CorrectionActionError', CORRECTION_ERROR_CODES);
export type CorrectionActionError = InstanceType<typeof CorrectionActionError>;
/** Thrown when a complaint action is refused (COMPLAINT_ERROR_CODES). */
export const ComplaintActionError = actionErrorOf<ComplaintErrorCode>('ComplaintActionError', COMPLAINT_ERROR_CODES);
export type ComplaintActionError = InstanceType<typeof ComplaintActionError>;

/** Thrown when a period close is refused (PERIOD_ERROR_CODES). */
export const PeriodActionError = actionErrorOf<PeriodErrorCode>('PeriodActionError', PERIOD_ERROR_CODES);
export type PeriodActionError = InstanceType<typeof PeriodActionError>;

/** Thrown when a decision on a proposal is refused before its workflow is asked (DECISION_ERROR_CODES). */
export const DecisionActionError = actionErrorOf<DecisionErrorCode>('DecisionActionError', DECISION_ERROR_CODES);
export type DecisionActionError = InstanceType<typeof DecisionActionError>;

/** How deep the cause chain is searched: the SDK wraps an ApplicationFailure in an update or workflow failure. */
const CAUSE_DEPTH_MAX = 6;

/** The typed ApplicationFailure inside a failed update or workflow whose type passes `isCode`. */
export function applicationFailureOf<C extends string>(err: unknown, isCode: (type: unknown) => type is C): { code: C; message: string } | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX && cur; depth++) {
    const c = cur as { name?: string; type?: string; message?: string; cause?: unknown };
    if (c.name === 'ApplicationFailure' && isCode(c.type)) return { code: c.type, message: c.message ?? c.type };
    cur = c.cause;
  }
  return undefined;
}

/** The business rejection inside a failed update or workflow, if that is what it is. */
export function rejectionOf(err: unknown): { code: RejectionCode; message: string } | undefined {
  return applicationFailureOf(err, isRejectionCode);
}
