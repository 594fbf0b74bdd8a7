// Storing a provider's checked charge upload (issue 18 item 3): the charge_uploads row, its version
// and its lines, in one transaction, or the upload already stored with the same content. The
// workflow (workflows/charge-upload.ts) judges the lines afterwards.
import type { Knex } from 'knex';
import { addMonths, periodStart } from '../domain/billing-period';
import { chargeUploadIdFor, type ChargeLine } from '../domain/charge-lines';

/** Lines per INSERT (13 arrays of this length each): large enough for speed, small enough for one round trip. */
export const CHARGE_INSERT_BATCH_LINES = 5_000;
/**
 * A period with no billing_periods row yet is opened by its first upload when it is at most this
 * many months before the current one, or the next month (providers send December's charges in
 * late December or in January). Older ones are opened by operators, not by a typo in ?period=.
 */
export const PERIOD_OPENED_BY_UPLOAD_MONTHS_BACK_MAX = 2;

export type ChargeUploadRefusalCode = 'PERIOD_CLOSED' | 'PERIOD_NOT_OPEN' | 'UPLOAD_ID_CONFLICT';

/** Thrown when an upload is refused as a whole before anything is stored; `code` is the API's. */
export class ChargeUploadRefusal extends Error {
  override name = 'ChargeUploadRefusal';
  constructor(readonly code: ChargeUploadRefusalCode, message: string) {
    super(message);
  }
}

export interface StoredUpload {
  uploadId: string;
  state: string;
  created: boolean;
}

/**
 * Opens the period when it has no row yet and the rule allows, in its own statement before the
 * upload's transaction: inside it, the new row's key stayed locked until the upload's lines were
 * all stored, so the providers' first uploads of a month, sent at once, were stored one after the
 * other. Opening a period the rule allows is harmless even if the upload is then refused.
 */
async function openPeriodIfAllowed(db: Knex, period: string, currentPeriod: string): Promise<void> {
  const key = periodStart(period);
  if (await db('billing_periods').where({ period: key }).first('state')) return;
  if (period < addMonths(currentPeriod, -PERIOD_OPENED_BY_UPLOAD_MONTHS_BACK_MAX) || period > addMonths(currentPeriod, 1)) {
    throw new ChargeUploadRefusal('PERIOD_NOT_OPEN', `period ${period} is not open for charges: uploads open a period from ${addMonths(currentPeriod, -PERIOD_OPENED_BY_UPLOAD_MONTHS_BACK_MAX)} to ${addMonths(currentPeriod, 1)}; an operator opens others`);
  }
  await db('billing_periods').insert({ period: key }).onConflict('period').ignore();
}

/**
 * Throws ChargeUploadRefusal when the period is not open. A plain read, not FOR SHARE (which would
 * need UPDATE on billing_periods for the API's role): a close that starts after this read is caught
 * where it matters, by the upload workflow, which judges every line under the period row's share
 * lock and refuses the upload once the period is no longer open.
 */
async function checkOpenPeriod(trx: Knex.Transaction, period: string): Promise<void> {
  const row = await trx('billing_periods').where({ period: periodStart(period) }).first('state');
  if (row?.state !== 'open') throw new ChargeUploadRefusal('PERIOD_CLOSED', `period ${period} is ${row?.state ?? 'gone'}: it takes no more charges; send them with the next period as recalculation lines`);
}

async function insertLines(trx: Knex.Transaction, uploadId: string, lines: readonly ChargeLine[]): Promise<void> {
  for (let i = 0; i < lines.length; i += CHARGE_INSERT_BATCH_LINES) {
    const b = lines.slice(i, i + CHARGE_INSERT_BATCH_LINES);
    await trx.raw(
      `INSERT INTO charge_upload_rows (upload_id, line_no, account_number, service_code, kind, for_period, quantity, unit, tariff, amount, reason, precheck_code, precheck_message)
       SELECT ?, * FROM unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::date[], ?::numeric[], ?::text[], ?::numeric[], ?::numeric[], ?::text[], ?::text[], ?::text[])`,
      // Nulls inside the arrays are fine for pg; knex's binding type only knows arrays of one type.
      [uploadId, b.map((l) => l.lineNo), b.map((l) => l.account), b.map((l) => l.service), b.map((l) => l.kind), b.map((l) => periodStart(l.forPeriod)),
        b.map((l) => l.quantity) as string[], b.map((l) => l.unit) as string[], b.map((l) => l.tariff) as string[], b.map((l) => l.amount),
        b.map((l) => l.reason) as string[], b.map((l) => l.precheck?.code ?? null) as string[], b.map((l) => l.precheck?.message ?? null) as string[]],
    );
  }
}

/**
 * Stores an upload as the provider's next version for the period, or finds the one already stored
 * with the same content (any version, any state: the same content is the same upload). Refuses a
 * period that is not open; writes nothing then.
 */
export async function storeChargeUpload(
  db: Knex, providerId: string, period: string, contentSha256: string, lines: readonly ChargeLine[], currentPeriod: string,
): Promise<StoredUpload> {
  const uploadId = chargeUploadIdFor(providerId, period, contentSha256);
  await openPeriodIfAllowed(db, period, currentPeriod);
  return db.transaction(async (trx) => {
    // One upload of a provider's period at a time: versions are numbered without gaps or races.
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`charges:${providerId}:${period}`]);
    const same = await trx('charge_uploads').where({ upload_id: uploadId }).first('content_sha256', 'state');
    if (same) {
      if (same.content_sha256 !== contentSha256) throw new ChargeUploadRefusal('UPLOAD_ID_CONFLICT', `upload ${uploadId} holds other content with the same hash prefix: change any line and send it again`);
      return { uploadId, state: same.state, created: false };
    }
    await checkOpenPeriod(trx, period);
    const [last] = await trx('charge_uploads').where({ provider_id: providerId, period: periodStart(period) }).max({ version: 'version' });
    await trx('charge_uploads').insert({
      upload_id: uploadId, provider_id: providerId, period: periodStart(period), version: Number(last?.version ?? 0) + 1,
      content_sha256: contentSha256, row_count: lines.length, workflow_id: uploadId,
    });
    await insertLines(trx, uploadId, lines);
    return { uploadId, state: 'received', created: true };
  });
}
