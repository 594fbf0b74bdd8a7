// Activities of the print run (workflows/print-run.ts): start the run, render its files a batch at
// a time, write the manifest. A file is the next `invoicesPerFile` invoices of the period in print
// order (db/queries/print-runs.ts), one A4 page each (infra/invoice-pdf.ts, deterministic), written
// to a temporary name and renamed, so a crash never leaves half a file under its real name; its
// size, sums, SHA-256 and the print key of its last invoice go to print_run_files. Re-rendering a
// file gives the same bytes, so a retried batch (resuming from its last heartbeat) or a re-run of
// the period overwrites files with identical ones. What a batch takes from and gives to the
// workflow, and what it heartbeats, is a file number: the key a file's invoices start after is read
// back from the file before it in print_run_files, so no address reaches the Temporal history.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from './deps';
import { loadPeriodInvoiceLines } from '../db/queries/invoices';
import { loadPrintPage, periodInvoiceTotals, printCursorBefore } from '../db/queries/print-runs';
import { formatAmount, fromDb, sum } from '../domain/money';
import type { PrintCursorState, PrintFilesProgress, PrintFilesStart, PrintManifest, PrintManifestFile, PrintRunInput, PrintRunSummary } from '../domain/print-run-types';
import { renderInvoicesPdf, type PrintInvoice } from '../infra/invoice-pdf';
import { PdfRenderPool } from '../infra/pdf-render-pool';
import { printInvoiceOf, type Requisites } from './invoice-print-view';

/** Files one batch activity writes before it returns to the workflow: a few tens of seconds of work. */
export const PRINT_FILES_PER_BATCH = 10;
/** A batch heartbeats at least this often, well inside the workflow's heartbeat timeout. */
export const PRINT_ALIVE_HEARTBEAT_MS = 5_000;

export interface PrintActivityConfig {
  printDir: string;
  requisites: Requisites;
}

export interface RenderedPrintFile extends PrintManifestFile {
  content: Buffer;
  last: { key: string; account: string };
}

export function printFileName(period: string, fileNo: number): string {
  return `invoices-${period}-${String(fileNo).padStart(5, '0')}.pdf`;
}

interface LoadedPrintFile {
  fileNo: number;
  invoices: PrintInvoice[];
  firstAccount: string;
  last: { key: string; account: string };
}

/** The invoices of the next file after `cursor`; undefined when the period has no more. */
async function loadPrintFile(deps: Pick<ActivityDeps, 'db'>, requisites: Requisites, period: string, invoicesPerFile: number, cursor: PrintCursorState): Promise<LoadedPrintFile | undefined> {
  const page = await loadPrintPage(deps.db, period, cursor.after, invoicesPerFile);
  const lastRow = page[page.length - 1];
  if (!lastRow) return undefined;
  const byAccount = await loadPeriodInvoiceLines(deps.db, page.map((r) => r.account_number), period);
  return {
    fileNo: cursor.fileNo,
    invoices: page.map((r) => printInvoiceOf(byAccount.get(r.account_number) ?? [], requisites)),
    firstAccount: page[0]?.account_number as string,
    last: { key: lastRow.print_key, account: lastRow.account_number },
  };
}

function renderedFile(period: string, file: LoadedPrintFile, content: Buffer): RenderedPrintFile {
  return {
    name: printFileName(period, file.fileNo),
    invoices: file.invoices.length,
    totalDue: formatAmount(sum(file.invoices.map((i) => fromDb(i.totalDue)))),
    totalStillDue: formatAmount(sum(file.invoices.map((i) => fromDb(i.totalStillDue)))),
    bytes: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    firstAccount: file.firstAccount,
    lastAccount: file.last.account,
    content,
    last: file.last,
  };
}

/** Renders the next file after `cursor` in this thread; undefined when the period has no more invoices. */
export async function renderPrintFile(deps: Pick<ActivityDeps, 'db'>, requisites: Requisites, period: string, invoicesPerFile: number, cursor: PrintCursorState): Promise<RenderedPrintFile | undefined> {
  const file = await loadPrintFile(deps, requisites, period, invoicesPerFile, cursor);
  return file && renderedFile(period, file, await renderInvoicesPdf(file.invoices, period));
}

async function writeAtomically(file: string, content: Buffer | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, content);
  await fs.rename(tmp, file);
}

