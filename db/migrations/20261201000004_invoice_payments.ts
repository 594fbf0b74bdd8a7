// The invoice's still-due (db/queries/invoices.ts) sums the standing payments of an invoice; every
// cashier look-up and every posting batch asks it. Without this index that is a scan of all
// payments; with it, an index range per invoice, joined to allocations by their primary key.
// Partial: only standing payments count, and a cancellation takes its payment out of the index.
//
// Built CONCURRENTLY (outside a transaction) so that a migration on a live SPC does not hold
// posting up while millions of payments are indexed. Should that build be interrupted it leaves an
// invalid index behind: `down` and then `up` again rebuild it.
import type { Knex } from 'knex';

export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`CREATE INDEX CONCURRENTLY IF NOT EXISTS payments_invoice_standing ON payments (invoice_id) INCLUDE (id) WHERE status = 'accepted'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS payments_invoice_standing');
}
