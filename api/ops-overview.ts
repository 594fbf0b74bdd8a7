// The data of the operator page, /ops: today's and recent bank-days of every bank (state, counts,
// totals, discrepancies, overdue confirmations), what needs an operator now, rejected payments by
// code and the back office, each with its link to the Temporal Web UI. All of it comes from
// Postgres (db/queries/), so the page works while Temporal is down.
import type { Db } from '../db/connection';
import { findRecentBankDays, type BankDayRow } from '../db/queries/bank-days';
import { countRejectionsByCode, findRecentRejections } from '../db/queries/rejections';
import { findSettlementAlerts, findUnsettledBankDays, type SettlementAlert, type UnsettledBankDay } from '../db/queries/unsettled';
import { addDays, almatyToUtc, toAlmaty } from '../domain/calendar';
import { loadBackOffice, type OpsBackOffice } from './ops-backoffice';

/** The page asks for fresh data this often (ops.js reads it from the overview). */
export const OPS_REFRESH_MS = 5_000;
/** Bank-days shown: business dates from this many calendar days back, and any later ones. */
export const OPS_RECENT_DAYS = 7;
/** Recent rejections listed with their workflow links (counts by code cover the whole window). */
export const OPS_REJECTIONS_LISTED_MAX = 20;

export interface OpsBankDay {
  bankCode: string;
  bankName: string;
  businessDate: string;
  /** open | closing | discrepancy | aggregated | delivered | overdue | settled */
  state: string;
  closedAt: string | null;
  accepted: { count: number; total: string };
  cancelled: { count: number; total: string };
  excluded: { count: number; total: string };
  settlement: null | {
    id: string;
    status: string;
    netTotal: string;
    lines: number;
    confirmedLines: number;
    discrepancies: unknown[];
    confirmDueDate: string | null;
    overdue: boolean;
    workflowId: string;
    ui: string | null;
  };
  /** The bank-day's workflows (payments, settlement, registers) in the Temporal UI. */
  ui: string | null;
}

export interface OpsOverview {
  generatedAt: string;
  today: string;
  refreshMs: number;
  temporalUi: string | null;
  bankDays: OpsBankDay[];
  overdue: Array<{ settlementId: string; confirmDueDate: string | null; netTotal: string; unconfirmedLines: number; ui: string | null }>;
  /** What needs an operator now: money posted on past days with no settlement, lists that cannot be built. */
  alerts: {
    unsettledDays: Array<UnsettledBankDay & { ui: string | null }>;
    settlements: Array<SettlementAlert & { ui: string | null }>;
  };
  rejections: {
    since: string;
    byCode: Array<{ code: string; count: number; today: number }>;
    recent: Array<{ at: string; bankCode: string; bankRef: string; code: string; message: string; workflowId: string; ui: string | null }>;
  };
  /** Complaints and corrections (api/ops-backoffice.ts). */
  backOffice: OpsBackOffice;
}

export interface UiLinks {
  workflow(workflowId: string, runId?: string | null): string | null;
  list(query: string): string | null;
  root: string | null;
}

export function uiLinks(base: string | undefined, namespace: string): UiLinks {
  const root = base ? `${base.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows` : null;
  return {
    root,
    workflow: (id, runId) => (root ? `${root}/${encodeURIComponent(id)}${runId ? `/${encodeURIComponent(runId)}/history` : ''}` : null),
    list: (query) => (root ? `${root}?query=${encodeURIComponent(query)}` : null),
  };
}

const bankDayQuery = (bankCode: string, businessDate: string) => `BankCode = '${bankCode}' AND BusinessDate = '${businessDate}'`;