/** The written file's row, and the run's progress, in one commit. */
async function recordFile(deps: Pick<ActivityDeps, 'db' | 'clock'>, period: string, runId: string, fileNo: number, file: RenderedPrintFile): Promise<void> {
  await deps.db.transaction(async (trx) => {
    await trx('print_run_files').insert({
      period: `${period}-01`, file_no: fileNo, name: file.name, invoices: file.invoices, total_due: file.totalDue, total_still_due: file.totalStillDue, bytes: file.bytes,
      sha256: file.sha256, first_account: file.firstAccount, last_account: file.lastAccount, last_print_key: file.last.key, written_at: deps.clock(), run_id: runId,
    }).onConflict(['period', 'file_no']).merge();
    await trx('print_runs').where({ period: `${period}-01`, run_id: runId })
      .update({ files_done: fileNo, invoices_done: trx.raw('(SELECT COALESCE(sum(invoices), 0) FROM print_run_files WHERE period = ?::date AND run_id = ? AND file_no <= ?)', [`${period}-01`, runId, fileNo]) });
  });
}

function runOfActivity(): { workflowId: string; runId: string } {
  const info = Context.current().info.workflowExecution;
  if (!info) throw new Error('invariant: a print-run activity runs inside a workflow');
  return { workflowId: info.workflowId, runId: info.runId };
}

/** The manifest; every file on disk is hashed again, and the counts are checked against the period's invoices. */
async function manifestOf(deps: Pick<ActivityDeps, 'db'>, dir: string, input: PrintRunInput, files: PrintManifestFile[]): Promise<PrintManifest> {
  for (const f of files) {
    const bytes = await fs.readFile(path.join(dir, f.name));
    if (createHash('sha256').update(bytes).digest('hex') !== f.sha256) throw new Error(`invariant: ${f.name} on disk is not the file the run wrote`);
  }
  const totals = await periodInvoiceTotals(deps.db, input.period);
  const invoices = files.reduce((n, f) => n + f.invoices, 0);
  const totalDue = sum(files.map((f) => fromDb(f.totalDue)));
  if (invoices !== totals.invoices || !totalDue.eq(fromDb(totals.totalDue))) {
    throw new Error(`invariant: print run ${input.period} printed ${invoices} invoices for ${formatAmount(totalDue)}, the period has ${totals.invoices} for ${totals.totalDue}`);
  }
  return {
    period: input.period, invoicesPerFile: input.invoicesPerFile, invoices, files: files.length, totalDue: formatAmount(totalDue),
    totalStillDue: formatAmount(sum(files.map((f) => fromDb(f.totalStillDue)))), bytes: files.reduce((n, f) => n + f.bytes, 0),
    fileList: files,
  };
}

