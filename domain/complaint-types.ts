// Complaints: dispositions (BBPS-style codes), their deadlines, states and wire types. Imported by
// workflow code: pure, no I/O. The deadlines are configured here, in one place (and may be
// overridden per deployment with SPC_COMPLAINT_DEADLINES, read in infra/config.ts).
import { isCodeIn } from './error-table';
import { BANK_REF_RE } from './payment-types';

/** Disposition codes a complaint is raised with, what each means, and its deadline in business days. */
export const COMPLAINT_DISPOSITIONS = {
  DUPLICATE_PAYMENT: { deadlineBusinessDays: 3, description: 'the payer paid the same invoice twice (same account and amount, close in time)' },
  WRONG_ACCOUNT: { deadlineBusinessDays: 5, description: 'the payment went to the wrong personal account (a typo at the counter)' },
  WRONG_SERVICE: { deadlineBusinessDays: 5, description: 'the payment was split over the wrong services (the payer meant water, not electricity)' },
  WRONG_AMOUNT: { deadlineBusinessDays: 5, description: 'the amount posted differs from what the payer paid' },
  PAYMENT_NOT_POSTED: { deadlineBusinessDays: 3, description: 'the payer paid but the payment does not show on the invoice' },
  REFUND_REQUEST: { deadlineBusinessDays: 7, description: 'the payer asks for the money back' },
  OTHER: { deadlineBusinessDays: 10, description: 'anything else; say what in the text' },
  TRANSFER_NOT_RECEIVED: {
    deadlineBusinessDays: 5,
    description: 'the bank confirmed its list line as transferred, the provider has not reported it received (issue 19); raised by the SPC only',
  },
} as const;
export type Disposition = keyof typeof COMPLAINT_DISPOSITIONS;
export const DISPOSITIONS = Object.keys(COMPLAINT_DISPOSITIONS) as Disposition[];
/** Raised by the SPC itself (client/transfer-cases.ts), never by a bank through the API. */
export const SPC_ONLY_DISPOSITIONS: readonly Disposition[] = ['TRANSFER_NOT_RECEIVED'];
/** What a bank may raise. */
export const BANK_DISPOSITIONS = DISPOSITIONS.filter((d) => !SPC_ONLY_DISPOSITIONS.includes(d));

export function isDisposition(value: unknown): value is Disposition {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(COMPLAINT_DISPOSITIONS, value);
}

/** open → assigned → resolved → closed; escalated when the deadline passes before a resolution. */
export type ComplaintStatus = 'open' | 'assigned' | 'resolved' | 'closed' | 'escalated';

export const COMPLAINT_TEXT_CHARS_MAX = 2000;
/**
 * PAYMENT_NOT_POSTED complaints one bank may raise per Almaty calendar day (SPC_NOT_POSTED_COMPLAINTS_PER_DAY_MAX).
 * They name no payment the SPC holds, so nothing else bounds them: without a cap a bank (or a
 * stolen key) could fill the back office's queue. 200 is far above a bad day at a large bank.
 */
export const NOT_POSTED_COMPLAINTS_PER_DAY_DEFAULT = 200;
/** A resolved complaint closes by itself after this long unless someone closes it earlier. */
export const CLOSE_AFTER_DEFAULT_MS = 7 * 24 * 60 * 60_000;

/** Stable codes of refused complaint actions, with the HTTP status the bank API answers them with. */
export const COMPLAINT_ERROR_CODES = {
  INVALID_REQUEST: { status: 422, message: 'the complaint request is malformed' },
  PAYMENT_NOT_FOUND: { status: 404, message: 'no payment with this bank reference (use PAYMENT_NOT_POSTED when the SPC has none)' },
  COMPLAINT_NOT_FOUND: { status: 404, message: 'no complaint with this id for this bank' },
  INVALID_TRANSITION: { status: 409, message: 'the complaint is not in a state that allows this step' },
  CORRECTION_NOT_FOUND: { status: 409, message: 'the correction named as the resolution does not exist or is not applied' },
  COMPLAINT_LIMIT: { status: 429, message: 'the bank raised as many PAYMENT_NOT_POSTED complaints today as one bank may: raise more tomorrow, or call the back office' },
} as const;
export type ComplaintErrorCode = keyof typeof COMPLAINT_ERROR_CODES;

export function isComplaintErrorCode(value: unknown): value is ComplaintErrorCode {
  return isCodeIn(COMPLAINT_ERROR_CODES, value);
}

/** '<BANK>:<bankRef>:<DISPOSITION>': one complaint per payment and disposition, so a repeated POST finds the first. */
export function complaintId(bankCode: string, bankRef: string, disposition: Disposition): string {
  return `${bankCode}:${bankRef}:${disposition}`;
}

/** The shape complaintId gives: a bank code, a bank reference and a disposition code. */
export const COMPLAINT_ID_RE = new RegExp(`^[A-Z]{4}:${BANK_REF_RE.source.slice(1, -1)}:[A-Z_]{1,32}$`);

export function complaintWorkflowId(id: string): string {
  return `complaint:${id}`;
}

export interface ComplaintOptions {
  /** Overrides the deadline: this long after the complaint is raised (tests). */
  deadlineMs?: number;
  /** How long a resolved complaint waits for someone to close it (default 7 days). */
  closeAfterMs?: number;
}

export interface ComplaintInput {
  complaintId: string;
  bankCode: string;
  bankRef: string;
  disposition: Disposition;
  text: string;
  /** 'bank:<CODE>' for the API, or the operator's name. */
  raisedBy: string;
  options?: ComplaintOptions;
}

export type ComplaintResolution = { kind: 'correction'; correctionId: string; by: string; at: string } | { kind: 'explanation'; text: string; by: string; at: string };

export interface AssignArgs {
  operator: string;
  /** Default: the operator who assigns. */
  assignee?: string;
}

export interface ResolveComplaintArgs {
  operator: string;
  correctionId?: string;
  explanation?: string;
}

export interface CloseArgs {
  operator: string;
}

export interface ComplaintState {
  complaintId: string;
  workflowId: string;
  bankCode: string;
  bankRef: string;
  disposition: Disposition;
  status: ComplaintStatus | 'opening';
  assignee: string | null;
  deadlineAt: string | null;
  escalatedAt: string | null;
  twinBankRef: string | null;
  /** The refund the SPC proposed for a duplicate payment, waiting for an operator's approval. */
  proposedCorrectionId: string | null;
  resolution: ComplaintResolution | null;
  version: number;
}
