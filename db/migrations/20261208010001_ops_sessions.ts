// The operator page's sign-in (issue 16 item 6): a person signs in to /ops with their operator id and
// personal token (db/operators.ts), and gets a server-side session like the cabinet's.
// - ops_sessions: the cookie's token and the CSRF token as SHA-256 only, the operator, an absolute
//   expiry (8 h), the last use (for the 1 h idle limit) and the time of a logout.
// - ops_sign_in_failures: wrong tokens per client address (hashed), for the rate limit; the claimed
//   id is kept (bounded) for the audit of who was tried.
// The API's role writes both: INSERT, and UPDATE of the columns a request sets.
import type { Knex } from 'knex';
import { API_ROLE } from './roles';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE ops_sessions (
      token_sha256 TEXT PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
      csrf_sha256  TEXT NOT NULL CHECK (csrf_sha256 ~ '^[0-9a-f]{64}$'),
      operator_id  TEXT NOT NULL REFERENCES operators(id),
      created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
      last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      expires_at   TIMESTAMPTZ NOT NULL,
      ended_at     TIMESTAMPTZ,
      CHECK (expires_at > created_at)
    );
    CREATE INDEX ops_sessions_operator ON ops_sessions (operator_id, created_at);

    -- No foreign key on the claimed id: tries of ids that do not exist count too.
    CREATE TABLE ops_sign_in_failures (
      id          BIGSERIAL PRIMARY KEY,
      claimed_id  TEXT NOT NULL CHECK (length(claimed_id) <= 64),
      ip_sha256   TEXT NOT NULL CHECK (ip_sha256 ~ '^[0-9a-f]{64}$'),
      at          TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX ops_sign_in_failures_ip ON ops_sign_in_failures (ip_sha256, at);
  `);
  await knex.raw(`GRANT INSERT ON ops_sessions TO ${API_ROLE}`);
  await knex.raw(`GRANT UPDATE (last_seen_at, ended_at) ON ops_sessions TO ${API_ROLE}`);
  await knex.raw(`GRANT INSERT ON ops_sign_in_failures TO ${API_ROLE}`);
  // What an operator does on /ops is recorded with who did it, refusals too (api/ops-actions.ts).
  await knex.raw(`GRANT INSERT ON operator_audit TO ${API_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`REVOKE INSERT ON operator_audit FROM ${API_ROLE}`);
  await knex.raw('DROP TABLE IF EXISTS ops_sign_in_failures, ops_sessions');
}
