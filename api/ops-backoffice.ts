// The back office on /ops: complaints that still need someone (open, assigned, escalated; the
// overdue first), the open TRANSFER_NOT_RECEIVED cases with their amounts, and corrections waiting
// for a second operator, with recent ones of each, each with its Temporal UI link. The same read model as the CLI (client/complaints.ts, client/corrections.ts).
// And the households' invoice mails that did not go out (a 5xx, out of attempts, or uncertain after
// a worker died), per invoice and address, as `spc mail status` lists them per period.
import type { Db } from '../db/connection';
import { listComplaints } from '../client/complaints';
import { listCorrections } from '../client/corrections';
import { complaintWorkflowId } from '../domain/complaint-types';
import { openComplaintIds } from '../db/queries/complaints';
import { recentMailFailures, type RecentMailFailureRow } from '../db/queries/mail-deliveries';
import { findOpenTransferCases, type OpenTransferCase } from '../db/queries/transfer-cases';

/** Rows per table on the page. */
export const OPS_BACKOFFICE_ROWS_MAX = 50;

export interface OpsBackOffice {
  complaints: Array<{ id: string; bankCode: string; bankRef: string; disposition: string; status: string; assignee: string | null; deadlineAt: string; overdue: boolean; correctionId: string | null; ui: string | null }>;
  /** Open TRANSFER_NOT_RECEIVED cases (db/queries/transfer-cases.ts), the oldest deadline first. */
  transferCases: Array<OpenTransferCase & { overdue: boolean; ui: string | null }>;
  corrections: Array<{ id: string; ref: string; kind: string; status: string; mode: string | null; bankCode: string; bankRef: string; amount: string; proposedBy: string; decidedBy: string | null; pendingAdjustments: number; ui: string | null }>;
  mailFailures: RecentMailFailureRow[];
}

export async function loadBackOffice(db: Db, now: Date, workflowUi: (id: string) => string | null): Promise<OpsBackOffice> {
  const [open, recentComplaints, proposed, recentCorrections, transferCases, mailFailures] = await Promise.all([
    openComplaintIds(db, OPS_BACKOFFICE_ROWS_MAX),
    listComplaints(db, { limit: OPS_BACKOFFICE_ROWS_MAX }),
    listCorrections(db, { status: 'proposed', limit: OPS_BACKOFFICE_ROWS_MAX }),
    listCorrections(db, { limit: OPS_BACKOFFICE_ROWS_MAX }),
    findOpenTransferCases(db, { limit: OPS_BACKOFFICE_ROWS_MAX }),
    recentMailFailures(db, OPS_BACKOFFICE_ROWS_MAX),
  ]);
  const openIds = new Set(open);
  const complaints = [...recentComplaints].sort((a, b) => Number(openIds.has(b.id)) - Number(openIds.has(a.id)) || a.deadlineAt.localeCompare(b.deadlineAt));
  const seen = new Set<string>();
  const corrections = [...proposed, ...recentCorrections].filter((c) => !seen.has(c.id) && seen.add(c.id)).slice(0, OPS_BACKOFFICE_ROWS_MAX);
  return {
    complaints: complaints.map((c) => ({
      id: c.id, bankCode: c.bankCode, bankRef: c.bankRef, disposition: c.disposition, status: c.status, assignee: c.assignee, deadlineAt: c.deadlineAt,
      overdue: openIds.has(c.id) && Date.parse(c.deadlineAt) < now.getTime(), correctionId: c.correctionId, ui: workflowUi(complaintWorkflowId(c.id)),
    })),
    transferCases: transferCases.map((c) => ({ ...c, overdue: Date.parse(c.deadlineAt) < now.getTime(), ui: workflowUi(c.workflowId) })),
    corrections: corrections.map((c) => ({
      id: c.id, ref: c.ref, kind: c.kind, status: c.status, mode: c.mode, bankCode: c.bankCode, bankRef: c.bankRef, amount: c.amount,
      proposedBy: c.proposedBy, decidedBy: c.decidedBy, pendingAdjustments: c.pendingAdjustments, ui: workflowUi(c.id),
    })),
    mailFailures,
  };
}