function settlementOf(r: BankDayRow, today: string, links: UiLinks): OpsBankDay['settlement'] {
  if (!r.settlement_id) return null;
  const overdue = r.status === 'overdue' || (r.status === 'delivered' && r.confirm_due_date !== null && r.confirm_due_date < today);
  return {
    id: r.settlement_id,
    status: r.status as string,
    netTotal: r.net_total as string,
    lines: r.lines,
    confirmedLines: r.confirmed_lines,
    discrepancies: r.discrepancies ?? [],
    confirmDueDate: r.confirm_due_date,
    overdue,
    workflowId: r.workflow_id as string,
    ui: links.workflow(r.workflow_id as string, r.run_id),
  };
}

function bankDayOf(r: BankDayRow, today: string, links: UiLinks): OpsBankDay {
  return {
    bankCode: r.bank_code,
    bankName: r.bank_name,
    businessDate: r.business_date,
    state: r.status ?? (r.closed_at ? 'closing' : 'open'),
    closedAt: r.closed_at?.toISOString() ?? null,
    accepted: { count: r.accepted_count, total: r.accepted_total },
    cancelled: { count: r.cancelled_count, total: r.cancelled_total },
    excluded: { count: r.excluded_count, total: r.excluded_total },
    settlement: settlementOf(r, today, links),
    ui: links.list(bankDayQuery(r.bank_code, r.business_date)),
  };
}

function overdueOf(bankDays: OpsBankDay[]): OpsOverview['overdue'] {
  return bankDays
    .filter((d) => d.settlement?.overdue)
    .map((d) => ({
      settlementId: d.settlement?.id as string,
      confirmDueDate: d.settlement?.confirmDueDate ?? null,
      netTotal: d.settlement?.netTotal as string,
      unconfirmedLines: (d.settlement?.lines ?? 0) - (d.settlement?.confirmedLines ?? 0),
      ui: d.settlement?.ui ?? null,
    }));
}

/** Rejections have no business date (a rejected payment never gets one): by when they happened, in Almaty. */
async function loadRejections(db: Db, since: string, today: string, links: UiLinks): Promise<OpsOverview['rejections']> {
  const sinceInstant = almatyToUtc(since, '00:00');
  const [byCode, recent] = await Promise.all([
    countRejectionsByCode(db, sinceInstant, almatyToUtc(today, '00:00')),
    findRecentRejections(db, sinceInstant, OPS_REJECTIONS_LISTED_MAX),
  ]);
  return {
    since,
    byCode,
    recent: recent.map((r) => ({
      at: r.created_at.toISOString(),
      bankCode: r.bank_code,
      bankRef: r.bank_ref,
      code: r.code,
      message: r.message,
      workflowId: r.workflow_id,
      ui: links.workflow(r.workflow_id, r.run_id),
    })),
  };
}

async function loadAlerts(db: Db, today: string, links: UiLinks): Promise<OpsOverview['alerts']> {
  const [unsettledDays, settlementAlerts] = await Promise.all([findUnsettledBankDays(db, today), findSettlementAlerts(db)]);
  return {
    unsettledDays: unsettledDays.map((d) => ({ ...d, ui: links.list(bankDayQuery(d.bankCode, d.businessDate)) })),
    settlements: settlementAlerts.map((a) => ({ ...a, ui: links.workflow(a.workflowId) })),
  };
}

/** Every bank's bank-days from `today - OPS_RECENT_DAYS` on, with what needs an operator, the rejections and the back office. */
export async function loadOpsOverview(db: Db, now: Date, links: UiLinks): Promise<OpsOverview> {
  const today = toAlmaty(now).date;
  const since = addDays(today, -OPS_RECENT_DAYS);
  const bankDays = (await findRecentBankDays(db, since, today)).map((r) => bankDayOf(r, today, links));
  const rejections = await loadRejections(db, since, today, links);
  const alerts = await loadAlerts(db, today, links);
  return {
    generatedAt: now.toISOString(),
    today,
    refreshMs: OPS_REFRESH_MS,
    temporalUi: links.root,
    bankDays,
    overdue: overdueOf(bankDays),
    backOffice: await loadBackOffice(db, now, (id) => links.workflow(id)),
    alerts,
    rejections,
  };
}
