// The cabinet's e-mail form (issue 20 item 2) subscribes as the API's role, spc_api: subscribe()
// (db/mail-subscriptions.ts) upserts, and a repeated subscription of the same address refreshes its
// confirmation link. Migration 20261208009001 granted UPDATE of confirmed_at and unsubscribed_at
// only, so the upsert was refused; this grants the two columns of the link as well, nothing more.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('GRANT UPDATE (confirm_token_sha256, confirm_expires_at) ON mail_subscriptions TO spc_api');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('REVOKE UPDATE (confirm_token_sha256, confirm_expires_at) ON mail_subscriptions FROM spc_api');
}
