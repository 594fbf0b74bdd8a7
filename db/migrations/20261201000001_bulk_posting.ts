// Bulk posting (registers post a thousand payments per transaction):
// - register rows name the payment they produced or were linked to, so a register can be
//   reconciled against its payments wherever they landed, and a row traced to its posting;
// - the ledger's balance check runs once per statement over the transactions it touched, instead of
//   once per posting row at commit (four thousand trigger queries for a batch of a thousand
//   payments). The rule it enforces is unchanged, and stricter in one way: every statement that
//   inserts postings must leave each ledger transaction it touches balanced, so a transaction's
//   postings are written by one statement (as every posting in this code base is).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE register_rows ADD COLUMN payment_id BIGINT REFERENCES payments(id);
    CREATE INDEX register_rows_payment ON register_rows (payment_id) WHERE payment_id IS NOT NULL;

    DROP TRIGGER ledger_balanced ON ledger_postings;
    CREATE FUNCTION ledger_check_balanced_statement() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE bad RECORD;
    BEGIN
      SELECT p.transaction_id, sum(p.debit) AS d, sum(p.credit) AS c INTO bad
        FROM ledger_postings p
       WHERE p.transaction_id IN (SELECT DISTINCT transaction_id FROM inserted)
       GROUP BY p.transaction_id
      HAVING sum(p.debit) <> sum(p.credit) OR sum(p.debit) = 0
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: debit % credit %', bad.transaction_id, bad.d, bad.c;
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER ledger_balanced AFTER INSERT ON ledger_postings
      REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_balanced_statement();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER ledger_balanced ON ledger_postings;
    DROP FUNCTION ledger_check_balanced_statement();
    CREATE CONSTRAINT TRIGGER ledger_balanced AFTER INSERT ON ledger_postings
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
    ALTER TABLE register_rows DROP COLUMN payment_id;
  `);
}
