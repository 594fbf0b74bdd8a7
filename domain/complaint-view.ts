// The one shape of a complaint that the bank API, the webhook, the CLI and /ops answer with, built
// from its complaints row (the read model the complaint workflow writes).
import type { ComplaintResolution, ComplaintStatus, Disposition } from '../domain/complaint-types';

export interface ComplaintView {
  id: string;
  bankCode: string;
  bankRef: string;
  disposition: Disposition;
  text: string;
  status: ComplaintStatus;
  raisedBy: string;
  assignee: string | null;
  twinBankRef: string | null;
  correctionId: string | null;
  resolution: ComplaintResolution | null;
  deadlineAt: string;
  escalatedAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  workflowId: string;
}

const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

export function complaintView(r: Record<string, unknown>): ComplaintView {
  return {
    id: r.id as string,
    bankCode: r.bank_code as string,
    bankRef: r.bank_ref as string,
    disposition: r.disposition as Disposition,
    text: r.text as string,
    status: r.status as ComplaintStatus,
    raisedBy: r.raised_by as string,
    assignee: (r.assignee as string | null) ?? null,
    twinBankRef: (r.twin_bank_ref as string | null) ?? null,
    correctionId: (r.correction_id as string | null) ?? null,
    resolution: (r.resolution as ComplaintResolution | null) ?? null,
    deadlineAt: iso(r.deadline_at as Date) as string,
    escalatedAt: iso(r.escalated_at as Date | null),
    version: Number(r.version),
    createdAt: iso(r.created_at as Date) as string,
    updatedAt: iso(r.updated_at as Date) as string,
    workflowId: r.workflow_id as string,
  };
}
