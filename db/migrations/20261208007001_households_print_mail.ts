// Households' invoices on paper and by e-mail (issue 20 items 1-2).
// - personal_accounts.district: the city district of the address, for the printing house's order
//   (NULL sorts first: addresses the SPC has no district for yet).
// - spc_print_order_key(district, address): the print order (district, street, house, flat) as one
//   text key compared byte-wise (COLLATE "C"), so the order is the same on every Postgres. The
//   address is «г. Алматы, <street>, д. <house>[letter], кв. <flat>»; numbers are zero-padded so
//   house 9 comes before house 10 (and no '?' in the SQL: knex would read it as a binding). An
//   index on it lets a print run page through 100,000 invoices by key, file by file, without
//   sorting them again for every file.
// - print_runs / print_run_files: a period's print run and its files (counts, sums, SHA-256), the
//   progress `spc print status` shows and the manifest is written from.
// - mail_subscriptions: an account's e-mail addresses, double opt-in. The confirmation token is
//   stored as its SHA-256 only. The unsubscribe token is stored as is: every invoice mail must
//   carry it, and it can do one thing only (stop mail to that address), the same as the mail it is in.
// - mail_deliveries: one row per (invoice, address), written before any mail is sent: the intent
//   that makes "at most once per address" hold across a worker crash (see activities/mail-delivery.ts).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE personal_accounts ADD COLUMN district TEXT;

    CREATE FUNCTION spc_print_order_key(district TEXT, address TEXT) RETURNS TEXT
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT lower(COALESCE(district, '')) || E'\\x1f'
          || lower(regexp_replace(address, ', д\\. .*$', '')) || E'\\x1f'
          || lpad(COALESCE(substring(address FROM ', д\\. ([0-9]{1,6})'), ''), 6, '0')
          || lower(COALESCE(substring(address FROM ', д\\. [0-9]{1,6}([^,]*)'), '')) || E'\\x1f'
          || lpad(COALESCE(substring(address FROM ', кв\\. ([0-9]{1,6})'), ''), 6, '0')
    $$;
    CREATE INDEX personal_accounts_print_order ON personal_accounts ((spc_print_order_key(district, address) COLLATE "C"), number);

    CREATE TABLE print_runs (
      period            DATE PRIMARY KEY CHECK (extract(day FROM period) = 1),
      state             TEXT NOT NULL CHECK (state IN ('running', 'done')),
      invoices_per_file INT NOT NULL CHECK (invoices_per_file BETWEEN 1 AND 10000),
      invoices_total    INT NOT NULL CHECK (invoices_total >= 0),
      files_total       INT NOT NULL CHECK (files_total >= 0),
      files_done        INT NOT NULL DEFAULT 0 CHECK (files_done >= 0),
      invoices_done     INT NOT NULL DEFAULT 0 CHECK (invoices_done >= 0),
      directory         TEXT NOT NULL,
      workflow_id       TEXT NOT NULL,
      run_id            TEXT NOT NULL,
      started_at        TIMESTAMPTZ NOT NULL,
      finished_at       TIMESTAMPTZ,
      CHECK ((state = 'done') = (finished_at IS NOT NULL))
    );

    CREATE TABLE print_run_files (
      period     DATE NOT NULL REFERENCES print_runs(period),
      file_no    INT NOT NULL CHECK (file_no >= 1),
      name       TEXT NOT NULL,
      invoices   INT NOT NULL CHECK (invoices >= 1),
      total_due  amount_kzt NOT NULL,
      total_still_due amount_kzt NOT NULL,
      bytes      BIGINT NOT NULL CHECK (bytes > 0),
      sha256     TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      first_account TEXT NOT NULL,
      last_account  TEXT NOT NULL,
      written_at TIMESTAMPTZ NOT NULL,
      run_id     TEXT NOT NULL,
      PRIMARY KEY (period, file_no)
    );

    CREATE TABLE mail_subscriptions (
      id                   BIGSERIAL PRIMARY KEY,
      account_number       TEXT NOT NULL REFERENCES personal_accounts(number),
      email                TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(email)),
      confirm_token_sha256 TEXT NOT NULL UNIQUE CHECK (confirm_token_sha256 ~ '^[0-9a-f]{64}$'),
      confirm_expires_at   TIMESTAMPTZ NOT NULL,
      unsubscribe_token    TEXT NOT NULL UNIQUE,
      created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
      confirmed_at         TIMESTAMPTZ,
      unsubscribed_at      TIMESTAMPTZ,
      UNIQUE (account_number, email)
    );

    CREATE TABLE mail_deliveries (
      invoice_id      BIGINT NOT NULL REFERENCES invoices(id),
      email           TEXT NOT NULL,
      subscription_id BIGINT NOT NULL REFERENCES mail_subscriptions(id),
      period          DATE NOT NULL,
      message_id      TEXT NOT NULL UNIQUE,
      state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'uncertain', 'skipped')),
      attempts        INT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      next_attempt_at TIMESTAMPTZ,
      smtp_code       INT,
      error           TEXT,
      created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      finished_at     TIMESTAMPTZ,
      PRIMARY KEY (invoice_id, email)
    );
    CREATE INDEX mail_deliveries_period_state ON mail_deliveries (period, state);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE IF EXISTS mail_deliveries, mail_subscriptions, print_run_files, print_runs;
    DROP INDEX IF EXISTS personal_accounts_print_order;
    DROP FUNCTION IF EXISTS spc_print_order_key(TEXT, TEXT);
    ALTER TABLE personal_accounts DROP COLUMN IF EXISTS district;
  `);
}
