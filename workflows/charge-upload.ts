// One upload of a provider's charges for a period (issue 18 item 3; id = the upload id,
// charges:<PROVIDER>:<YYYY-MM>:<content hash prefix>, so the same content is one upload however
// often sent). The API stored the checked lines (charge_upload_rows) with the upload; this workflow
// is their durable lifecycle, like a register's: chunks of lines, each one heartbeating activity
// that judges batches set-based in Postgres (activities/charge-upload.ts), then the finish that
// makes the upload the provider's current charges (superseding the older version) or refuses it
// when the period has closed meanwhile. Progress lives in Postgres (charge_uploads.rows_done), so the
// history stays one activity per CHARGE_CHUNK_LINES lines.
import { proxyActivities } from '@temporalio/workflow';
import type { ChargeUploadActivities } from '../activities/charge-upload';
import type { ChargeUploadSummary, ChargeUploadWorkflowInput } from '../domain/charge-upload-types';
import { CHARGE_CHUNK_HEARTBEAT, CHARGE_CHUNK_TIMEOUT, stepOptions } from './activity-options';

/** Lines per activity: some seconds of Postgres work, so a retried chunk redoes little (and redoes nothing it committed). */
export const CHARGE_CHUNK_LINES = 100_000;

const { processChargeChunk, finishChargeUpload } = proxyActivities<ChargeUploadActivities>(stepOptions(CHARGE_CHUNK_TIMEOUT, CHARGE_CHUNK_HEARTBEAT));

export async function chargeUploadWorkflow(input: ChargeUploadWorkflowInput): Promise<ChargeUploadSummary> {
  let afterLine = 0;
  for (;;) {
    const chunk = await processChargeChunk({ uploadId: input.uploadId, afterLine, limit: CHARGE_CHUNK_LINES });
    if (!chunk.more) break;
    afterLine = chunk.lastLine;
  }
  return finishChargeUpload({ uploadId: input.uploadId });
}
