// Wire types of corrections: what the correction workflow takes, answers and returns. Amounts are
// decimal strings. Imported by workflow code: pure, no I/O, no decimal library.
import type { Allocation, PaymentLineRequest } from './payment-types';
import { isCodeIn } from './error-table';

/** move: to another personal account; resplit: other services; refund: the bank returns the money to the payer. */
export const CORRECTION_KINDS = ['move', 'resplit', 'refund'] as const;
export type CorrectionKind = (typeof CORRECTION_KINDS)[number];

export type CorrectionStatus = 'proposed' | 'applied' | 'rejected';
/** reposted: reversal and replacement payment in the open bank-day; adjusted: carried to the bank's next list. */
export type CorrectionMode = 'reposted' | 'adjusted';

/** Stable codes of refused correction actions (ApplicationFailure types), with their HTTP status; API and CLI program against them. */
export const CORRECTION_ERROR_CODES = {
  INVALID_REQUEST: { status: 422, message: 'the correction request is malformed' },
  PAYMENT_NOT_FOUND: { status: 404, message: 'no accepted payment with this bank reference' },
  PAYMENT_NOT_CORRECTABLE: { status: 409, message: 'the payment was cancelled, excluded or refunded: there is nothing left to correct' },
  NOTHING_TO_CORRECT: { status: 422, message: 'the correction would leave the payment as it is' },
  SELF_APPROVAL: { status: 403, message: 'four eyes: the operator who proposed a correction cannot approve it' },
  RESERVED_OPERATOR: { status: 403, message: 'four eyes: "spc" is the SPC itself and decides nothing' },
  COMPLAINANT_APPROVAL: { status: 403, message: 'four eyes: the operator who raised the complaint cannot approve the SPC\'s refund for it' },
  ROLE_MAY_NOT_APPROVE: { status: 403, message: 'four eyes: only a supervisor or an admin approves a correction' },
  NOT_AWAITING_DECISION: { status: 409, message: 'the correction was already approved or rejected' },
  CORRECTION_NOT_FOUND: { status: 404, message: 'no correction with this id' },
  CORRECTION_STALE: { status: 409, message: 'the payment or its invoice changed since the correction was proposed: propose it again' },
  CORRECTION_LIMIT: { status: 409, message: 'the payment has as many corrections as one payment may have' },
  ACCOUNT_NOT_FOUND: { status: 422, message: 'the target personal account is not in the SPC database' },
  NO_INVOICE: { status: 422, message: 'the target personal account has no invoice' },
  UNKNOWN_SERVICE: { status: 422, message: 'a service of the new split is not on the invoice' },
  AMOUNT_MISMATCH: { status: 422, message: 'the new split does not sum to the payment amount' },
  NOTHING_DUE: { status: 422, message: 'nothing is due on the target invoice: give per-service amounts' },
  INVALID_AMOUNT: { status: 422, message: 'an amount of the new split is malformed' },
} as const;
export type CorrectionErrorCode = keyof typeof CORRECTION_ERROR_CODES;

export function isCorrectionErrorCode(value: unknown): value is CorrectionErrorCode {
  return isCodeIn(CORRECTION_ERROR_CODES, value);
}

/** Correction reason: required, short. */
export const CORRECTION_REASON_CHARS_MAX = 500;
/** Corrections of one payment: a payment corrected more often than this needs a person, not a form. */
export const CORRECTIONS_PER_PAYMENT_MAX = 20;
/**
 * Applied corrections of one payment, a chain each on what the previous left (before the close and
 * after it alike). Ten is far more than an honest payment needs; past it, the back office untangles
 * the payment by hand.
 */
export const CORRECTIONS_APPLIED_PER_PAYMENT_MAX = 10;
/** Operator names, as everywhere else (db/operator-audit.ts). */
export const OPERATOR_NAME_RE = /^[\p{L}\p{N}._@-]{1,64}$/u;
/** The proposer of corrections that the SPC itself finds (a duplicate-payment complaint's twin). */
export const SYSTEM_OPERATOR = 'spc';

export function correctionWorkflowId(bankCode: string, bankRef: string, n: number): string {
  return `correction:${bankCode}:${bankRef}:${n}`;
}

/** K<seq>: the correction's short reference, which fits an EndToEndId and a remittance text. */
export function correctionRef(seq: number | string): string {
  return `K${seq}`;
}

export interface CorrectionTarget {
  /** move: the personal account the payment belongs to. */
  account?: string;
  /** move (optional) and resplit (required): per-service amounts; without them a move is split as a payment is. */
  lines?: PaymentLineRequest[];
}

export interface CorrectionOptions {
  /** How often a waiting correction is flagged again (default 4 hours). */
  reminderIntervalMs?: number;
}

export interface CorrectionInput {
  correctionId: string;
  bankCode: string;
  bankRef: string;
  n: number;
  kind: CorrectionKind;
  target: CorrectionTarget;
  reason: string;
  proposedBy: string;
  complaintId?: string;
  /** Who raised the complaint an SPC proposal answers: they may not approve it (four eyes). */
  complaintRaisedBy?: string;
  options?: CorrectionOptions;
}

export interface DecideArgs {
  operator: string;
  approve: boolean;
  note?: string;
  /** The authenticated operator's role (domain/operator-roles.ts); approving needs supervisor or admin. */
  role?: string;
}

export interface CorrectionPreview {
  seq: string;
  ref: string;
  paymentId: string;
  amount: string;
  businessDate: string;
  accountFrom: string;
  accountTo: string | null;
  oldAllocations: Allocation[];
  /** The proposed split, stored with the proposal: the apply posts exactly this split, or refuses with CORRECTION_STALE. */
  newAllocations: Allocation[];
}

export interface AppliedCorrection {
  mode: CorrectionMode;
  appliedAt: string;
  businessDate: string;
  /** Replacement payment's bank reference (reposted move or resplit). */
  replacementRef: string | null;
  newAllocations: Allocation[];
  /** Per provider, signed: what the bank's next list carries (adjusted only). */
  adjustments: Array<{ provider: string; amount: string }>;
}

export interface CorrectionState {
  correctionId: string;
  ref: string | null;
  bankCode: string;
  bankRef: string;
  n: number;
  kind: CorrectionKind;
  status: CorrectionStatus | 'proposing';
  reason: string;
  proposedBy: string;
  complaintId: string | null;
  preview: CorrectionPreview | null;
  decision: { operator: string; approve: boolean; note: string | null; at: string } | null;
  applied: AppliedCorrection | null;
  reminders: number;
  refusals: Array<{ operator: string; code: CorrectionErrorCode; at: string }>;
}

export type CorrectionRefusal = { ok: false; code: CorrectionErrorCode; message: string };
