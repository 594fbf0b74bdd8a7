// Archiving a closed bank-day: the histories of every workflow that touched it, exported with a
// manifest, so they outlive the namespace retention (SPC_RETENTION_DAYS). Temporal forgets a
// closed run after retention; the rows in Postgres keep pointing at it (workflow_id, run_id), and
// this archive is where an auditor then finds the history and replays it (`spc audit replay --dir`).
//
// The runs come from Postgres first, because the rows are the authority on what happened and
// visibility is eventually consistent: the bank-day's payments, its settlement, its registers and
// the rejections recorded for the bank that day. A visibility query on BankCode + BusinessDate
// adds anything else carrying those attributes.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { addDays, almatyToUtc } from '../domain/calendar';
import { exportHistories, type Manifest, type RunRef } from './export';
import { assertBank, assertDate, buildVisibilityQuery } from './query';

/** Thrown when a bank-day cannot be archived (not closed yet, unknown): the message says what to do. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

export interface ArchiveOptions {
  /** Called after each history written, e.g. to heartbeat from an activity. */
  onProgress?: (written: number) => void;
  /** Archive a bank-day that is not closed yet (its payment workflows may still be running). */
  allowOpen?: boolean;
}

export interface ArchiveResult {
  /** `<dir>/<BANK>/<YYYY-MM-DD>`: holds manifest.json and one folder per workflow kind. */
  dir: string;
  manifest: Manifest;
}

/** Where archiveBankDay writes a bank-day under an archive root. */
export function bankDayArchiveDir(root: string, bankCode: string, date: string): string {
  return path.join(root, bankCode, date);
}

async function bankDayRuns(db: Knex, bankCode: string, date: string): Promise<RunRef[]> {
  const dayStart = almatyToUtc(date, '00:00').toISOString();
  const dayEnd = almatyToUtc(addDays(date, 1), '00:00').toISOString();
  const { rows } = await db.raw<{ rows: Array<{ workflow_id: string; run_id: string | null }> }>(
    `SELECT workflow_id, run_id FROM payments WHERE bank_code = ? AND business_date = ?::date
     UNION SELECT workflow_id, run_id FROM settlements WHERE bank_code = ? AND business_date = ?::date
     UNION SELECT workflow_id, NULL FROM registers WHERE bank_code = ? AND business_date = ?::date AND workflow_id IS NOT NULL
     UNION SELECT workflow_id, run_id FROM payment_rejections WHERE bank_code = ? AND created_at >= ? AND created_at < ?`,
    [bankCode, date, bankCode, date, bankCode, date, bankCode, dayStart, dayEnd],
  );
  return rows.map((r) => ({ workflowId: r.workflow_id, runId: r.run_id ?? undefined }));
}

/**
 * Exports every workflow of one bank-day into `<dir>/<BANK>/<DATE>/` with its manifest.json and
 * returns where it wrote. Idempotent: running it again rewrites the same files (a closed run's
 * history never changes). Refuses a bank-day that is not closed unless allowOpen is set.
 */
export async function archiveBankDay(client: Client, db: Knex, bankCode: string, date: string, dir: string, opts: ArchiveOptions = {}): Promise<ArchiveResult> {
  assertBank(bankCode, 'bankCode');
  assertDate(date, 'date');
  const day = await db('bank_days').where({ bank_code: bankCode, business_date: date }).first('closed_at');
  if (!day) throw new ArchiveError(`bank-day ${bankCode} ${date} does not exist: no payment was ever posted to it`);
  if (!day.closed_at && !opts.allowOpen) throw new ArchiveError(`bank-day ${bankCode} ${date} is not closed yet: archive it after its settlement closes it`);
  const target = bankDayArchiveDir(dir, bankCode, date);
  let written = 0;
  const manifest = await exportHistories(client, {
    outDir: target,
    runs: await bankDayRuns(db, bankCode, date),
    query: buildVisibilityQuery({ bank: bankCode, date }),
    onWorkflow: () => opts.onProgress?.(++written),
  });
  return { dir: target, manifest };
}
