// Day registers: storing a checked file (db/registers.ts) and starting its workflow, and reading its
// progress (db/queries/registers.ts). Shared by the bank API, the demo and the tests. The file's
// SHA-256 is the idempotency key: the same file sent twice is one register (unique bank_code +
// file_sha256, and the workflow id carries it; the id's rule is domain/register-types.ts).
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Db } from '../db/connection';
import { BANK_CODE, BUSINESS_DATE, REGISTER_ID } from '../domain/search-attributes';
import { registerWorkflow, registerWorkflowId } from '../workflows/register';
import type { RegisterHeader, RegisterRow } from '../domain/register-csv';
import { registerIdFor } from '../domain/register-types';
import { rowPaymentRequest } from '../domain/register-request';
import { storeRegister, type NewRegister } from '../db/registers';
import { findBankRegister, findRegisterByFile, listBankRegisters, registerRowsAfter, type RegisterRecord, type RegisterRowStatus } from '../db/queries/registers';
import { errorName } from './errors';
import { withinEngineTimeout } from './deadline';

export interface RegisterClientContext {
  db: Db;
  client: Client;
  taskQueue: string;
}

export const REGISTER_PAGE_ROWS_DEFAULT = 100;
export const REGISTER_PAGE_ROWS_MAX = 1_000;

/** The register as stored (db/registers.ts) and its progress. */
export interface RegisterSummaryView extends NewRegister {
  rowCount: number;
  rowsDone: number;
  rowsAccepted: number;
  rowsRejected: number;
  status: 'processing' | 'done';
  createdAt: string;
}

function summaryOf(r: RegisterRecord): RegisterSummaryView {
  return {
    id: r.id,
    bankCode: r.bank_code,
    businessDate: r.business_date,
    fileSha256: r.file_sha256,
    declaredCount: r.declared_count,
    declaredTotal: r.declared_total,
    rowCount: r.row_count,
    rowsDone: r.rows_done,
    rowsAccepted: r.rows_accepted,
    rowsRejected: r.rows_rejected,
    status: r.status,
    createdAt: r.created_at.toISOString(),
    workflowId: r.workflow_id ?? registerWorkflowId(r.id),
  };
}

/** Starts (or finds running) the register's workflow; a finished one is left alone. */
export async function startRegisterWorkflow(ctx: Omit<RegisterClientContext, 'db'>, registerId: string, bankCode: string, businessDate: string): Promise<void> {
  try {
    await withinEngineTimeout(ctx.client, 'register', () => ctx.client.workflow.start(registerWorkflow, {
      workflowId: registerWorkflowId(registerId),
      taskQueue: ctx.taskQueue,
      args: [{ registerId, bankCode }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A register that failed for an infrastructure reason may be started again by re-sending the file.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: new TypedSearchAttributes([
        { key: BANK_CODE, value: bankCode },
        { key: BUSINESS_DATE, value: businessDate },
        { key: REGISTER_ID, value: registerId },
      ]),
    }));
  } catch (err) {
    if (errorName(err) === 'WorkflowExecutionAlreadyStartedError') return;
    throw err;
  }
}

/**
 * Stores a checked register and starts its workflow. The same file again (same bank, same hash)
 * returns the register stored the first time, and makes sure its workflow runs.
 */
export async function submitRegister(
  ctx: RegisterClientContext,
  bankCode: string,
  fileSha256: string,
  header: RegisterHeader,
  rows: RegisterRow[],
): Promise<{ register: RegisterSummaryView; created: boolean }> {
  const id = registerIdFor(bankCode, fileSha256);
  const workflowId = registerWorkflowId(id);
  const created = await storeRegister(
    ctx.db,
    { id, bankCode, businessDate: header.businessDate, fileSha256, declaredCount: header.declaredCount, declaredTotal: header.declaredTotal, workflowId },
    rows,
    (row) => ({ lineNo: row.lineNo, bankRef: row.bankRef, request: rowPaymentRequest(bankCode, id, header, row) }),
  );
  const stored = await findRegisterByFile(ctx.db, bankCode, fileSha256);
  if (!stored) throw new Error(`invariant: register ${id} not found right after it was stored`);
  if (stored.status === 'processing') await startRegisterWorkflow(ctx, stored.id, bankCode, stored.business_date);
  return { register: summaryOf(stored), created };
}

export interface RegisterRowView {
  lineNo: number;
  bankRef: string;
  account: string;
  amount: string;
  status: RegisterRowStatus;
  code: string | null;
  message: string | null;
}

export interface RegisterView extends RegisterSummaryView {
  rows: RegisterRowView[];
  page: { after: number; limit: number; nextAfter: number | null };
}

export interface RegisterPageOptions {
  after?: number;
  limit?: number;
  status?: RegisterRowStatus;
}

/** A register of this bank with one page of its rows, or null (another bank's register is null too). */
export async function getRegister(db: Db, bankCode: string, registerId: string, opts: RegisterPageOptions = {}): Promise<RegisterView | null> {
  const row = await findBankRegister(db, bankCode, registerId);
  if (!row) return null;
  const after = opts.after ?? 0;
  const limit = Math.min(Math.max(opts.limit ?? REGISTER_PAGE_ROWS_DEFAULT, 1), REGISTER_PAGE_ROWS_MAX);
  // One row past the page says whether another page follows.
  const rows = await registerRowsAfter(db, registerId, after, limit + 1, opts.status);
  const page = rows.slice(0, limit);
  return {
    ...summaryOf(row),
    rows: page.map((r) => ({ lineNo: r.line_no, bankRef: r.bank_ref, account: r.account, amount: r.amount, status: r.status, code: r.code, message: r.message })),
    page: { after, limit, nextAfter: rows.length > limit ? (page[page.length - 1]?.line_no ?? null) : null },
  };
}

export async function listRegisters(db: Db, bankCode: string, opts: { businessDate?: string; limit?: number } = {}): Promise<RegisterSummaryView[]> {
  const rows = await listBankRegisters(db, bankCode, Math.min(opts.limit ?? REGISTER_PAGE_ROWS_DEFAULT, REGISTER_PAGE_ROWS_MAX), opts.businessDate);
  return rows.map(summaryOf);
}