export function createPrintRunActivities(deps: ActivityDeps, config: PrintActivityConfig) {
  const dirOf = (period: string) => path.join(config.printDir, period);
  // Threads start with the first batch, not with the worker: most workers never print.
  let pool: PdfRenderPool | undefined;
  const renderPool = () => (pool ??= new PdfRenderPool());

  async function startPrintRun(input: PrintRunInput): Promise<{ invoices: number; files: number }> {
    const { invoices } = await periodInvoiceTotals(deps.db, input.period);
    const files = Math.ceil(invoices / input.invoicesPerFile);
    const { workflowId, runId } = runOfActivity();
    await fs.mkdir(dirOf(input.period), { recursive: true });
    const row = {
      period: `${input.period}-01`, state: 'running', invoices_per_file: input.invoicesPerFile, invoices_total: invoices, files_total: files,
      files_done: 0, invoices_done: 0, directory: dirOf(input.period), workflow_id: workflowId, run_id: runId, started_at: deps.clock(), finished_at: null,
    };
    await deps.db('print_runs').insert(row).onConflict('period').merge();
    return { invoices, files };
  }

  /**
   * Writes up to PRINT_FILES_PER_BATCH files from `start`, calling `beat` with the cursor after
   * each; a retry resumes from the last heartbeat. Pipelined: this thread reads the next files'
   * invoices (the cursor of one page is the end of the one before) while the pool's threads render;
   * files are written and recorded in order, so the heartbeat's cursor is always after a file that
   * is on disk and in print_run_files.
   */
  async function renderBatch(input: PrintRunInput, start: PrintCursorState, beat: (cursor: PrintCursorState) => void): Promise<PrintCursorState & { done: boolean }> {
    let cursor = start;
    const { runId } = runOfActivity();
    const pool = renderPool();
    const inFlight: Array<Promise<RenderedPrintFile>> = [];
    let [readCursor, exhausted, loaded] = [cursor, false, 0];
    const fill = async () => {
      while (!exhausted && loaded < PRINT_FILES_PER_BATCH && inFlight.length < pool.inFlightMax) {
        const file = await loadPrintFile(deps, config.requisites, input.period, input.invoicesPerFile, readCursor);
        exhausted = !file;
        if (!file) break;
        loaded++;
        readCursor = { fileNo: file.fileNo + 1, after: file.last };
        const rendering = pool.render(file.invoices, input.period).then((pdf) => renderedFile(input.period, file, pdf));
        // Awaited in order below; a failure there fails the batch (and is not an unhandled rejection here).
        rendering.catch(() => undefined);
        inFlight.push(rendering);
      }
    };
    // Alive while a file renders (a file of 10,000 on a loaded machine takes longer than the
    // heartbeat timeout); always with the cursor after the last file on disk.
    const alive = setInterval(() => beat(cursor), PRINT_ALIVE_HEARTBEAT_MS);
    try {
      await fill();
      while (inFlight.length > 0) {
        const file = await (inFlight.shift() as Promise<RenderedPrintFile>);
        await fill();
        await writeAtomically(path.join(dirOf(input.period), file.name), file.content);
        await recordFile(deps, input.period, runId, cursor.fileNo, file);
        cursor = { fileNo: cursor.fileNo + 1, after: file.last };
        beat(cursor);
      }
    } finally {
      clearInterval(alive);
    }
    return { ...cursor, done: exhausted };
  }

  /**
   * A batch from file `fileNo` (or from the file of its last heartbeat, on a retry). Its invoices
   * start after the last one of the file before, as this run recorded it in print_run_files; the
   * heartbeat and the result are file numbers only.
   */
  async function renderPrintFiles(input: PrintRunInput & PrintFilesStart): Promise<PrintFilesProgress> {
    const ctx = Context.current();
    const fileNo = (ctx.info.heartbeatDetails as PrintFilesStart | undefined)?.fileNo ?? input.fileNo;
    const after = await printCursorBefore(deps.db, input.period, runOfActivity().runId, fileNo);
    const end = await renderBatch(input, { fileNo, after }, (c) => ctx.heartbeat({ fileNo: c.fileNo } satisfies PrintFilesStart));
    return { fileNo: end.fileNo, done: end.done };
  }

  /**
   * The batch of runs started before patch 'print-run-cursor-by-file': the cursor (the last
   * invoice's print key) comes from the workflow and goes back to it, and into the heartbeat.
   */
  async function renderPrintBatch(input: PrintRunInput & { cursor: PrintCursorState }): Promise<PrintCursorState & { done: boolean }> {
    const ctx = Context.current();
    const start = (ctx.info.heartbeatDetails as PrintCursorState | undefined) ?? input.cursor;
    return renderBatch(input, start, (c) => ctx.heartbeat(c));
  }

  async function finishPrintRun(input: PrintRunInput & { files: number }): Promise<PrintRunSummary> {
    const { runId } = runOfActivity();
    const rows = await deps.db('print_run_files').where({ period: `${input.period}-01`, run_id: runId }).where('file_no', '<=', input.files).orderBy('file_no');
    if (rows.length !== input.files) throw new Error(`invariant: print run ${input.period} wrote ${rows.length} files of ${input.files}`);
    const manifest = await manifestOf(deps, dirOf(input.period), input, rows.map((f) => ({
      name: f.name, invoices: f.invoices, totalDue: f.total_due, totalStillDue: f.total_still_due, bytes: Number(f.bytes), sha256: f.sha256, firstAccount: f.first_account, lastAccount: f.last_account,
    })));
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    const manifestPath = path.join(dirOf(input.period), `manifest-${input.period}.json`);
    await writeAtomically(manifestPath, text);
    await deps.db('print_runs').where({ period: `${input.period}-01`, run_id: runId }).update({ state: 'done', finished_at: deps.clock() });
    return { period: input.period, invoices: manifest.invoices, files: manifest.files, totalDue: manifest.totalDue, manifestPath, manifestSha256: createHash('sha256').update(text).digest('hex') };
  }

  return { startPrintRun, renderPrintFiles, renderPrintBatch, finishPrintRun };
}

export type PrintRunActivities = ReturnType<typeof createPrintRunActivities>;
