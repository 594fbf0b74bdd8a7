// The SPC's month, intake side (issue 18 items 1–3; issue 19 builds on the same provider identity):
// - billing_periods: one row per billing month. The readings window (readings_from..readings_to,
//   local dates) says which readings belong to the period; NULL means the configured default days.
//   A period takes charges while 'open'; the close ('closing', 'closed') is the period workflow's.
// - provider_api_keys: a provider's own keys, like bank_api_keys (hashed, scoped, expiring,
//   revocable). Issued by operators only: the application's role may read them, never write them.
// - charge_uploads: one row per upload of a provider's charges for a period. Its id is a business key
//   (charges:<PROVIDER>:<YYYY-MM>:<content sha256 prefix>), so the same content is the same upload.
//   A newer version supersedes the older one until the period closes; every version is kept.
// - charge_lines: the accepted lines of an upload; charge_line_rejections: the refused ones, with a
//   row-level code. Every line of an upload is in exactly one of the two once it is done.
// - period_charges_current: what each provider currently charges per account and service for a
//   period: the accepted lines of its latest done upload (superseded and refused ones do not count).
import type { Knex } from 'knex';
import { APP_ROLE } from './roles';

/** The scopes a provider key may hold (db/provider-keys.ts, PROVIDER_SCOPES). */
const PROVIDER_SCOPES_SQL = "ARRAY['readings', 'charges', 'registers', 'transfers']::TEXT[]";

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE billing_periods (
      period        DATE PRIMARY KEY CHECK (extract(day FROM period) = 1),
      state         TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closing', 'closed')),
      readings_from DATE,
      readings_to   DATE,
      charges_due   DATE,
      closed_at     TIMESTAMPTZ,
      CHECK (readings_from IS NULL OR readings_to IS NULL OR readings_from <= readings_to),
      CHECK ((state = 'closed') = (closed_at IS NOT NULL))
    );

    CREATE TABLE provider_api_keys (
      id          BIGSERIAL PRIMARY KEY,
      provider_id TEXT NOT NULL REFERENCES providers(id),
      key_prefix  TEXT NOT NULL,
      key_sha256  TEXT NOT NULL UNIQUE CHECK (key_sha256 ~ '^[0-9a-f]{64}$'),
      scopes      TEXT[] NOT NULL CHECK (cardinality(scopes) >= 1 AND scopes <@ ${PROVIDER_SCOPES_SQL}),
      label       TEXT CHECK (length(label) <= 100),
      created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
      expires_at  TIMESTAMPTZ,
      revoked_at  TIMESTAMPTZ
    );
    CREATE INDEX provider_api_keys_provider ON provider_api_keys (provider_id);

    CREATE TABLE charge_uploads (
      upload_id      TEXT PRIMARY KEY CHECK (upload_id ~ '^charges:[A-Z][A-Z0-9_]{0,31}:[0-9]{4}-[0-9]{2}:[0-9a-f]{16}$'),
      provider_id    TEXT NOT NULL REFERENCES providers(id),
      period         DATE NOT NULL REFERENCES billing_periods(period),
      version        INT NOT NULL CHECK (version >= 1),
      content_sha256 TEXT NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
      state          TEXT NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'posting', 'done', 'superseded', 'refused')),
      row_count      INT NOT NULL CHECK (row_count >= 0),
      rows_done      INT NOT NULL DEFAULT 0 CHECK (rows_done BETWEEN 0 AND row_count),
      rows_accepted  INT NOT NULL DEFAULT 0 CHECK (rows_accepted >= 0),
      rows_refused   INT NOT NULL DEFAULT 0 CHECK (rows_refused >= 0),
      accepted_total amount_kzt NOT NULL DEFAULT 0,
      refused_total  amount_kzt NOT NULL DEFAULT 0,
      workflow_id    TEXT NOT NULL,
      created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
      finished_at    TIMESTAMPTZ,
      UNIQUE (provider_id, period, version),
      UNIQUE (provider_id, period, content_sha256),
      CHECK (rows_accepted + rows_refused = rows_done)
    );
    -- At most one current upload per provider and period: a replacement supersedes the old one in
    -- the same transaction as it becomes done.
    CREATE UNIQUE INDEX charge_uploads_one_current ON charge_uploads (provider_id, period) WHERE state = 'done';

    CREATE TABLE charge_lines (
      upload_id      TEXT NOT NULL REFERENCES charge_uploads(upload_id),
      line_no        INT NOT NULL CHECK (line_no >= 1),
      account_number TEXT NOT NULL REFERENCES personal_accounts(number),
      service_code   TEXT NOT NULL REFERENCES services(code),
      kind           TEXT NOT NULL CHECK (kind IN ('charge', 'recalculation')),
      -- The upload's period for a charge; the earlier period a recalculation corrects.
      for_period     DATE NOT NULL CHECK (extract(day FROM for_period) = 1),
      quantity       NUMERIC(14,3),
      unit           TEXT CHECK (length(unit) <= 16),
      tariff         NUMERIC(14,4),
      amount         amount_kzt NOT NULL,
      reason         TEXT CHECK (length(reason) <= 200),
      PRIMARY KEY (upload_id, line_no),
      CHECK (kind = 'recalculation' OR amount >= 0),
      CHECK (kind = 'charge' OR reason IS NOT NULL)
    );
    CREATE INDEX charge_lines_account ON charge_lines (account_number, service_code);

    CREATE TABLE charge_line_rejections (
      upload_id      TEXT NOT NULL REFERENCES charge_uploads(upload_id),
      line_no        INT NOT NULL CHECK (line_no >= 1),
      code           TEXT NOT NULL CHECK (code ~ '^[A-Z][A-Z_]{1,39}$'),
      message        TEXT NOT NULL CHECK (length(message) <= 300),
      -- What the row said, as far as it could be read (no foreign keys: an unknown account is refused here).
      account_number TEXT CHECK (length(account_number) <= 40),
      service_code   TEXT CHECK (length(service_code) <= 40),
      amount         amount_kzt,
      PRIMARY KEY (upload_id, line_no)
    );

    CREATE VIEW period_charges_current AS
      WITH current_uploads AS (
        SELECT DISTINCT ON (provider_id, period) upload_id, provider_id, period
          FROM charge_uploads
         WHERE state = 'done'
         ORDER BY provider_id, period, version DESC
      )
      SELECT u.period, u.provider_id, l.account_number, l.service_code,
             COALESCE(sum(l.amount) FILTER (WHERE l.kind = 'charge'), 0)::amount_kzt AS charged,
             COALESCE(sum(l.amount) FILTER (WHERE l.kind = 'recalculation'), 0)::amount_kzt AS recalculated
        FROM current_uploads u
        JOIN charge_lines l ON l.upload_id = u.upload_id
       GROUP BY u.period, u.provider_id, l.account_number, l.service_code;

    -- Keys are issued by operators (the CLI, as the owner); the application only reads them.
    REVOKE INSERT, UPDATE ON provider_api_keys FROM ${APP_ROLE};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP VIEW IF EXISTS period_charges_current;
    DROP TABLE IF EXISTS charge_line_rejections, charge_lines, charge_uploads, provider_api_keys, billing_periods;
  `);
}
