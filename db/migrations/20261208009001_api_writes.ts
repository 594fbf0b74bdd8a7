// What the API's own role (spc_api, migration 20261208002001) may append beyond a bank's requests:
// the tables of the SPC's own half that a request writes directly rather than through a workflow.
// Default privileges give spc_api SELECT only on later tables, so each such table is named here.
// INSERT only: every later state change of these rows is the worker's (spc_worker).
import type { Knex } from 'knex';

const API_ROLE = 'spc_api';

/** A provider's charges upload (db/charge-uploads.ts): the period row it may open, the upload, its lines as received. */
const CHARGE_INTAKE_TABLES = ['billing_periods', 'charge_uploads', 'charge_upload_rows'];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`GRANT INSERT ON ${CHARGE_INTAKE_TABLES.join(', ')} TO ${API_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`REVOKE INSERT ON ${CHARGE_INTAKE_TABLES.join(', ')} FROM ${API_ROLE}`);
}
