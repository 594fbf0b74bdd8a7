// Providers' charge uploads: storing a checked upload and starting its workflow (issue 18 item 3).
// Shared by the provider API and the tests. The content's hash is the idempotency key: the same
// charges sent twice are one upload (its id, the workflow id and a unique key carry the hash).
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connection';
import { storeChargeUpload } from '../db/charge-uploads';
import { chargesContentSha256Steps, type ChargeLine } from '../domain/charge-lines';
import { runStepsYielding } from '../domain/steps';
import { chargeUploadWorkflow } from '../workflows/charge-upload';
import { errorName } from './errors';
import { withinEngineTimeout } from './deadline';

export interface ChargeClientContext {
  db: Db;
  client: Client;
  taskQueue: string;
}

/** Starts (or finds running) an upload's workflow; a finished one is left alone. */
export async function startChargeUploadWorkflow(ctx: Omit<ChargeClientContext, 'db'>, uploadId: string, providerId: string, period: string): Promise<void> {
  try {
    await withinEngineTimeout(ctx.client, 'charge upload', () => ctx.client.workflow.start(chargeUploadWorkflow, {
      workflowId: uploadId,
      taskQueue: ctx.taskQueue,
      args: [{ uploadId, providerId, period }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // An upload whose workflow failed for an infrastructure reason is started again by sending it again.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    }));
  } catch (err) {
    if (errorName(err) === 'WorkflowExecutionAlreadyStartedError') return;
    throw err;
  }
}

/**
 * Stores an upload and starts its workflow. The same content again returns the upload stored the
 * first time (and makes sure its workflow runs while it is not done). Throws ChargeUploadRefusal
 * (db/charge-uploads.ts) when the period takes no charges; nothing is stored then.
 */
export async function submitCharges(
  ctx: ChargeClientContext, providerId: string, period: string, lines: readonly ChargeLine[], currentPeriod: string,
): Promise<{ uploadId: string; created: boolean }> {
  const sha256 = await runStepsYielding(chargesContentSha256Steps(providerId, period, lines));
  const stored = await storeChargeUpload(ctx.db, providerId, period, sha256, lines, currentPeriod);
  if (stored.state === 'received' || stored.state === 'posting') await startChargeUploadWorkflow(ctx, stored.uploadId, providerId, period);
  return { uploadId: stored.uploadId, created: stored.created };
}
