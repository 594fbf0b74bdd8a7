// Wire types of the daily settlement: what its activities take and return, what its workflow
// answers to queries and updates. Everything here crosses a boundary (Temporal payloads, the HTTP
// API, the CLI's JSON), so amounts are decimal strings with two fraction digits and instants are
// ISO strings. Types only: workflow code imports this module with `import type`.
import type { SettlementErrorCode } from './settlement-errors';

/** Lifecycle of a bank-day's settlement; the same values as settlements.status in Postgres. */
export type SettlementStatus = 'closing' | 'discrepancy' | 'aggregated' | 'delivered' | 'overdue' | 'settled';

export interface WrittenBy {
  workflowId: string;
  runId: string;
}

/** One difference between what the bank declared in its register(s) and what the SPC posted. */
export interface Discrepancy {
  /**
   * payment_count/payment_total: the day's registers against the day's accepted payments.
   * register_count/register_total: a register that arrived after its own day closed, against the
   * payments it produced or linked, wherever they landed. register_row_withdrawn: a row counted
   * accepted whose payment is no longer accepted (cancelled, excluded).
   */
  kind: 'payment_count' | 'payment_total' | 'register_count' | 'register_total' | 'register_processing' | 'register_row_rejected' | 'register_row_withdrawn';
  registerId?: string;
  /** What the bank declared (count or amount, as a string). */
  declared?: string;
  /** What the SPC posted and still holds as accepted. */
  posted?: string;
  /** posted - declared. */
  difference?: string;
  bankRef?: string;
  code?: string;
  message?: string;
}

/** What the operator decided about a discrepancy: accept the day as posted, or exclude named payments. */
export type DiscrepancyDecision = { accept: true } | { excludeRefs: string[] };

export interface SettlementResolution {
  decision: 'accept' | 'exclude';
  excludedRefs: string[];
  operator: string;
  at: string;
}

export interface SettlementLineState {
  lineNo: number;
  providerId: string;
  amount: string;
  paymentCount: number;
  endToEndId: string;
  transferRef: string | null;
  confirmedAt: string | null;
  /** Present when the line nets corrections of earlier days in (signed sum, and the corrections' K<seq> references). */
  adjustment?: { amount: string; refs: string[] };
}

export type SettlementFileFormat = 'pain001' | 'csv';

export interface SettlementFileInfo {
  format: SettlementFileFormat;
  sha256: string;
  bytes: number;
}

export interface SettlementTimelineEntry {
  at: string;
  event: string;
  detail?: string;
}

export interface SettlementCounts {
  /** Every payment posted on the bank-day (accepted, cancelled or excluded). */
  payments: number;
  /** Payments reversed: cancelled by the bank or excluded at reconciliation. */
  reversals: number;
  /** payments - reversals: what the list pays out. */
  accepted: number;
  lines: number;
  confirmedLines: number;
}

export interface SettlementTotals {
  payments: string;
  reversals: string;
  /** payments - reversals (+ adjustments) = the sum of the lines. */
  net: string;
  /** Corrections of earlier days netted into the lines (signed); absent when none. */
  adjustments?: string;
  confirmed: string;
}

export interface SettlementDates {
  startedAt: string;
  closedAt?: string;
  aggregatedAt?: string;
  deliveredAt?: string;
  overdueAt?: string;
  settledAt?: string;
  /** Requested execution date of the transfers (the next business day). */
  executionDate?: string;
  /** Last business day for the bank's transfers (confirm_business_days after the business date). */
  confirmDueDate?: string;
  /** Instant the settlement turns overdue without a full confirmation. */
  confirmDeadlineAt?: string;
}

export interface WebhookState {
  /** 'refused': the push may not go (insecure URL, no signing secret); see `error`, not retried. */
  status: 'unknown' | 'not_configured' | 'pending' | 'delivered' | 'cancelled' | 'refused';
  url?: string;
  attempts?: number;
  deliveredAt?: string;
  error?: string;
}

export interface SettlementState {
  /** Business key of the settlement row: '<BANK>:<YYYY-MM-DD>'. */
  settlementId: string;
  workflowId: string;
  bankCode: string;
  businessDate: string;
  status: SettlementStatus;
  /** Operator name, or 'schedule'. */
  startedBy: string;
  counts: SettlementCounts;
  totals: SettlementTotals;
  /** What the bank declared for the day, when it sent a register. */
  register: { registerIds: string[]; declaredCount: number; declaredTotal: string } | null;
  discrepancies: Discrepancy[];
  resolution: SettlementResolution | null;
  /** Discrepancy reminders sent so far. */
  reminders: number;
  lines: SettlementLineState[];
  files: SettlementFileInfo[];
  webhook: WebhookState;
  dates: SettlementDates;
  timeline: SettlementTimelineEntry[];
}

/** Injectable timings, so tests run in seconds; production leaves them unset. */
export interface SettlementOptions {
  /** How often a waiting discrepancy is logged and flagged again (default 1 hour). */
  reminderIntervalMs?: number;
  /** Overrides the confirmation deadline: this long after delivery (default: end of the confirm due date). */
  confirmDeadlineMs?: number;
  /** Retry of the webhook push (defaults 10 s, x2, at most 10 min between attempts). */
  webhookRetry?: { initialIntervalMs?: number; maximumIntervalMs?: number; backoffCoefficient?: number };
}

export interface SettlementWorkflowInput {
  bankCode: string;
  businessDate: string;
  /** Operator name, or 'schedule'. */
  startedBy: string;
  options?: SettlementOptions;
}

export interface TransferConfirmation {
  /** The bank's reference of the transfer(s); for all lines when `lines` is omitted. */
  transferRef?: string;
  lines?: Array<{ lineNo: number; transferRef: string }>;
}

/** A refused business action: a stable code and a message that says what to do. */
export interface SettlementRefusal {
  ok: false;
  code: SettlementErrorCode;
  message: string;
}

/** Stable codes of refused settlement actions, with their HTTP status: the table in domain/settlement-errors.ts. */
export type { SettlementErrorCode } from './settlement-errors';

// ---- activity inputs and results ----------------------------------------------------------------

export interface BankDayRef {
  settlementId: string;
  bankCode: string;
  businessDate: string;
}

export interface CloseResult {
  closedAt: string;
  /** Status of the settlement row before this run (a re-run resumes where the database is). */
  priorStatus: SettlementStatus | null;
}

export interface ReconcileResult {
  /** What the SPC holds as accepted; only computed when there is a register to compare with. */
  accepted?: { count: number; total: string };
  register: SettlementState['register'];
  discrepancies: Discrepancy[];
}

export type ExcludeResult = { ok: true; excluded: string[]; alreadyExcluded: string[] } | SettlementRefusal;

export interface AggregateResult {
  counts: SettlementCounts;
  totals: SettlementTotals;
  lines: SettlementLineState[];
  aggregatedAt: string;
  executionDate: string;
  confirmDueDate: string;
  confirmDeadlineAt: string;
  msgId: string;
}

export interface FilesResult {
  files: SettlementFileInfo[];
  deliveredAt: string;
  /** Counted from delivery (confirmDueDateFor); absent in results recorded before that rule. */
  confirmDueDate?: string;
  confirmDeadlineAt?: string;
}

export type ConfirmLinesResult = { ok: true; lines: SettlementLineState[] } | SettlementRefusal;

export interface TriggerInfo {
  bankExists: boolean;
  businessDate: string;
  isBusinessDay: boolean;
  /** The bank's cut-off on that date, as an instant. */
  cutoffAt: string;
}
