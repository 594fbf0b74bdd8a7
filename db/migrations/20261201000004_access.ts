// Access that fits a bank (issue 11, production topology):
// - API keys carry scopes (api/scopes.ts), an optional expiry and an optional per-key rate limit.
//   Keys issued before this migration get every scope, so nothing that works today breaks.
// - api_key_actions: which key made each state change through the API (payment, cancellation,
//   register, confirmation, complaint). Append-only for the application.
// - bank_webhook_secrets: the per-bank shared secret the webhooks are signed with (HMAC-SHA256,
//   domain/webhook-signature.ts). A bank that already has a webhook URL gets a secret here, so its
//   pushes go on (signed); the operator hands it over with `spc bank webhook rotate-secret`.
// - banks.webhook_url must be https://, or http:// to a loopback address (checked NOT VALID: an
//   old row keeps migrating, and is refused at send time by the same rule in code).
// - The application's role (db/app-role.ts, spc_app): the API and the workers connect as it. It may
//   read and write what the application writes, but it owns nothing (so it cannot ALTER TABLE ...
//   DISABLE TRIGGER), has no TRUNCATE, no DELETE, and only SELECT and INSERT on the ledger and the
//   audit tables. Roles are cluster-wide: the role is created when missing (parallel test databases
//   may race on it), and every GRANT is on this database's objects only.
import type { Knex } from 'knex';
import { APP_ROLE, createAppRoleIfMissing } from './roles';

/** The scopes every key held before scopes existed: all of them (api/scopes.ts, API_SCOPES). */
const ALL_SCOPES_SQL = "ARRAY['lookup', 'pay', 'cancel', 'registers', 'settlements:read', 'settlements:confirm', 'complaints']::TEXT[]";

/** Tables the application only appends to: rewriting history is not the application's business. */
const APPEND_ONLY_TABLES = ['ledger_transactions', 'ledger_postings', 'operator_audit', 'api_key_actions'];
/** Tables the application only reads: keys and webhook secrets are issued by operators (the CLI). */
const READ_ONLY_TABLES = ['bank_api_keys', 'bank_webhook_secrets', 'knex_migrations', 'knex_migrations_lock'];

async function grantAppRole(knex: Knex): Promise<void> {
  const appendOnly = APPEND_ONLY_TABLES.join(', ');
  const readOnly = READ_ONLY_TABLES.join(', ');
  await knex.raw(`
    DO $$ BEGIN EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO ${APP_ROLE}', current_database()); END $$;
    GRANT USAGE ON SCHEMA public TO ${APP_ROLE};
    GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ${APP_ROLE};
    REVOKE UPDATE ON ${appendOnly} FROM ${APP_ROLE};
    REVOKE INSERT, UPDATE ON ${readOnly} FROM ${APP_ROLE};
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE};
    -- Tables of later migrations (run by the same owner) are the application's to read and write;
    -- a later migration that adds an append-only table revokes UPDATE on it, as above.
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO ${APP_ROLE};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${APP_ROLE};
  `);
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE bank_api_keys ADD COLUMN scopes TEXT[] NOT NULL DEFAULT ${ALL_SCOPES_SQL};
    -- Only the keys that existed get the default; a new key always names its scopes.
    ALTER TABLE bank_api_keys ALTER COLUMN scopes DROP DEFAULT;
    ALTER TABLE bank_api_keys ADD CONSTRAINT bank_api_keys_scopes_known CHECK (cardinality(scopes) >= 1 AND scopes <@ ${ALL_SCOPES_SQL});
    ALTER TABLE bank_api_keys ADD COLUMN expires_at TIMESTAMPTZ;
    ALTER TABLE bank_api_keys ADD COLUMN rate_limit_per_minute INT CHECK (rate_limit_per_minute BETWEEN 1 AND 1000000);

    CREATE TABLE api_key_actions (
      id        BIGSERIAL PRIMARY KEY,
      key_id    BIGINT NOT NULL REFERENCES bank_api_keys(id),
      bank_code TEXT NOT NULL REFERENCES banks(code),
      action    TEXT NOT NULL CHECK (action IN ('payment.submit', 'payment.cancel', 'register.upload', 'settlement.confirm', 'complaint.raise')),
      -- The business id the request acted on: payment:<BANK>:<ref>, a register id, <BANK>:<date>, a complaint id.
      subject   TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
      -- 'ok', 'repeat' (an idempotent repeat), or the refusal code the bank was answered.
      outcome   TEXT NOT NULL CHECK (length(outcome) BETWEEN 1 AND 64),
      at        TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX api_key_actions_subject ON api_key_actions (subject);
    CREATE INDEX api_key_actions_key ON api_key_actions (key_id, at);

    CREATE TABLE bank_webhook_secrets (
      id         BIGSERIAL PRIMARY KEY,
      bank_code  TEXT NOT NULL REFERENCES banks(code),
      secret     TEXT NOT NULL CHECK (secret ~ '^spcwh_[A-Za-z0-9_-]{43}$'),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      -- When this secret stops signing: NULL for the current one; a rotation sets the previous
      -- one's to a grace period ahead, during which pushes carry both signatures.
      retired_at TIMESTAMPTZ
    );
    CREATE UNIQUE INDEX bank_webhook_secrets_current ON bank_webhook_secrets (bank_code) WHERE retired_at IS NULL;
    -- 32 random bytes (two v4 UUIDs give 244 random bits of pg_strong_random), base64url.
    INSERT INTO bank_webhook_secrets (bank_code, secret)
      SELECT code, 'spcwh_' || translate(encode(decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'), 'base64'), '+/=', '-_')
        FROM banks WHERE webhook_url IS NOT NULL;

    ALTER TABLE banks ADD CONSTRAINT banks_webhook_url_secure CHECK (
      webhook_url IS NULL
      OR webhook_url ~* '^https://[^/\\?#@]'
      OR webhook_url ~* '^http://(localhost|127(\\.[0-9]{1,3}){3}|\\[::1\\])(:[0-9]{1,5})\\?([/\\?#]|$)'
    ) NOT VALID;
  `);
  // NOLOGIN until a setup step gives it a password (`spc up` on its embedded Postgres, the test
  // harness, or the DBA: ALTER ROLE spc_app LOGIN PASSWORD '...').
  await createAppRoleIfMissing(knex);
  await grantAppRole(knex);
}

export async function down(knex: Knex): Promise<void> {
  // The role stays: it is cluster-wide and other databases may use it.
  await knex.raw(`
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${APP_ROLE};
    REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${APP_ROLE};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM ${APP_ROLE};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM ${APP_ROLE};
    REVOKE ALL ON SCHEMA public FROM ${APP_ROLE};
    DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM ${APP_ROLE}', current_database()); END $$;
    ALTER TABLE banks DROP CONSTRAINT IF EXISTS banks_webhook_url_secure;
    DROP TABLE IF EXISTS bank_webhook_secrets, api_key_actions;
    ALTER TABLE bank_api_keys DROP COLUMN IF EXISTS rate_limit_per_minute, DROP COLUMN IF EXISTS expires_at,
      DROP CONSTRAINT IF EXISTS bank_api_keys_scopes_known, DROP COLUMN IF EXISTS scopes;
  `);
}
