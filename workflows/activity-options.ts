// The activities' timeouts, named once, and the two shapes of options the workflows use. A timeout
// is not part of a workflow's history shape (changing one never breaks a replay); the activities,
// their names and their order are, and they stay in each workflow.
import type { ActivityOptions, Duration, LocalActivityOptions } from '@temporalio/common';
import { retryPolicy } from './retry';

/** Beyond this, a local activity's retries are scheduled as durable timers instead of inside one workflow task. */
export const LOCAL_RETRY_THRESHOLD: Duration = '10s';

/** A payment's own step (post, cancel): one short transaction. */
export const PAYMENT_STEP_TIMEOUT: Duration = '30s';
/** A step of a complaint or correction, a look-up of the settlement trigger, one webhook push. */
export const CASE_STEP_TIMEOUT: Duration = '1 minute';
/** A short step of the settlement (close, reconcile, exclude, store files, confirm, settle) on a peak day. */
export const SETTLEMENT_STEP_TIMEOUT: Duration = '2 minutes';
/** Aggregating a million payments takes seconds, on a loaded machine minutes; it heartbeats. */
export const AGGREGATION_TIMEOUT: Duration = '30 minutes';
export const AGGREGATION_HEARTBEAT: Duration = '1 minute';
/** The providers' registers of a day (issue 19); they heartbeat. */
export const PROVIDER_REGISTERS_TIMEOUT: Duration = '10 minutes';
export const PROVIDER_REGISTERS_HEARTBEAT: Duration = '1 minute';
/**
 * A period close's balances and issue are single statements over every account: minutes at
 * 500,000 accounts, so the timeout is long; the steps heartbeat while they run
 * (activities/heartbeat.ts), so a lost worker is noticed within the heartbeat and the step retried.
 */
export const PERIOD_STEP_TIMEOUT: Duration = '30 minutes';
export const PERIOD_STEP_HEARTBEAT: Duration = '1 minute';

// Chunked work: the heartbeat after each batch, not the timeout, is what detects a dead worker.
/** A register chunk posts REGISTER_CHUNK_ROWS rows (workflows/register.ts). */
export const REGISTER_CHUNK_TIMEOUT: Duration = '2h';
export const REGISTER_CHUNK_HEARTBEAT: Duration = '15s';
/** A charge upload's chunk of CHARGE_CHUNK_LINES lines (workflows/charge-upload.ts). */
export const CHARGE_CHUNK_TIMEOUT: Duration = '1h';
export const CHARGE_CHUNK_HEARTBEAT: Duration = '30s';
/** A batch of mail, or of printed files (a few files; the heartbeat comes after each). */
export const MAIL_BATCH_TIMEOUT: Duration = '30m';
export const PRINT_BATCH_TIMEOUT: Duration = '30m';
export const BATCH_HEARTBEAT: Duration = '60s';
/**
 * A mail batch heartbeats every 2 s while it renders and sends: a dead worker's batch is taken over
 * after this long. Not shorter: under load a live batch that misses it is started again beside itself.
 */
export const MAIL_BATCH_HEARTBEAT: Duration = '30s';

/** Local activities: one round trip through the server less each; retried as infrastructure faults. */
export function localStepOptions(startToCloseTimeout: Duration): LocalActivityOptions {
  return { startToCloseTimeout, localRetryThreshold: LOCAL_RETRY_THRESHOLD, retry: retryPolicy };
}

/** Activities retried as infrastructure faults; with a heartbeat when they report progress. */
export function stepOptions(startToCloseTimeout: Duration, heartbeatTimeout?: Duration): ActivityOptions {
  return heartbeatTimeout === undefined ? { startToCloseTimeout, retry: retryPolicy } : { startToCloseTimeout, heartbeatTimeout, retry: retryPolicy };
}
