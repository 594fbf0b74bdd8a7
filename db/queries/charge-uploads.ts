// A provider's charge uploads as its API shows them (GET /v1/provider/charges/{uploadId} and
// GET /v1/provider/charges?period=): progress counters, state and version, and one page of the
// refused lines with their row-level codes. Another provider's upload is not found.
import type { Knex } from 'knex';

export const CHARGE_REFUSED_PAGE_DEFAULT = 100;
export const CHARGE_REFUSED_PAGE_MAX = 1_000;
/** Versions listed for one period: a provider replacing its charges more often than this is a conversation, not a list. */
export const CHARGE_UPLOADS_LISTED_MAX = 100;

export interface ChargeUploadSummaryView {
  uploadId: string;
  providerId: string;
  period: string;
  version: number;
  state: 'received' | 'posting' | 'done' | 'superseded' | 'refused';
  contentSha256: string;
  rowCount: number;
  rowsDone: number;
  rowsAccepted: number;
  rowsRefused: number;
  acceptedTotal: string;
  refusedTotal: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface RefusedChargeLineView {
  line: number;
  code: string;
  message: string;
  account: string | null;
  service: string | null;
  amount: string | null;
}

export interface ChargeUploadView extends ChargeUploadSummaryView {
  refused: RefusedChargeLineView[];
  page: { after: number; limit: number; nextAfter: number | null };
}

const SUMMARY_COLUMNS = [
  'upload_id', 'provider_id', 'version', 'state', 'content_sha256', 'row_count', 'rows_done', 'rows_accepted', 'rows_refused',
  'accepted_total', 'refused_total', 'created_at', 'finished_at',
];

interface UploadDbRow {
  upload_id: string;
  provider_id: string;
  period_month: string;
  version: number;
  state: ChargeUploadSummaryView['state'];
  content_sha256: string;
  row_count: number;
  rows_done: number;
  rows_accepted: number;
  rows_refused: number;
  accepted_total: string;
  refused_total: string;
  created_at: Date;
  finished_at: Date | null;
}

function summaryOf(r: UploadDbRow): ChargeUploadSummaryView {
  return {
    uploadId: r.upload_id, providerId: r.provider_id, period: r.period_month, version: r.version, state: r.state, contentSha256: r.content_sha256,
    rowCount: r.row_count, rowsDone: r.rows_done, rowsAccepted: r.rows_accepted, rowsRefused: r.rows_refused,
    acceptedTotal: r.accepted_total, refusedTotal: r.refused_total, createdAt: r.created_at.toISOString(), finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
  };
}

function summaries(db: Knex) {
  return db('charge_uploads').select(...SUMMARY_COLUMNS, db.raw("to_char(period, 'YYYY-MM') AS period_month"));
}

export async function findChargeUpload(db: Knex, providerId: string, uploadId: string, page: { after?: number; limit?: number } = {}): Promise<ChargeUploadView | null> {
  const row: UploadDbRow | undefined = await summaries(db).where({ upload_id: uploadId, provider_id: providerId }).first();
  if (!row) return null;
  const after = page.after ?? 0;
  const limit = Math.min(Math.max(page.limit ?? CHARGE_REFUSED_PAGE_DEFAULT, 1), CHARGE_REFUSED_PAGE_MAX);
  const refused = await db('charge_line_rejections')
    .where({ upload_id: uploadId })
    .andWhere('line_no', '>', after)
    .orderBy('line_no')
    .limit(limit + 1)
    .select('line_no', 'code', 'message', 'account_number', 'service_code', 'amount');
  const shown = refused.slice(0, limit);
  return {
    ...summaryOf(row),
    refused: shown.map((r) => ({ line: r.line_no, code: r.code, message: r.message, account: r.account_number, service: r.service_code, amount: r.amount })),
    page: { after, limit, nextAfter: refused.length > limit ? (shown[shown.length - 1]?.line_no ?? null) : null },
  };
}

/** The provider's uploads of a period, newest version first. */
export async function listChargeUploads(db: Knex, providerId: string, period: string): Promise<ChargeUploadSummaryView[]> {
  const rows: UploadDbRow[] = await summaries(db).where({ provider_id: providerId, period: `${period}-01` }).orderBy('version', 'desc').limit(CHARGE_UPLOADS_LISTED_MAX);
  return rows.map(summaryOf);
}
