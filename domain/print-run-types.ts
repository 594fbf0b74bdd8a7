// The print run of a period (issue 20 item 1): its id, its input and its results. Shared by the
// workflow, the activities and the CLI, so the workflow imports nothing that touches I/O.
export const PRINT_INVOICES_PER_FILE_DEFAULT = 500;
export const PRINT_INVOICES_PER_FILE_MAX = 10_000;
export const PERIOD_RE = /^[0-9]{4}-(0[1-9]|1[0-2])$/;

/** One run per period: the id is the business key (a re-run after it closed is a new run of the same id). */
export function printRunWorkflowId(period: string): string {
  return `print-run:${period}`;
}

export interface PrintRunInput {
  /** YYYY-MM */
  period: string;
  invoicesPerFile: number;
}

/** Where a batch starts: the next file's number, from 1. All a print run's history holds of its position. */
export interface PrintFilesStart {
  fileNo: number;
}

/** What a batch did: the number of the file after its last one, and whether the period has no more invoices. */
export interface PrintFilesProgress {
  fileNo: number;
  done: boolean;
}

/**
 * A position in print order: the next file's number and the last invoice before it. Inside a batch
 * only; between batches it was the workflow's cursor before patch 'print-run-cursor-by-file'.
 */
export interface PrintCursorState {
  /** The next file's number, from 1. */
  fileNo: number;
  /** The last account printed (its print key and number); null before the first file. */
  after: { key: string; account: string } | null;
}

export interface PrintManifestFile {
  name: string;
  invoices: number;
  totalDue: string;
  totalStillDue: string;
  bytes: number;
  sha256: string;
  firstAccount: string;
  lastAccount: string;
}

export interface PrintManifest {
  period: string;
  invoicesPerFile: number;
  invoices: number;
  files: number;
  /** Sum of the printed invoices' totals as issued, and of what was still due when printed. */
  totalDue: string;
  totalStillDue: string;
  bytes: number;
  fileList: PrintManifestFile[];
}

export interface PrintRunSummary {
  period: string;
  invoices: number;
  files: number;
  totalDue: string;
  manifestPath: string;
  manifestSha256: string;
}
