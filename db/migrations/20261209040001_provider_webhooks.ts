// Providers' webhooks (issue 19): the daily register pushed, signed, to where the provider says.
// - provider_webhooks: the provider's URL. Set by the operators' CLI (as the owner) or by the provider
//   through its API (PUT /v1/provider/webhook, as spc_api: INSERT and UPDATE of url, updated_at).
//   Same rule as banks.webhook_url: https://, or http:// to a loopback address only.
// - provider_webhook_secrets: the shared secrets the pushes are signed with (HMAC-SHA256, like the
//   banks'), one current per provider, a rotated one signing beside it during its grace period. The
//   API inserts (a provider setting its first URL gets one) and retires on rotation; the worker only reads.
// - provider_register_deliveries: one row per register pushed, attempts counted like the banks'
//   webhook_deliveries (the worker's: default privileges).
import type { Knex } from 'knex';

const API_ROLE = 'spc_api';
const WORKER_ROLE = 'spc_worker';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE provider_webhooks (
      provider_id TEXT PRIMARY KEY REFERENCES providers(id),
      url         TEXT CHECK (
        url IS NULL
        OR url ~* '^https://[^/\\?#@]'
        OR url ~* '^http://(localhost|127(\\.[0-9]{1,3}){3}|\\[::1\\])(:[0-9]{1,5})\\?([/\\?#]|$)'
      ),
      updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
    );

    CREATE TABLE provider_webhook_secrets (
      id          BIGSERIAL PRIMARY KEY,
      provider_id TEXT NOT NULL REFERENCES providers(id),
      secret      TEXT NOT NULL,
      created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
      retired_at  TIMESTAMPTZ
    );
    CREATE UNIQUE INDEX provider_webhook_secrets_current ON provider_webhook_secrets (provider_id) WHERE retired_at IS NULL;

    CREATE TABLE provider_register_deliveries (
      register_id  TEXT PRIMARY KEY REFERENCES provider_registers(id),
      provider_id  TEXT NOT NULL REFERENCES providers(id),
      url          TEXT NOT NULL,
      attempts     INT NOT NULL DEFAULT 0,
      last_status  INT,
      last_error   TEXT,
      delivered_at TIMESTAMPTZ,
      created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX provider_register_deliveries_open ON provider_register_deliveries (provider_id) WHERE delivered_at IS NULL;

    GRANT INSERT, UPDATE (url, updated_at) ON provider_webhooks TO ${API_ROLE};
    GRANT INSERT, UPDATE (retired_at) ON provider_webhook_secrets TO ${API_ROLE};
    REVOKE INSERT, UPDATE ON provider_webhooks, provider_webhook_secrets FROM ${WORKER_ROLE};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS provider_register_deliveries, provider_webhook_secrets, provider_webhooks');
}
