// Activities of the charge upload workflow (workflows/charge-upload.ts): judge a chunk of an upload's
// lines set-based, and finish the upload. A batch of lines is one SQL statement in one transaction:
// each line is accepted into charge_lines or refused into charge_line_rejections with its code, and
// the upload's counters move by the same amounts. Only lines in neither table are taken, so a
// worker killed mid-chunk loses no line and judges none twice: the retried activity resumes with
// the lines still unjudged.
//
// The rules here are the ones that need the database (domain/charge-lines.ts has the rest, as
// precheck codes): the period still open (PERIOD_CLOSED), the account known (UNKNOWN_ACCOUNT), the
// service this provider's (SERVICE_NOT_PROVIDERS). The period row is read FOR SHARE, so a close that
// flips the period's state waits for the batch in flight and every later batch sees it closed.
import { Context } from '@temporalio/activity';
import type { Knex } from 'knex';
import type { ActivityDeps } from './deps';
import { CHARGE_REFUSAL_CODES } from '../domain/charge-lines';
import { formatAmount, Money } from '../domain/money';
import type { ChargeChunkInput, ChargeChunkResult, ChargeUploadOutcome, ChargeUploadSummary } from '../domain/charge-upload-types';

/** Lines per transaction: large enough that per-statement costs vanish, small enough to commit in about a second. */
export const CHARGE_BATCH_LINES = 10_000;
/** Batches of one chunk side by side: Postgres judges one while the next is planned; two match two cores. */
export const CHARGE_BATCHES_IN_FLIGHT = 2;
/**
 * The chunk heartbeats on this clock too, not only after each batch: on a loaded machine the first
 * batch of an upload (waiting behind other uploads' batches) took longer than the 30 s heartbeat
 * timeout, the attempt was declared lost and the upload stalled that long before its retry. The
 * heartbeat says the worker is alive; a statement that hangs is ended by the statement timeout.
 */
export const CHARGE_HEARTBEAT_EVERY_MS = 5_000;

interface UploadRow {
  provider_id: string;
  period: string;
  state: string;
}

const JUDGE_BATCH_SQL = `
  WITH batch AS (
    SELECT r.line_no, r.account_number, r.service_code, r.kind, r.for_period, r.quantity, r.unit, r.tariff, r.amount, r.reason,
           CASE WHEN NOT ?::boolean THEN 'PERIOD_CLOSED'
                WHEN r.precheck_code IS NOT NULL THEN r.precheck_code
                WHEN a.number IS NULL THEN 'UNKNOWN_ACCOUNT'
                WHEN s.provider_id IS DISTINCT FROM ? THEN 'SERVICE_NOT_PROVIDERS' END AS code,
           CASE WHEN NOT ?::boolean THEN ?
                WHEN r.precheck_code IS NOT NULL THEN r.precheck_message
                WHEN a.number IS NULL THEN 'no personal account ' || r.account_number
                WHEN s.provider_id IS DISTINCT FROM ? THEN 'service ' || r.service_code || ': ' || ? END AS message
      FROM charge_upload_rows r
      LEFT JOIN personal_accounts a ON a.number = r.account_number
      LEFT JOIN services s ON s.code = r.service_code
     WHERE r.upload_id = ? AND r.line_no > ? AND r.line_no <= ?
       AND NOT EXISTS (SELECT 1 FROM charge_lines l WHERE l.upload_id = r.upload_id AND l.line_no = r.line_no)
       AND NOT EXISTS (SELECT 1 FROM charge_line_rejections j WHERE j.upload_id = r.upload_id AND j.line_no = r.line_no)
  ), accepted AS (
    INSERT INTO charge_lines (upload_id, line_no, account_number, service_code, kind, for_period, quantity, unit, tariff, amount, reason)
    SELECT ?, line_no, account_number, service_code, kind, for_period, quantity, unit, tariff, amount, reason FROM batch WHERE code IS NULL
    RETURNING amount
  ), refused AS (
    INSERT INTO charge_line_rejections (upload_id, line_no, code, message, account_number, service_code, amount)
    SELECT ?, line_no, code, message, account_number, service_code, amount FROM batch WHERE code IS NOT NULL
    RETURNING amount
  ), counts AS (
    SELECT (SELECT count(*) FROM accepted)::int AS accepted_n, (SELECT COALESCE(sum(amount), 0) FROM accepted) AS accepted_sum,
           (SELECT count(*) FROM refused)::int AS refused_n, (SELECT COALESCE(sum(amount), 0) FROM refused) AS refused_sum
  )
  UPDATE charge_uploads u
     SET rows_done = rows_done + c.accepted_n + c.refused_n, rows_accepted = rows_accepted + c.accepted_n, rows_refused = rows_refused + c.refused_n,
         accepted_total = accepted_total + c.accepted_sum, refused_total = refused_total + c.refused_sum
    FROM counts c
   WHERE u.upload_id = ?
  RETURNING c.accepted_n, c.refused_n`;

async function periodOpen(trx: Knex.Transaction, period: string): Promise<boolean> {
  const row = await trx('billing_periods').where({ period }).forShare().first('state');
  if (!row) throw new Error(`invariant: billing period ${period} of a charge upload is gone`);
  return row.state === 'open';
}

