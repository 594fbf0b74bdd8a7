// Starting a period's print run and reading its progress: shared by the CLI and the tests.
// One workflow per period (`print-run:<YYYY-MM>`): starting it while it runs joins the running one;
// after it closed, a start is a re-run that writes the same files again.
import type { Client } from '@temporalio/client';
import { printRunWorkflow } from '../workflows/print-run';
import { printRunWorkflowId, type PrintRunInput, type PrintRunSummary } from '../domain/print-run-types';

export interface PrintClientContext {
  client: Client;
  taskQueue: string;
}

export async function startPrintRun(ctx: PrintClientContext, input: PrintRunInput): Promise<{ workflowId: string; runId: string; result: () => Promise<PrintRunSummary> }> {
  const handle = await ctx.client.workflow.start(printRunWorkflow, {
    taskQueue: ctx.taskQueue,
    workflowId: printRunWorkflowId(input.period),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, result: () => handle.result() };
}
