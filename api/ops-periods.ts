// The period page of /ops (issue 18): the billing periods, and one period's close — its state and
// step, its approval (four eyes, from the close's workflow), each provider's upload against the
// upload deadline, the totals and the exceptions. The same read model as `spc period show`
// (db/queries/periods.ts) plus db/queries/period-exceptions.ts.
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { listPeriods, loadPeriod, type PeriodSummary, type PeriodView } from '../db/queries/periods';
import { loadPeriodExceptions, loadProviderUploads, loadUploadDeadline, type PeriodException, type ProviderUpload } from '../db/queries/period-exceptions';
import { getPeriodApproval } from '../client/period-approval';
import { periodWorkflowId } from '../domain/period';
import type { PeriodApproval } from '../domain/period-approval';
import type { UiLinks } from './ops-overview';

/** Periods listed on the page. */
export const OPS_PERIODS_ROWS_MAX = 24;

export interface OpsPeriodRow extends PeriodSummary {
  ui: string | null;
}

export interface OpsPeriod {
  period: string;
  state: string;
  step: string | null;
  startedBy: string | null;
  closedAt: string | null;
  uploadDeadline: string;
  /** From the close's workflow; null when none was proposed (or the engine did not answer: approvalError). */
  approval: PeriodApproval | null;
  approvalError: string | null;
  totals: PeriodView['totals'];
  balances: number | null;
  paymentsCounted: number | null;
  invoicesIssued: number | null;
  nextDueDate: string | null;
  providers: Array<ProviderUpload & { closing: string | null }>;
  exceptions: PeriodException[];
  ui: string | null;
}

export async function loadOpsPeriods(db: Db, links: UiLinks): Promise<OpsPeriodRow[]> {
  const rows = await listPeriods(db, OPS_PERIODS_ROWS_MAX);
  return rows.map((r) => ({ ...r, ui: links.workflow(periodWorkflowId(r.period)) }));
}

async function approvalOf(client: Client, view: PeriodView): Promise<{ approval: PeriodApproval | null; approvalError: string | null }> {
  try {
    return { approval: await getPeriodApproval({ client }, view.period), approvalError: null };
  } catch (err) {
    // The page still shows the rows; the approval is the engine's to tell.
    return { approval: null, approvalError: `the engine did not answer: ${(err as Error).message}`.slice(0, 200) };
  }
}

/** One period's page, or null when the period is unknown. */
export async function loadOpsPeriod(db: Db, client: Client, period: string, links: UiLinks): Promise<OpsPeriod | null> {
  const [view, deadline] = await Promise.all([loadPeriod(db, period), loadUploadDeadline(db, period)]);
  if (!view || !deadline) return null;
  const uploads = await loadProviderUploads(db, period, deadline);
  const [exceptions, approval] = await Promise.all([loadPeriodExceptions(db, period, uploads), approvalOf(client, view)]);
  const closing = new Map(view.providers.map((p) => [p.provider, p.closing]));
  return {
    period: view.period, state: view.state, step: view.step, startedBy: view.startedBy, closedAt: view.closedAt ? view.closedAt.toISOString() : null,
    uploadDeadline: deadline, ...approval, totals: view.totals, balances: view.balances, paymentsCounted: view.paymentsCounted,
    invoicesIssued: view.invoicesIssued, nextDueDate: view.nextDueDate,
    providers: uploads.map((u) => ({ ...u, closing: closing.get(u.provider) ?? null })), exceptions, ui: links.workflow(periodWorkflowId(period)),
  };
}
