// Day registers: storing a checked file and starting its workflow, and reading its progress.
// Shared by the bank API and the tests. The file's SHA-256 is the idempotency key: the same file
// sent twice is one register (unique bank_code + file_sha256, and the workflow id carries it).
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { Db } from '../db/connection';
import type { PaymentRequest } from '../domain/payment-types';
import { BANK_CODE, BUSINESS_DATE, REGISTER_ID } from '../domain/search-attributes';
import { registerWorkflow, registerWorkflowId } from '../workflows/register';
import { defaultPaidAt, type RegisterHeader, type RegisterRow } from '../domain/register-csv';
import { errorName } from './errors';
import { withinEngineTimeout } from './deadline';

export interface RegisterClientContext {
  db: Db;
  client: Client;
  taskQueue: string;
}

/** Hex characters of the file hash in the register id: 64 bits, unique per bank in practice (the unique key guards the rest). */
export const REGISTER_ID_HASH_CHARS = 16;
/** Rows per INSERT statement when storing a register (7 parameters each, far below Postgres' 65535). */
export const REGISTER_INSERT_BATCH_ROWS = 2_000;
export const REGISTER_PAGE_ROWS_DEFAULT = 100;
export const REGISTER_PAGE_ROWS_MAX = 1_000;

export function registerIdFor(bankCode: string, fileSha256: string): string {
  return `${bankCode}:${fileSha256.slice(0, REGISTER_ID_HASH_CHARS)}`;
}

/** The payment a register row stands for: channel 'register', linked to its register. */
export function rowPaymentRequest(bankCode: string, registerId: string, header: RegisterHeader, row: RegisterRow): PaymentRequest {
  const request: PaymentRequest = {
    bankCode,
    bankRef: row.bankRef,
    channel: 'register',
    account: row.account,
    amount: row.amount,
    paidAt: row.paidAt ?? defaultPaidAt(header.businessDate),
    registerId,
  };
  if (row.lines) request.lines = row.lines;
  if (row.readings) request.readings = row.readings;
  if (row.pileNo) request.pileNo = row.pileNo;
  return request;
}

export interface RegisterSummaryView {
  id: string;
  bankCode: string;
  businessDate: string;
  fileSha256: string;
  declaredCount: number;
  declaredTotal: string;
  rowCount: number;
  rowsDone: number;
  rowsAccepted: number;
  rowsRejected: number;
  status: 'processing' | 'done';
  createdAt: string;
  workflowId: string;
}

interface RegisterDbRow {
  id: string;
  bank_code: string;
  business_date: string;
  file_sha256: string;
  declared_count: number;
  declared_total: string;
  row_count: number;
  rows_done: number;
  rows_accepted: number;
  rows_rejected: number;
  status: 'processing' | 'done';
  created_at: Date;
  workflow_id: string | null;
}

function summaryOf(r: RegisterDbRow): RegisterSummaryView {
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
  const created = await ctx.db.transaction(async (trx) => {
    const inserted = await trx('registers')
      .insert({
        id,
        bank_code: bankCode,
        business_date: header.businessDate,
        file_sha256: fileSha256,
        declared_count: header.declaredCount,
        declared_total: header.declaredTotal,
        row_count: rows.length,
        workflow_id: workflowId,
      })
      .onConflict(['bank_code', 'file_sha256'])
      .ignore()
      .returning(['id']);
    if (inserted.length === 0) return false;
    for (let i = 0; i < rows.length; i += REGISTER_INSERT_BATCH_ROWS) {
      const batch = rows.slice(i, i + REGISTER_INSERT_BATCH_ROWS);
      await trx('register_rows').insert(
        batch.map((row) => ({ register_id: id, line_no: row.lineNo, bank_ref: row.bankRef, request: JSON.stringify(rowPaymentRequest(bankCode, id, header, row)) })),
      );
    }
    return true;
  });
  const stored = await ctx.db<RegisterDbRow>('registers').where({ bank_code: bankCode, file_sha256: fileSha256 }).first();
  if (!stored) throw new Error(`invariant: register ${id} not found right after it was stored`);
  if (stored.status === 'processing') await startRegisterWorkflow(ctx, stored.id, bankCode, stored.business_date);
  return { register: summaryOf(stored), created };
}

export interface RegisterRowView {
  lineNo: number;
  bankRef: string;
  account: string;
  amount: string;
  status: 'pending' | 'accepted' | 'rejected';
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
  status?: 'pending' | 'accepted' | 'rejected';
}

/** A register of this bank with one page of its rows, or null (another bank's register is null too). */
export async function getRegister(db: Db, bankCode: string, registerId: string, opts: RegisterPageOptions = {}): Promise<RegisterView | null> {
  const row = await db<RegisterDbRow>('registers').where({ id: registerId, bank_code: bankCode }).first();
  if (!row) return null;
  const after = opts.after ?? 0;
  const limit = Math.min(Math.max(opts.limit ?? REGISTER_PAGE_ROWS_DEFAULT, 1), REGISTER_PAGE_ROWS_MAX);
  const query = db('register_rows')
    .where({ register_id: registerId })
    .andWhere('line_no', '>', after)
    .orderBy('line_no')
    .limit(limit + 1)
    .select('line_no', 'bank_ref', db.raw("request->>'account' AS account"), db.raw("request->>'amount' AS amount"), 'status', 'code', 'message');
  if (opts.status) query.andWhere({ status: opts.status });
  const rows = await query;
  const page = rows.slice(0, limit);
  return {
    ...summaryOf(row),
    rows: page.map((r) => ({ lineNo: r.line_no, bankRef: r.bank_ref, account: r.account, amount: r.amount, status: r.status, code: r.code, message: r.message })),
    page: { after, limit, nextAfter: rows.length > limit ? (page[page.length - 1]?.line_no ?? null) : null },
  };
}

export async function listRegisters(db: Db, bankCode: string, opts: { businessDate?: string; limit?: number } = {}): Promise<RegisterSummaryView[]> {
  const query = db<RegisterDbRow>('registers')
    .where({ bank_code: bankCode })
    .orderBy('created_at', 'desc')
    .limit(Math.min(opts.limit ?? REGISTER_PAGE_ROWS_DEFAULT, REGISTER_PAGE_ROWS_MAX));
  if (opts.businessDate) query.andWhere({ business_date: opts.businessDate });
  return (await query).map(summaryOf);
}
