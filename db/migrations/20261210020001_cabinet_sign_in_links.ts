// The cabinet's one-time sign-in link by e-mail (issue 20 item 3, "or a one-time link to a
// confirmed e-mail"):
// - cabinet_sign_in_links: one row per link mailed, bound to the account and to the confirmed
//   subscription it went to; the token is stored as SHA-256 only, with an expiry and the time it
//   was used (a link signs in once).
// - cabinet_sign_in_link_requests: every accepted request of a link, known address or not, per
//   hashed address and hashed client address, for the rate limit (counting only the links mailed
//   would answer differently for a known address, which tells who is subscribed).
// - mail_subscriptions_confirmed_email: the request's look-up of an address across accounts.
// - cabinet_sessions.sign_in_method: how a session was opened, 'code' or 'link': the session row
//   is the record of a sign-in.
import type { Knex } from 'knex';
import { API_ROLE, APP_ROLE } from './roles';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE cabinet_sign_in_links (
      token_sha256    TEXT PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
      account_number  TEXT NOT NULL REFERENCES personal_accounts(number),
      subscription_id BIGINT NOT NULL REFERENCES mail_subscriptions(id),
      created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      expires_at      TIMESTAMPTZ NOT NULL,
      used_at         TIMESTAMPTZ,
      CHECK (expires_at > created_at),
      CHECK (used_at IS NULL OR used_at >= created_at)
    );
    CREATE INDEX cabinet_sign_in_links_account ON cabinet_sign_in_links (account_number, created_at);

    CREATE TABLE cabinet_sign_in_link_requests (
      id           BIGSERIAL PRIMARY KEY,
      email_sha256 TEXT NOT NULL CHECK (email_sha256 ~ '^[0-9a-f]{64}$'),
      ip_sha256    TEXT NOT NULL CHECK (ip_sha256 ~ '^[0-9a-f]{64}$'),
      at           TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX cabinet_sign_in_link_requests_email ON cabinet_sign_in_link_requests (email_sha256, at);
    CREATE INDEX cabinet_sign_in_link_requests_ip ON cabinet_sign_in_link_requests (ip_sha256, at);

    -- A request looks the address up among all accounts' subscriptions (the unique key starts with the account).
    CREATE INDEX mail_subscriptions_confirmed_email ON mail_subscriptions (email) WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL;

    ALTER TABLE cabinet_sessions ADD COLUMN sign_in_method TEXT NOT NULL DEFAULT 'code' CHECK (sign_in_method IN ('code', 'link'));

    -- Requests are facts: appended, never changed (like cabinet_sign_in_failures).
    REVOKE UPDATE ON cabinet_sign_in_link_requests FROM ${APP_ROLE};
  `);
  // The API mails and consumes links: it inserts them and sets used_at, nothing else.
  await knex.raw(`GRANT INSERT ON cabinet_sign_in_links, cabinet_sign_in_link_requests TO ${API_ROLE}`);
  await knex.raw(`GRANT UPDATE (used_at) ON cabinet_sign_in_links TO ${API_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE cabinet_sessions DROP COLUMN IF EXISTS sign_in_method');
  await knex.raw('DROP TABLE IF EXISTS cabinet_sign_in_link_requests, cabinet_sign_in_links');
  await knex.raw('DROP INDEX IF EXISTS mail_subscriptions_confirmed_email');
}
