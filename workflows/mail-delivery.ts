// The mail delivery of a period (id `mail-delivery:<YYYY-MM>`, issue 20 item 2): one workflow per
// period drives batch activities (activities/mail-delivery.ts), not a workflow per mail. It plans
// the (invoice, address) pairs, then runs MAIL_LANES lanes side by side (a share of the rows each,
// so the batches of every worker run at once), each sending batch after batch while rows are ready;
// it sleeps until the earliest postponed row (a 4xx or a timeout) may be tried again, and ends when
// none is left. Starting it again after it closed mails only what is new (invoices or confirmed addresses).
import { continueAsNew, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { MailDeliveryActivities } from '../activities/mail-delivery';
import type { MailBatchResult, MailDeliverySummary } from '../domain/mail-delivery-types';
import { MAIL_BATCH_HEARTBEAT, MAIL_BATCH_TIMEOUT, stepOptions } from './activity-options';

const { planMailDelivery, sendMailBatch, summarizeMailDelivery } = proxyActivities<MailDeliveryActivities>(stepOptions(MAIL_BATCH_TIMEOUT, MAIL_BATCH_HEARTBEAT));

/** Batches per run before the history is started afresh (continue-as-new), far below Temporal's limits. */
const BATCHES_PER_RUN_MAX = 2_000;
const RETRY_SLEEP_MIN_MS = 1_000;
/**
 * Lanes run side by side: two per worker process of a two-process deployment, so each process
 * renders and sends for two while the other's lanes go on if it dies. Fixed: a lane's rows are
 * chosen by this number (invoice id modulo it), so changing it needs a patch.
 */
export const MAIL_LANES = 4;

type Input = { period: string; planned?: boolean };

export async function mailDeliveryWorkflow(input: Input): Promise<MailDeliverySummary> {
  if (!input.planned) await planMailDelivery({ period: input.period });
  if (patched('mail-delivery-lanes')) return inLanes(input.period);
  for (let batches = 0; ; batches++) {
    if (batches >= BATCHES_PER_RUN_MAX) return continueAsNew<typeof mailDeliveryWorkflow>({ period: input.period, planned: true });
    const r = await sendMailBatch({ period: input.period });
    if (r.more) continue;
    if (r.nextAttemptAt === null) break;
    await sleep(Math.max(RETRY_SLEEP_MIN_MS, Date.parse(r.nextAttemptAt) - Date.now()));
  }
  return summarizeMailDelivery({ period: input.period });
}

async function inLanes(period: string): Promise<MailDeliverySummary> {
  let batches = 0;
  /** Sends a lane's ready rows; the last batch's answer says when its postponed rows are due. */
  const drain = async (lane: number): Promise<MailBatchResult | undefined> => {
    let r: MailBatchResult | undefined;
    while (batches < BATCHES_PER_RUN_MAX) {
      batches++;
      r = await sendMailBatch({ period, lane, lanes: MAIL_LANES });
      if (!r.more) return r;
    }
    return undefined;
  };
  for (;;) {
    const lanes = await Promise.all(Array.from({ length: MAIL_LANES }, (_, lane) => drain(lane)));
    if (batches >= BATCHES_PER_RUN_MAX) return continueAsNew<typeof mailDeliveryWorkflow>({ period, planned: true });
    const due = lanes.flatMap((r) => (r?.nextAttemptAt ? [Date.parse(r.nextAttemptAt)] : []));
    if (due.length === 0) break;
    await sleep(Math.max(RETRY_SLEEP_MIN_MS, Math.min(...due) - Date.now()));
  }
  return summarizeMailDelivery({ period });
}
