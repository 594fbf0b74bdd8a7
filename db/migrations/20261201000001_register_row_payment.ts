// Register rows name the payment they produced or were linked to, so a register can be reconciled
// against its payments wherever they landed, and a row can be traced to its posting.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE register_rows ADD COLUMN payment_id BIGINT REFERENCES payments(id);
    CREATE INDEX register_rows_payment ON register_rows (payment_id) WHERE payment_id IS NOT NULL;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE register_rows DROP COLUMN payment_id');
}