/** Judges the unjudged lines of (fromLine, toLine] in one transaction; returns how many it judged. */
async function judgeBatch(db: Knex, uploadId: string, upload: UploadRow, fromLine: number, toLine: number): Promise<number> {
  return db.transaction(async (trx) => {
    const open = await periodOpen(trx, upload.period);
    const { rows } = await trx.raw(JUDGE_BATCH_SQL, [
      open, upload.provider_id, open, CHARGE_REFUSAL_CODES.PERIOD_CLOSED, upload.provider_id, CHARGE_REFUSAL_CODES.SERVICE_NOT_PROVIDERS,
      uploadId, fromLine, toLine, uploadId, uploadId, uploadId,
    ]);
    const counted = rows[0] as { accepted_n: number; refused_n: number } | undefined;
    if (!counted) throw new Error(`invariant: charge upload ${uploadId} vanished`);
    return counted.accepted_n + counted.refused_n;
  });
}

function outcomeOf(state: string): ChargeUploadOutcome | null {
  return state === 'done' || state === 'superseded' || state === 'refused' ? state : null;
}

/** Counters read back against the lines themselves: a disagreement is a bug, and the finish retries rather than declare the upload done. */
async function assertCounters(trx: Knex.Transaction, uploadId: string, u: { row_count: number; rows_done: number; rows_accepted: number; rows_refused: number; accepted_total: string }): Promise<void> {
  const [lines] = (await trx('charge_lines').where({ upload_id: uploadId }).select(trx.raw('count(*)::int AS n'), trx.raw('COALESCE(sum(amount), 0)::text AS total')));
  const [refused] = (await trx('charge_line_rejections').where({ upload_id: uploadId }).select(trx.raw('count(*)::int AS n')));
  const ok = u.rows_done === u.row_count && lines.n === u.rows_accepted && refused.n === u.rows_refused && new Money(lines.total).eq(u.accepted_total);
  if (!ok) throw new Error(`invariant: charge upload ${uploadId} counters disagree with its lines: ${JSON.stringify({ ...u, lines: lines.n, linesTotal: lines.total, refused: refused.n })}`);
}

export function createChargeUploadActivities(deps: ActivityDeps) {
  const { db } = deps;

  /** Judges the lines (afterLine, afterLine + limit], a batch per transaction, heartbeating between batches. */
  async function processChargeChunk(input: ChargeChunkInput): Promise<ChargeChunkResult> {
    const activity = Context.current();
    const upload = await db('charge_uploads').where({ upload_id: input.uploadId }).first<UploadRow>('provider_id', 'period', 'state');
    if (!upload) throw new Error(`invariant: charge upload ${input.uploadId} vanished`);
    const lastLine = input.afterLine + input.limit;
    if (upload.state === 'received') await db('charge_uploads').where({ upload_id: input.uploadId, state: 'received' }).update({ state: 'posting' });
    const ranges: Array<[number, number]> = [];
    for (let from = input.afterLine; from < lastLine; from += CHARGE_BATCH_LINES) ranges.push([from, Math.min(from + CHARGE_BATCH_LINES, lastLine)]);
    let next = 0;
    let judged = 0;
    activity.heartbeat({ judged });
    const beat = setInterval(() => activity.heartbeat({ judged }), CHARGE_HEARTBEAT_EVERY_MS);
    const lane = async () => {
      while (next < ranges.length) {
        // A cancelled activity (worker shutting down, heartbeat lost) stops between batches; the lines it did not reach stay unjudged for the retry.
        if (activity.cancellationSignal.aborted) throw activity.cancellationSignal.reason ?? new Error('charge chunk cancelled');
        const [from, to] = ranges[next++] as [number, number];
        judged += await judgeBatch(db, input.uploadId, upload, from, to);
        activity.heartbeat({ judged });
      }
    };
    try {
      await Promise.all(Array.from({ length: CHARGE_BATCHES_IN_FLIGHT }, lane));
    } finally {
      clearInterval(beat);
    }
    const after = await db('charge_upload_rows').where({ upload_id: input.uploadId }).andWhere('line_no', '>', lastLine).first('line_no');
    return { lastLine, judged, more: after !== undefined };
  }

  /**
   * Makes a fully judged upload the provider's current charges for the period, superseding the
   * version it replaces, in one transaction with the period row held FOR SHARE: while the period is
   * open. A newer version already done leaves this one superseded; a period closed meanwhile leaves
   * it refused (none of its lines count; the provider sends them as the next period's recalculation).
   */
  async function finishChargeUpload(input: { uploadId: string }): Promise<ChargeUploadSummary> {
    return db.transaction(async (trx) => {
      const u = await trx('charge_uploads').where({ upload_id: input.uploadId }).forUpdate().first();
      if (!u) throw new Error(`invariant: charge upload ${input.uploadId} vanished`);
      await assertCounters(trx, input.uploadId, u);
      let state = outcomeOf(u.state);
      if (state === null) {
        const open = await periodOpen(trx, u.period);
        const newer = await trx('charge_uploads').where({ provider_id: u.provider_id, period: u.period, state: 'done' }).andWhere('version', '>', u.version).first('upload_id');
        state = !open ? 'refused' : newer ? 'superseded' : 'done';
        if (state === 'done') {
          await trx('charge_uploads').where({ provider_id: u.provider_id, period: u.period, state: 'done' }).update({ state: 'superseded' });
        }
        await trx('charge_uploads').where({ upload_id: input.uploadId }).update({ state, finished_at: trx.fn.now() });
      }
      return { uploadId: input.uploadId, state, rowCount: u.row_count, rowsAccepted: u.rows_accepted, rowsRefused: u.rows_refused, acceptedTotal: formatAmount(new Money(u.accepted_total)) };
    });
  }

  return { processChargeChunk, finishChargeUpload };
}

export type ChargeUploadActivities = ReturnType<typeof createChargeUploadActivities>;
