// The households' personal cabinet (issue 20 item 3):
// - cabinet_access_codes: one secret per personal account, printed on the invoice, stored only as a
//   salted scrypt hash (a code is short enough to type, so a bare SHA-256 would be guessable from a
//   leaked table). Written by operators only (`spc cabinet code rotate`, the seed): the
//   application's role may read it, never write it.
// - cabinet_sessions: a signed-in household; the cookie's token and the CSRF token are stored as
//   SHA-256 only, with an expiry and the time of a logout.
// - cabinet_sign_in_failures: wrong codes, per account and per client address (hashed), for the
//   lock-out: the API counts the recent ones before it checks a code.
// - cabinet_readings: meter readings a household submitted, against the invoice of the period they
//   count for; the invoice read model's floor and the provider's readings count them as a bank's.
import type { Knex } from 'knex';
import { APP_ROLE } from './roles';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE cabinet_access_codes (
      account_number TEXT PRIMARY KEY REFERENCES personal_accounts(number),
      code_hash      TEXT NOT NULL CHECK (code_hash ~ '^scrypt\\$[0-9]+\\$[0-9]+\\$[0-9]+\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$'),
      rotated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
    );

    CREATE TABLE cabinet_sessions (
      token_sha256   TEXT PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
      csrf_sha256    TEXT NOT NULL CHECK (csrf_sha256 ~ '^[0-9a-f]{64}$'),
      account_number TEXT NOT NULL REFERENCES personal_accounts(number),
      created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
      expires_at     TIMESTAMPTZ NOT NULL,
      ended_at       TIMESTAMPTZ,
      CHECK (expires_at > created_at)
    );
    CREATE INDEX cabinet_sessions_account ON cabinet_sessions (account_number, created_at);

    -- No foreign key on the account: tries of numbers that do not exist count too.
    CREATE TABLE cabinet_sign_in_failures (
      id             BIGSERIAL PRIMARY KEY,
      account_number TEXT NOT NULL CHECK (length(account_number) <= 32),
      ip_sha256      TEXT NOT NULL CHECK (ip_sha256 ~ '^[0-9a-f]{64}$'),
      at             TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX cabinet_sign_in_failures_account ON cabinet_sign_in_failures (account_number, at);
    CREATE INDEX cabinet_sign_in_failures_ip ON cabinet_sign_in_failures (ip_sha256, at);

    CREATE TABLE cabinet_readings (
      id             BIGSERIAL PRIMARY KEY,
      meter_id       BIGINT NOT NULL REFERENCES meters(id),
      invoice_id     BIGINT NOT NULL REFERENCES invoices(id),
      value          NUMERIC(14,3) NOT NULL,
      previous_value NUMERIC(14,3) NOT NULL,
      read_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
      CHECK (value >= previous_value)
    );
    CREATE INDEX cabinet_readings_meter ON cabinet_readings (meter_id, value DESC);
    CREATE INDEX cabinet_readings_invoice ON cabinet_readings (invoice_id);

    -- Readings are facts: appended, never changed (like meter_readings).
    REVOKE UPDATE ON cabinet_readings, cabinet_sign_in_failures FROM ${APP_ROLE};
    REVOKE INSERT, UPDATE ON cabinet_access_codes FROM ${APP_ROLE};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS cabinet_readings, cabinet_sign_in_failures, cabinet_sessions, cabinet_access_codes');
}
