// Reads of the print run (issue 20 item 1): the period's invoices in print order, page by page by
// the print key (spc_print_order_key in migration 20261208007001: district, street, house, flat),
// and what a run has written so far. Pages continue after the last key, so 100,000 invoices are
// read through the index once, not sorted again for every file.
import type { Knex } from 'knex';

/** Where a page starts: after this account in print order; null is the beginning. */
export interface PrintCursor {
  key: string;
  account: string;
}

export interface PrintPageRow {
  account_number: string;
  print_key: string;
}

/** The next `limit` accounts with an invoice of `period` (YYYY-MM) in print order. */
export async function loadPrintPage(db: Knex, period: string, after: PrintCursor | null, limit: number): Promise<PrintPageRow[]> {
  const start = after ?? { key: '', account: '' };
  const { rows } = await db.raw<{ rows: PrintPageRow[] }>(`
    SELECT a.number AS account_number, spc_print_order_key(a.district, a.address) COLLATE "C" AS print_key
      FROM personal_accounts a
      JOIN invoices i ON i.account_number = a.number AND i.period = ?::date
     WHERE (spc_print_order_key(a.district, a.address) COLLATE "C", a.number) > (?::text COLLATE "C", ?::text)
     ORDER BY spc_print_order_key(a.district, a.address) COLLATE "C", a.number
     LIMIT ?`, [`${period}-01`, start.key, start.account, limit]);
  return rows;
}

/**
 * Where file `fileNo` of a run starts: after the last invoice of the file before it, as the run
 * recorded it (print_run_files.last_print_key, migration 20261210040001); null for the first file.
 * The key is read back, not recomputed from the account's address, so an address changed during the
 * run cannot move the start and print an invoice twice or not at all.
 */
export async function printCursorBefore(db: Knex, period: string, runId: string, fileNo: number): Promise<PrintCursor | null> {
  if (fileNo === 1) return null;
  const row = await db('print_run_files').where({ period: `${period}-01`, run_id: runId, file_no: fileNo - 1 }).first('last_print_key', 'last_account');
  if (!row?.last_print_key) throw new Error(`invariant: print run ${period} starts file ${fileNo} but has recorded no file ${fileNo - 1} with its last key`);
  return { key: row.last_print_key, account: row.last_account };
}

/** How many invoices the period has, and what they ask for in total (the manifest's check). */
export async function periodInvoiceTotals(db: Knex, period: string): Promise<{ invoices: number; totalDue: string }> {
  const row = await db.raw<{ rows: Array<{ invoices: string; total_due: string | null }> }>(`
    SELECT count(DISTINCT i.id) AS invoices, sum(l.amount_due) AS total_due
      FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
     WHERE i.period = ?::date`, [`${period}-01`]);
  const r = row.rows[0];
  return { invoices: Number(r?.invoices ?? 0), totalDue: r?.total_due ?? '0' };
}

export interface PrintRunView {
  period: string;
  state: 'running' | 'done';
  invoicesPerFile: number;
  invoicesTotal: number;
  invoicesDone: number;
  filesTotal: number;
  filesDone: number;
  directory: string;
  workflowId: string;
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  files: Array<{ fileNo: number; name: string; invoices: number; totalDue: string; bytes: number; sha256: string }>;
}

/** The period's print run and the files of its latest run; undefined when none was started. */
export async function loadPrintRun(db: Knex, period: string): Promise<PrintRunView | undefined> {
  const run = await db('print_runs').where({ period: `${period}-01` }).first();
  if (!run) return undefined;
  const files = await db('print_run_files').where({ period: `${period}-01`, run_id: run.run_id }).where('file_no', '<=', run.files_total).orderBy('file_no');
  return {
    period,
    state: run.state,
    invoicesPerFile: run.invoices_per_file,
    invoicesTotal: run.invoices_total,
    invoicesDone: run.invoices_done,
    filesTotal: run.files_total,
    filesDone: run.files_done,
    directory: run.directory,
    workflowId: run.workflow_id,
    runId: run.run_id,
    startedAt: (run.started_at as Date).toISOString(),
    finishedAt: run.finished_at ? (run.finished_at as Date).toISOString() : null,
    files: files.map((f) => ({ fileNo: f.file_no, name: f.name, invoices: f.invoices, totalDue: f.total_due, bytes: Number(f.bytes), sha256: f.sha256 })),
  };
}
