// The ledger's statement-level balance check, rewritten so its cost follows the statement, not the
// ledger. The first version joined the statement's transition table to ledger_postings with `IN`;
// PL/pgSQL caches that plan per connection, and a plan first made for a register batch (4,000
// postings into a small ledger) is a hash join over a sequential scan. Reused for every later
// single payment, it read the whole ledger each time: at 480,000 postings the peak-day bench spent
// most of Postgres's time there and the online rate fell from 22/s to 14/s. A LATERAL aggregate per
// transaction can only be an index lookup on ledger_postings_tx, whatever the sizes. The rule is the
// same: every transaction a statement touches balances, with a non-zero amount.
import type { Knex } from 'knex';

/** The trigger function around a query that finds one unbalanced transaction of the statement. */
function checkFunction(findUnbalanced: string): string {
  return `
  CREATE OR REPLACE FUNCTION ledger_check_balanced_statement() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE bad RECORD;
  BEGIN
    ${findUnbalanced}
    IF FOUND THEN
      RAISE EXCEPTION 'ledger transaction % does not balance: debit % credit %', bad.transaction_id, bad.d, bad.c;
    END IF;
    RETURN NULL;
  END $$;
`;
}

const CHECK_BY_INDEX = checkFunction(`
    SELECT t.transaction_id, s.d, s.c INTO bad
      FROM (SELECT DISTINCT transaction_id FROM inserted) t
     CROSS JOIN LATERAL (
       SELECT sum(p.debit) AS d, sum(p.credit) AS c FROM ledger_postings p WHERE p.transaction_id = t.transaction_id
     ) s
     WHERE s.d <> s.c OR s.d = 0
     LIMIT 1;`);

// What migration 20261201000001 installed, for down().
const CHECK_BY_IN = checkFunction(`
    SELECT p.transaction_id, sum(p.debit) AS d, sum(p.credit) AS c INTO bad
      FROM ledger_postings p
     WHERE p.transaction_id IN (SELECT DISTINCT transaction_id FROM inserted)
     GROUP BY p.transaction_id
    HAVING sum(p.debit) <> sum(p.credit) OR sum(p.debit) = 0
     LIMIT 1;`);

export async function up(knex: Knex): Promise<void> {
  await knex.raw(CHECK_BY_INDEX);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(CHECK_BY_IN);
}
