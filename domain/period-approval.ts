// Four eyes on a period close (issue 18): what the close's workflow answers about its approval, and
// what a decision carries. Pure: workflows/period.ts imports it.
import { SYSTEM_OPERATOR } from './correction-types';

/** proposing: the proposal is being recorded; awaiting: a second person may decide. */
export type PeriodApprovalStatus = 'proposing' | 'awaiting' | 'approved' | 'rejected';

export interface PeriodDecideArgs {
  operator: string;
  /** The decider's role, from their authenticated identity (the CLI, the /ops session). */
  role?: string;
  approve: boolean;
  note?: string;
}

export interface PeriodApproval {
  period: string;
  status: PeriodApprovalStatus;
  /** The proposer's operator id, or 'spc' for the monthly schedule. */
  proposedBy: string;
  decision: { operator: string; approve: boolean; note: string | null; at: string } | null;
  refusals: Array<{ operator: string; code: string; at: string }>;
  reminders: number;
}

/** The started-by the schedule's trigger gives (workflows/period-trigger.ts). */
export const SCHEDULE_STARTER = 'schedule';

/** Who proposed a close: the schedule proposes as the SPC itself, which decides nothing. */
export function closeProposer(startedBy: string): string {
  return startedBy === SCHEDULE_STARTER ? SYSTEM_OPERATOR : startedBy;
}
