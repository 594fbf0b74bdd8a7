// A provider's done upload of a period's charges, written straight into the tables as the intake
// would leave it (for tests of the close, which need the charges, not the intake).
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

export async function insertChargesUpload(db: Knex, provider: string, period: string, lines: Array<{ account: string; service: string; amount: string }>): Promise<string> {
  const sha = randomBytes(32).toString('hex');
  const uploadId = `charges:${provider}:${period}:${sha.slice(0, 16)}`;
  await db('charge_uploads').insert({
    upload_id: uploadId, provider_id: provider, period: `${period}-01`, version: 1, content_sha256: sha, state: 'done', row_count: lines.length, rows_done: lines.length,
    rows_accepted: lines.length, workflow_id: `upload-${uploadId}`,
  });
  await db('charge_lines').insert(lines.map((l, i) => ({
    upload_id: uploadId, line_no: i + 1, account_number: l.account, service_code: l.service, kind: 'charge', for_period: `${period}-01`, amount: l.amount,
  })));
  return uploadId;
}
