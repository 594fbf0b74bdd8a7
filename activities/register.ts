// Activities of the register workflow: post a chunk of a register's rows as payments, set-based,
// and close the register. The rows go through the same validation, allocation and posting as a
// single payment (validatePaymentRequest, then postPayments in activities/payment-posting.ts), in
// batches of REGISTER_POST_BATCH_ROWS rows per Postgres transaction; the register workflow is the
// durable lifecycle of its rows, so no row costs a workflow of its own.
//
// Crash safety: a batch's payments and its rows' results are written in one transaction, and only
// rows still 'pending' are taken, so a worker killed mid-chunk loses no row and posts none twice:
// the retried activity resumes with the rows that are still pending.
import { Context } from '@temporalio/activity';
import type { Knex } from 'knex';
import type { ActivityDeps } from './deps';
import type { ActivityMetrics } from '../infra/metrics';
import { PaymentRejection, validatePaymentRequest } from '../domain/payment-validation';
import type { PaymentRequest } from '../domain/payment-types';
import { requestHash } from '../domain/request-hash';
import { Money } from '../domain/money';
import type { RegisterSummary } from '../domain/register-types';
import { postPayments, type ExistingPayment, type PostingItem, type PostingResult, type WrittenBy } from './payment-posting';
import type { BankRow } from './reference-cache';
import type { CalendarOverrides } from '../domain/calendar';

/** Rows per posting transaction: large enough that per-statement costs vanish, small enough to commit in well under a second. */
export const REGISTER_POST_BATCH_ROWS = 1_000;
/** Batches posted side by side by one chunk: two keep both the worker and Postgres busy on two cores. */
export const REGISTER_BATCHES_IN_FLIGHT = 2;
/**
 * Batches in flight in one worker process, over all its registers: a batch's checks take the
 * worker's event loop for a while, and five banks' registers at once must not starve the cashiers'
 * payments that the same worker answers.
 */
export const REGISTER_BATCHES_PER_WORKER_MAX = 2;

/** A counting semaphore: at most `slots` holders at a time, the others wait in order. */
class Slots {
  private waiting: Array<() => void> = [];
  constructor(private free: number) {}
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

const workerBatchSlots = new Slots(REGISTER_BATCHES_PER_WORKER_MAX);

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
  paymentId: string | null;
}

interface PendingRow {
  line_no: number;
  request: PaymentRequest;
}

interface BatchContext {
  registerId: string;
  bank: BankRow;
  calendar: CalendarOverrides;
  receivedAt: Date;
  writtenBy: WrittenBy;
  metrics: ActivityMetrics;
}

/**
 * A reference the bank already used. The same payment sent earlier (the cashier accepted it at
 * noon, the evening register lists it again; the same row in a re-sent file) is linked to that
 * payment, unless it has since been cancelled or excluded; anything else is a conflict.
 */
function resultForExisting(lineNo: number, request: PaymentRequest, hash: string, existing: ExistingPayment): RowResult {
  const samePayment = existing.requestHash === hash || (existing.account === request.account && new Money(existing.amount).eq(request.amount));
  if (!samePayment) {
    return { lineNo, status: 'rejected', code: 'REFERENCE_CONFLICT', message: `bank reference ${request.bankRef} was already used for a different payment`, paymentId: null };
  }
  if (existing.status !== 'accepted') {
    const code = ({ cancelled: 'PAYMENT_CANCELLED', excluded: 'PAYMENT_EXCLUDED', corrected: 'PAYMENT_CORRECTED' } as const)[existing.status];
    return { lineNo, status: 'rejected', code, message: `bank reference ${request.bankRef} names payment ${existing.workflowId}, which was ${existing.status}`, paymentId: existing.id };
  }
  return { lineNo, status: 'accepted', code: null, message: `linked to ${existing.workflowId}, submitted earlier (${existing.channel})`, paymentId: existing.id };
}

function resultOf(lineNo: number, item: PostingItem & { request: PaymentRequest }, posted: PostingResult): RowResult {
  switch (posted.kind) {
    case 'posted':
      return { lineNo, status: 'accepted', code: null, message: null, paymentId: posted.paymentId };
    case 'rejected':
      return { lineNo, status: 'rejected', code: posted.rejection.code, message: posted.rejection.message, paymentId: null };
    case 'exists':
      return resultForExisting(lineNo, item.request, item.requestHash, posted.existing);
  }
}

async function writeResults(trx: Knex.Transaction, registerId: string, results: RowResult[]): Promise<void> {
  if (results.length === 0) return;
  await trx.raw(
    `WITH upd AS (
       UPDATE register_rows r SET status = t.status, code = t.code, message = t.message, payment_id = t.payment_id
         FROM unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::bigint[]) AS t(line_no, status, code, message, payment_id)
        WHERE r.register_id = ? AND r.line_no = t.line_no AND r.status = 'pending'
       RETURNING r.status
     )
     UPDATE registers SET
       rows_done = rows_done + (SELECT count(*) FROM upd),
       rows_accepted = rows_accepted + (SELECT count(*) FROM upd WHERE status = 'accepted'),
       rows_rejected = rows_rejected + (SELECT count(*) FROM upd WHERE status = 'rejected')
     WHERE id = ?`,
    // Nulls inside the arrays are fine for pg; knex's binding type only knows arrays of one type.
    [results.map((r) => r.lineNo), results.map((r) => r.status), results.map((r) => r.code) as string[], results.map((r) => r.message) as string[],
      results.map((r) => r.paymentId) as string[], registerId, registerId],
  );
}

