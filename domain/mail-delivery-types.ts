// The mail delivery of a period (issue 20 item 2): its id, and what its batches report. The
// workflow's history holds only these counts and times: never an address.
export function mailDeliveryWorkflowId(period: string): string {
  return `mail-delivery:${period}`;
}

/** Failure type when no SMTP relay is configured (SPC_SMTP_URL): not retried, an operator sets it. */
export const MAIL_RELAY_UNSET = 'MAIL_RELAY_UNSET';

export interface MailBatchResult {
  sent: number;
  failed: number;
  retrying: number;
  skipped: number;
  uncertain: number;
  /** Rows ready to send now remain. */
  more: boolean;
  /** When the earliest postponed row (a 4xx or a timeout) may be tried again; null when none waits. */
  nextAttemptAt: string | null;
}

export interface MailDeliverySummary {
  period: string;
  byState: Record<string, number>;
}
