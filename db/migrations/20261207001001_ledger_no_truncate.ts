// The ledger's append-only triggers are row-level (BEFORE UPDATE OR DELETE), and TRUNCATE fires no
// row trigger: an owner could empty the ledger without a word (issue 16, item 5). The application
// role has no TRUNCATE privilege; this statement-level trigger refuses it for the owner too, so the
// ledger can only be emptied by first dropping the trigger, which is a schema change, not a slip.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
    CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER IF EXISTS ledger_postings_no_truncate ON ledger_postings;
    DROP TRIGGER IF EXISTS ledger_transactions_no_truncate ON ledger_transactions;
  `);
}