/** Counts a committed batch's rows by outcome and code, and its duration (only after the commit: a rolled-back batch is posted again). */
function countBatch(metrics: ActivityMetrics, results: RowResult[], startedMs: number): void {
  const counts = new Map<string, { outcome: string; code: string; n: number }>();
  for (const r of results) {
    const key = `${r.status}:${r.code ?? ''}`;
    const c = counts.get(key) ?? { outcome: r.status, code: r.code ?? '', n: 0 };
    c.n++;
    counts.set(key, c);
  }
  for (const c of counts.values()) metrics.registerRows.inc({ outcome: c.outcome, code: c.code }, c.n);
  metrics.registerBatchDuration.observe({}, (performance.now() - startedMs) / 1000);
}

/** Validates, posts and records one batch of rows in one transaction. */
async function postBatch(db: Knex, ctx: BatchContext, rows: PendingRow[]): Promise<void> {
  const startedMs = performance.now();
  const results: RowResult[] = [];
  const items: Array<PostingItem & { request: PaymentRequest; lineNo: number }> = [];
  for (const row of rows) {
    try {
      const valid = validatePaymentRequest(row.request, ctx.receivedAt);
      items.push({ valid, requestHash: requestHash(row.request), registerId: ctx.registerId, pileNo: row.request.pileNo, request: row.request, lineNo: row.line_no });
    } catch (err) {
      if (!(err instanceof PaymentRejection)) throw err;
      results.push({ lineNo: row.line_no, status: 'rejected', code: err.code, message: err.message, paymentId: null });
    }
  }
  const all = await db.transaction(async (trx) => {
    const posted = items.length > 0 ? await postPayments(trx, { bank: ctx.bank, calendar: ctx.calendar, writtenBy: ctx.writtenBy, items }) : [];
    const rowResults = [...results, ...items.map((item, i) => resultOf(item.lineNo, item, posted[i] as PostingResult))];
    await writeResults(trx, ctx.registerId, rowResults);
    return rowResults;
  });
  countBatch(ctx.metrics, all, startedMs);
}

/** The register workflow's run that posts the rows: recorded on each payment as the workflow that wrote it. */
function writerOf(activity: Context, registerId: string): WrittenBy {
  const run = activity.info.workflowExecution;
  if (!run) throw new Error(`invariant: register ${registerId} chunk runs outside a workflow`);
  return { workflowId: run.workflowId, runId: run.runId };
}

export function createRegisterActivities(deps: ActivityDeps) {
  const { db } = deps;

  /** Posts the pending rows among the next `limit` rows after `afterLine`, a batch per transaction, heartbeating between batches. */
  async function processRegisterChunk(input: ProcessChunkInput): Promise<ProcessChunkResult> {
    const activity = Context.current();
    const register = await db('registers').where({ id: input.registerId }).first('bank_code', 'created_at');
    if (!register) throw new Error(`invariant: register ${input.registerId} vanished`);
    const bank = await deps.reference.bank(register.bank_code);
    if (!bank) throw new Error(`invariant: register ${input.registerId} belongs to unknown bank ${register.bank_code}`);
    const window = await db('register_rows')
      .where({ register_id: input.registerId })
      .andWhere('line_no', '>', input.afterLine)
      .orderBy('line_no')
      .limit(input.limit)
      .select('line_no');
    const last = window[window.length - 1];
    if (!last) return { lastLine: input.afterLine, submitted: 0, more: false };
    const pending: PendingRow[] = await db('register_rows')
      .where({ register_id: input.registerId, status: 'pending' })
      .andWhere('line_no', '>', input.afterLine)
      .andWhere('line_no', '<=', last.line_no)
      .orderBy('line_no')
      .select('line_no', 'request');
    const ctx: BatchContext = {
      registerId: input.registerId,
      bank,
      calendar: await deps.reference.calendar(),
      // The file's arrival is when the SPC received every row in it: the default paidAt and the future-skew check both refer to it.
      receivedAt: register.created_at,
      writtenBy: writerOf(activity, input.registerId),
      metrics: deps.metrics,
    };
    const batches: PendingRow[][] = [];
    for (let i = 0; i < pending.length; i += REGISTER_POST_BATCH_ROWS) batches.push(pending.slice(i, i + REGISTER_POST_BATCH_ROWS));
    let next = 0;
    let posted = 0;
    // Batches in flight side by side: while Postgres commits one, the worker checks the next.
    const lane = async () => {
      while (next < batches.length) {
        // A cancelled activity (worker shutting down, heartbeat lost) stops between batches; the
        // rows it did not reach stay pending for the retry.
        if (activity.cancellationSignal.aborted) throw activity.cancellationSignal.reason ?? new Error('register chunk cancelled');
        const batch = batches[next++] as PendingRow[];
        await workerBatchSlots.run(() => postBatch(db, ctx, batch));
        posted += batch.length;
        activity.heartbeat({ rowsPosted: posted });
      }
    };
    await Promise.all(Array.from({ length: Math.min(REGISTER_BATCHES_IN_FLIGHT, batches.length) }, lane));
    return { lastLine: last.line_no, submitted: pending.length, more: window.length === input.limit };
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
