// The print run of a period (id `print-run:<YYYY-MM>`, issue 20 item 1): the PDFs the printing
// house gets, in print order (district, street, house, flat), `invoicesPerFile` invoices per file,
// and a manifest with counts, sums and the SHA-256 of each file. Batches of files are activities
// that heartbeat after every file, so a dead worker costs at most one file's work; progress lives in
// print_runs (`spc print status`). The workflow's history holds the run's counts, sums, hashes and
// file numbers, never an address, a name or an account: the issue keeps personal data out of
// Temporal histories. A batch starts at a file number and finds where that file's invoices begin
// from the file before it in print_run_files (patch 'print-run-cursor-by-file').
import { patched, proxyActivities } from '@temporalio/workflow';
import type { PrintRunActivities } from '../activities/print-run';
import type { PrintCursorState, PrintRunInput, PrintRunSummary } from '../domain/print-run-types';
import { BATCH_HEARTBEAT, PRINT_BATCH_TIMEOUT, stepOptions } from './activity-options';

const { startPrintRun, renderPrintFiles, renderPrintBatch, finishPrintRun } = proxyActivities<PrintRunActivities>(stepOptions(PRINT_BATCH_TIMEOUT, BATCH_HEARTBEAT));

export async function printRunWorkflow(input: PrintRunInput): Promise<PrintRunSummary> {
  // Decided once, at the start: a run started on the code before the patch keeps its cursor to the end.
  const byFile = patched('print-run-cursor-by-file');
  const { files } = await startPrintRun(input);
  const nextFileNo = byFile ? await renderByFile(input) : await renderByKey(input);
  // Invoices issued while the run was printing would add a file: the manifest check catches it.
  return finishPrintRun({ ...input, files: Math.max(files, nextFileNo - 1) });
}

/** Batch after batch from file 1; each returns the number of the next file. */
async function renderByFile(input: PrintRunInput): Promise<number> {
  let fileNo = 1;
  for (;;) {
    const next = await renderPrintFiles({ ...input, fileNo });
    fileNo = next.fileNo;
    if (next.done) return fileNo;
  }
}

/**
 * Before patch 'print-run-cursor-by-file': the cursor between batches was the last invoice's print
 * key and account, i.e. an address in the history. Kept only so that runs recorded on that code replay.
 */
async function renderByKey(input: PrintRunInput): Promise<number> {
  let cursor: PrintCursorState = { fileNo: 1, after: null };
  for (;;) {
    const next = await renderPrintBatch({ ...input, cursor });
    cursor = { fileNo: next.fileNo, after: next.after };
    if (next.done) return cursor.fileNo;
  }
}
