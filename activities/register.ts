// Activities of the register workflow: submit a chunk of a register's rows as payments (through
// the same submitPayment a bank's single payment uses, so every row gets its own payment workflow,
// idempotent by its bank reference), and close the register.
//
// Crash safety: only rows still 'pending' are submitted, and a row's result and the register's
// counters are written in one statement guarded by `status = 'pending'`, so a retried chunk
// neither resubmits finished rows nor counts a row twice. Resubmitting a pending row whose payment
// did go through is harmless: submitPayment answers the first result.
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { submitPayment } from '../client/payments';
import type { PaymentRequest } from '../domain/payment-types';
import { Money } from '../domain/money';
import type { RegisterSummary } from '../workflows/register';

/** Payments in flight at once per register chunk. */
export const REGISTER_SUBMIT_CONCURRENCY = 32;
/** Row results written per statement. */
export const REGISTER_FLUSH_ROWS = 200;
/** A chunk heartbeats at least this often, even when one submission is slow. */
export const REGISTER_HEARTBEAT_MS = 5_000;

export interface ProcessChunkInput {
  registerId: string;
  afterLine: number;
  limit: number;
}

export interface ProcessChunkResult {
  lastLine: number;
  submitted: number;
  more: boolean;
}

interface RowResult {
  lineNo: number;
  status: 'accepted' | 'rejected';
  code: string | null;
  message: string | null;
}

interface PendingRow {
  line_no: number;
  request: PaymentRequest;
}

export function createRegisterActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function writeResults(registerId: string, results: RowResult[]): Promise<void> {
    if (results.length === 0) return;
    await db.raw(
      `WITH upd AS (
         UPDATE register_rows r SET status = t.status, code = t.code, message = t.message
           FROM unnest(?::int[], ?::text[], ?::text[], ?::text[]) AS t(line_no, status, code, message)
          WHERE r.register_id = ? AND r.line_no = t.line_no AND r.status = 'pending'
         RETURNING r.status
       )
       UPDATE registers SET
         rows_done = rows_done + (SELECT count(*) FROM upd),
         rows_accepted = rows_accepted + (SELECT count(*) FROM upd WHERE status = 'accepted'),
         rows_rejected = rows_rejected + (SELECT count(*) FROM upd WHERE status = 'rejected')
       WHERE id = ?`,
      // Nulls inside the arrays are fine for pg; knex's binding type only knows arrays of one type.
      [results.map((r) => r.lineNo), results.map((r) => r.status), results.map((r) => r.code) as string[], results.map((r) => r.message) as string[], registerId, registerId],
    );
  }

  /**
   * A reference the bank already used: when it is the same payment sent earlier through another
   * channel (the cashier accepted it at noon, the evening register lists it again), the row is
   * linked to that payment instead of being refused.
   */
  async function linkExisting(request: PaymentRequest): Promise<RowResult['message']> {
    const existing = await db('payments').where({ bank_code: request.bankCode, bank_ref: request.bankRef }).first('workflow_id', 'channel', 'account_number', 'amount', 'status');
    if (!existing || existing.account_number !== request.account || !new Money(existing.amount).eq(request.amount)) return null;
    return `linked to ${existing.workflow_id}, submitted earlier (${existing.channel}, ${existing.status})`;
  }

  async function submitRow(row: PendingRow): Promise<RowResult> {
    const temporal = deps.temporal;
    if (!temporal) throw new Error('register activities need a Temporal client: create the worker with `client` (worker/worker.ts)');
    const outcome = await submitPayment(temporal, row.request);
    if (outcome.ok) return { lineNo: row.line_no, status: 'accepted', code: null, message: null };
    if (outcome.code === 'REFERENCE_CONFLICT') {
      const linked = await linkExisting(row.request);
      if (linked) return { lineNo: row.line_no, status: 'accepted', code: null, message: linked };
    }
    return { lineNo: row.line_no, status: 'rejected', code: outcome.code, message: outcome.message };
  }

  /** Submits the pending rows among the next `limit` rows after `afterLine`. */
  async function processRegisterChunk(input: ProcessChunkInput): Promise<ProcessChunkResult> {
    const rows = await db('register_rows')
      .where({ register_id: input.registerId })
      .andWhere('line_no', '>', input.afterLine)
      .orderBy('line_no')
      .limit(input.limit)
      .select('line_no', 'status');
    const last = rows[rows.length - 1];
    if (!last) return { lastLine: input.afterLine, submitted: 0, more: false };
    const pending: PendingRow[] = await db('register_rows')
      .where({ register_id: input.registerId, status: 'pending' })
      .andWhere('line_no', '>', input.afterLine)
      .andWhere('line_no', '<=', last.line_no)
      .orderBy('line_no')
      .select('line_no', 'request');

    const ctx = Context.current();
    const heartbeat = setInterval(() => ctx.heartbeat({ afterLine: input.afterLine }), REGISTER_HEARTBEAT_MS);
    let buffer: RowResult[] = [];
    let writing: Promise<void> = Promise.resolve();
    let failed = false;
    // Writes are chained so that they happen one at a time and in order.
    const flush = () => {
      const batch = buffer;
      buffer = [];
      writing = writing.then(() => writeResults(input.registerId, batch));
      return writing;
    };
    try {
      let next = 0;
      const runner = async () => {
        while (!failed && next < pending.length) {
          const row = pending[next++] as PendingRow;
          const result = await submitRow(row);
          if (failed) return;
          buffer.push(result);
          if (buffer.length >= REGISTER_FLUSH_ROWS) await flush();
        }
      };
      const runners = Array.from({ length: Math.min(REGISTER_SUBMIT_CONCURRENCY, pending.length) }, runner);
      // A cancelled activity (worker shutting down, heartbeat lost) stops at once: its submissions
      // wait for workers that may be gone, and the rows it did not record stay pending for the retry.
      await Promise.race([Promise.all(runners), ctx.cancelled]).catch((err) => {
        failed = true;
        throw err;
      });
      await flush();
    } finally {
      clearInterval(heartbeat);
    }
    ctx.heartbeat({ afterLine: last.line_no });
    return { lastLine: last.line_no, submitted: pending.length, more: rows.length === input.limit };
  }

  /** Marks the register done once every row has a result; a pending row left behind is a bug and retries. */
  async function finishRegister(input: { registerId: string }): Promise<RegisterSummary> {
    const pending = await db('register_rows').where({ register_id: input.registerId, status: 'pending' }).count({ n: '*' }).first();
    if (Number(pending?.n ?? 0) > 0) throw new Error(`invariant: register ${input.registerId} still has ${pending?.n} pending rows after its last chunk`);
    const [row] = await db('registers')
      .where({ id: input.registerId })
      .update({ status: 'done' })
      .returning(['row_count', 'rows_done', 'rows_accepted', 'rows_rejected']);
    if (!row) throw new Error(`invariant: register ${input.registerId} vanished`);
    if (row.rows_done !== row.row_count || row.rows_accepted + row.rows_rejected !== row.rows_done) {
      throw new Error(`invariant: register ${input.registerId} counters disagree: ${JSON.stringify(row)}`);
    }
    return { registerId: input.registerId, rowCount: row.row_count, rowsAccepted: row.rows_accepted, rowsRejected: row.rows_rejected };
  }

  return { processRegisterChunk, finishRegister };
}

export type RegisterActivities = ReturnType<typeof createRegisterActivities>;
