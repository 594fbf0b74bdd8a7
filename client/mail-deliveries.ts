// Starting a period's mail delivery: one workflow per period (`mail-delivery:<YYYY-MM>`); starting
// it while it runs joins it, after it closed a start mails only what was not mailed yet.
import type { Client } from '@temporalio/client';
import { mailDeliveryWorkflow } from '../workflows/mail-delivery';
import { mailDeliveryWorkflowId, type MailDeliverySummary } from '../domain/mail-delivery-types';

export async function startMailDelivery(ctx: { client: Client; taskQueue: string }, period: string): Promise<{ workflowId: string; result: () => Promise<MailDeliverySummary> }> {
  const handle = await ctx.client.workflow.start(mailDeliveryWorkflow, {
    taskQueue: ctx.taskQueue, workflowId: mailDeliveryWorkflowId(period), args: [{ period }], workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return { workflowId: handle.workflowId, result: () => handle.result() };
}
