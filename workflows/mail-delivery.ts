// The mail delivery of a period (id `mail-delivery:<YYYY-MM>`, issue 20 item 2): one workflow per
// period drives batch activities (activities/mail-delivery.ts), not a workflow per mail. It plans
// the (invoice, address) pairs, sends batch after batch while rows are ready, sleeps until the
// earliest postponed row (a 4xx or a timeout) may be tried again, and ends when none is left.
// Starting it again after it closed mails only what is new (invoices or confirmed addresses).
import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { MailDeliveryActivities } from '../activities/mail-delivery';
import type { MailDeliverySummary } from '../domain/mail-delivery-types';
import { MAIL_BATCH_HEARTBEAT, MAIL_BATCH_TIMEOUT, stepOptions } from './activity-options';

const { planMailDelivery, sendMailBatch, summarizeMailDelivery } = proxyActivities<MailDeliveryActivities>(stepOptions(MAIL_BATCH_TIMEOUT, MAIL_BATCH_HEARTBEAT));

/** Batches per run before the history is started afresh (continue-as-new), far below Temporal's limits. */
const BATCHES_PER_RUN_MAX = 2_000;
const RETRY_SLEEP_MIN_MS = 1_000;

export async function mailDeliveryWorkflow(input: { period: string; planned?: boolean }): Promise<MailDeliverySummary> {
  if (!input.planned) await planMailDelivery({ period: input.period });
  for (let batches = 0; ; batches++) {
    if (batches >= BATCHES_PER_RUN_MAX) return continueAsNew<typeof mailDeliveryWorkflow>({ period: input.period, planned: true });
    const r = await sendMailBatch({ period: input.period });
    if (r.more) continue;
    if (r.nextAttemptAt === null) break;
    await sleep(Math.max(RETRY_SLEEP_MIN_MS, Date.parse(r.nextAttemptAt) - Date.now()));
  }
  return summarizeMailDelivery({ period: input.period });
}
