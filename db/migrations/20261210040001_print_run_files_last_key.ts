// A print run's batches start at a file number (workflows/print-run.ts, patch
// 'print-run-cursor-by-file'), not at a print key carried through the workflow's history, where it
// was an address. Where a file's invoices start is the print key (and account) of the last invoice
// of the file before it: recorded here with the file. Rows written before this migration have none;
// only the runs started before the patch, which carry their own cursor, have such rows.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE print_run_files ADD COLUMN last_print_key TEXT');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE print_run_files DROP COLUMN IF EXISTS last_print_key');
}
