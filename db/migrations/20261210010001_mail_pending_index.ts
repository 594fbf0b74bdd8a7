// The mail delivery's batches read a lane's pending rows of a period in key order, 200 at a time
// (db/mail-deliveries.ts readyMailRows): a partial index on just the pending rows, in that order,
// ends each read after the rows it returns instead of sorting every pending row of the period.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX mail_deliveries_pending ON mail_deliveries (period, invoice_id, email) WHERE state = 'pending'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS mail_deliveries_pending');
}
