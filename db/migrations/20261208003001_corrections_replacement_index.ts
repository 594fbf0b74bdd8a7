// The settlement's reconciliation asks, for each of the day's payments, whether it is the
// replacement of a corrected payment (whose register it then belongs to: issue 16, item 3). That
// look-up runs once per payment of the day, so it needs an index, not a scan of the corrections.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX corrections_replacement ON corrections (replacement_payment_id) WHERE replacement_payment_id IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS corrections_replacement');
}
