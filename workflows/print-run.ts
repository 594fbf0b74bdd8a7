// The print run of a period (id `print-run:<YYYY-MM>`, issue 20 item 1): the PDFs the printing
// house gets, in print order (district, street, house, flat), `invoicesPerFile` invoices per file,
// and a manifest with counts, sums and the SHA-256 of each file. Batches of files are activities
// that heartbeat after every file, so a dead worker costs at most one file's work; progress lives in
// print_runs (`spc print status`). The workflow's history holds cursors and counts, never an
// address or a name.
import { proxyActivities } from '@temporalio/workflow';
import type { PrintRunActivities } from '../activities/print-run';
import type { PrintCursorState, PrintRunInput, PrintRunSummary } from '../domain/print-run-types';
import { BATCH_HEARTBEAT, PRINT_BATCH_TIMEOUT, stepOptions } from './activity-options';

const { startPrintRun, renderPrintBatch, finishPrintRun } = proxyActivities<PrintRunActivities>(stepOptions(PRINT_BATCH_TIMEOUT, BATCH_HEARTBEAT));

export async function printRunWorkflow(input: PrintRunInput): Promise<PrintRunSummary> {
  const { files } = await startPrintRun(input);
  let cursor: PrintCursorState = { fileNo: 1, after: null };
  for (;;) {
    const next = await renderPrintBatch({ ...input, cursor });
    cursor = { fileNo: next.fileNo, after: next.after };
    if (next.done) break;
  }
  // Invoices issued while the run was printing would add a file: the manifest check catches it.
  return finishPrintRun({ ...input, files: Math.max(files, cursor.fileNo - 1) });
}
