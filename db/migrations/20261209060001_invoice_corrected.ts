// An invoice corrected after issue (issue 18): a correction applied to a payment a closed period
// counted issues a new version of the account's current invoice, which carries the correction in a
// column of its own, `corrected` (what went back onto the line: + given back, − taken on), so that
// `opening_balance` stays the previous close's closing (the next close reads it as the opening and
// counts the correction itself; the audit checks opening = previous closing).
// amount_due = max(opening + charged + corrected, 0).
import type { Knex } from 'knex';

const OLD_CHECK = 'amount_due = GREATEST(opening_balance + charged, 0)';

async function dropAmountDueChecks(knex: Knex): Promise<void> {
  const { rows } = await knex.raw(
    `SELECT conname FROM pg_constraint WHERE conrelid = 'invoice_lines'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%amount_due%'`,
  );
  for (const r of rows as Array<{ conname: string }>) await knex.raw(`ALTER TABLE invoice_lines DROP CONSTRAINT "${r.conname}"`);
}

export async function up(knex: Knex): Promise<void> {
  await dropAmountDueChecks(knex);
  await knex.raw(`
    ALTER TABLE invoice_lines ADD COLUMN corrected amount_kzt NOT NULL DEFAULT 0;
    ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_amount_due CHECK (amount_due = GREATEST(opening_balance + charged + corrected, 0));
  `);
}

export async function down(knex: Knex): Promise<void> {
  await dropAmountDueChecks(knex);
  await knex.raw(`
    ALTER TABLE invoice_lines DROP COLUMN corrected;
    ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_amount_due CHECK (${OLD_CHECK});
  `);
}
