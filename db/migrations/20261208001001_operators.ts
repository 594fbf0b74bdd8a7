// Operators as authenticated people (issue 16 item 6):
// - operators: one row per person, id = the lower-case login (a business key: operator_audit,
//   corrections and complaints name operators by it). 'spc' is the SPC itself (the proposer of the
//   corrections it finds), so no person may be called that. A disabled operator keeps the row
//   (the audit trail names them) but no credential of theirs works.
// - operator_tokens: personal credentials (spco_…), stored as their SHA-256 only, with a short clear
//   prefix to list and revoke by; every token expires.
// Both are written by the owner only (the CLI as the database's owner: `spc operator …`); the
// application's role reads them to authenticate.
import type { Knex } from 'knex';
import { APP_ROLE } from './roles';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE operators (
      id           TEXT PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._@-]{0,63}$' AND id <> 'spc'),
      display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
      role         TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'auditor', 'admin')),
      created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
      disabled_at  TIMESTAMPTZ
    );

    CREATE TABLE operator_tokens (
      id           BIGSERIAL PRIMARY KEY,
      operator_id  TEXT NOT NULL REFERENCES operators(id),
      token_prefix TEXT NOT NULL,
      token_sha256 TEXT NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
      label        TEXT CHECK (length(label) <= 100),
      created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
      expires_at   TIMESTAMPTZ NOT NULL,
      revoked_at   TIMESTAMPTZ,
      CHECK (expires_at > created_at)
    );
    CREATE INDEX operator_tokens_operator ON operator_tokens (operator_id);

    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON operators, operator_tokens FROM ${APP_ROLE};
    REVOKE USAGE, UPDATE ON SEQUENCE operator_tokens_id_seq FROM ${APP_ROLE};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS operator_tokens, operators;');
}
