// The rows of a provider's charge upload as they arrived (issue 18 item 3). The API checks the file
// and stores its rows here with the charge_uploads row, in one transaction; the upload's workflow
// then judges them set-based, batch by batch, into charge_lines (accepted) or
// charge_line_rejections (refused). Kept after the upload is done: they are the version's content.
// precheck_code/precheck_message carry what the file's own rules already refused (an amount that
// is not quantity × tariff, a duplicate line); the rules that need the database (unknown account,
// another provider's service, a closed period) are the workflow's.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE charge_upload_rows (
      upload_id        TEXT NOT NULL REFERENCES charge_uploads(upload_id),
      line_no          INT NOT NULL CHECK (line_no >= 1),
      account_number   TEXT NOT NULL CHECK (length(account_number) <= 40),
      service_code     TEXT NOT NULL CHECK (length(service_code) <= 40),
      kind             TEXT NOT NULL CHECK (kind IN ('charge', 'recalculation')),
      for_period       DATE NOT NULL CHECK (extract(day FROM for_period) = 1),
      quantity         NUMERIC(14,3),
      unit             TEXT CHECK (length(unit) <= 16),
      tariff           NUMERIC(14,4),
      amount           amount_kzt NOT NULL,
      reason           TEXT CHECK (length(reason) <= 200),
      precheck_code    TEXT CHECK (precheck_code ~ '^[A-Z][A-Z_]{1,39}$'),
      precheck_message TEXT CHECK (length(precheck_message) <= 300),
      PRIMARY KEY (upload_id, line_no),
      CHECK ((precheck_code IS NULL) = (precheck_message IS NULL))
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS charge_upload_rows');
}
