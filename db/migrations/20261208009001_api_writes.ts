// What the API's own role (spc_api, migration 20261208002001) may write beyond a bank's requests: the
// tables of the SPC's own half that a request writes directly rather than through a workflow.
// Default privileges give spc_api SELECT only on later tables, so each such table is named here, with
// the least each request needs: INSERT, and UPDATE only of the columns a request sets. Every other
// state change of these rows is the worker's (spc_worker).
import type { Knex } from 'knex';

const API_ROLE = 'spc_api';

const API_GRANTS: ReadonlyArray<{ table: string; insert: boolean; updateColumns?: string[] }> = [
  // A provider's charges upload (db/charge-uploads.ts): the period row it may open, the upload, its lines as received.
  { table: 'billing_periods', insert: true },
  { table: 'charge_uploads', insert: true },
  { table: 'charge_upload_rows', insert: true },
  // What a provider reports received (POST /v1/provider/transfers).
  { table: 'provider_transfers', insert: true },
  // The households' cabinet: sign-in failures, sessions (ended at logout or a code rotation), readings.
  { table: 'cabinet_sign_in_failures', insert: true },
  { table: 'cabinet_sessions', insert: true, updateColumns: ['ended_at'] },
  { table: 'cabinet_readings', insert: true },
  // E-mail subscriptions: subscribe, and the confirmation and unsubscribe links.
  { table: 'mail_subscriptions', insert: true, updateColumns: ['confirmed_at', 'unsubscribed_at'] },
];

export async function up(knex: Knex): Promise<void> {
  for (const g of API_GRANTS) {
    if (g.insert) await knex.raw(`GRANT INSERT ON ${g.table} TO ${API_ROLE}`);
    if (g.updateColumns) await knex.raw(`GRANT UPDATE (${g.updateColumns.join(', ')}) ON ${g.table} TO ${API_ROLE}`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const g of API_GRANTS) await knex.raw(`REVOKE INSERT, UPDATE ON ${g.table} FROM ${API_ROLE}`);
}
