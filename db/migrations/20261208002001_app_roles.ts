// Who may change who gets paid (issue 16, item 7). Until now the application's one role (spc_app)
// could UPDATE a provider's IBAN, a bank's settlement account or webhook URL, and a payment list
// already handed to a bank. After this migration:
// - Master data (banks with their settlement IBAN, BIC and webhook URL, providers with their IBAN and
//   BIC, services, the calendar) is read-only for every application role: it changes only through
//   the operators' CLI, which connects as the owner and records each action in operator_audit. The
//   bank API has no route that sets a webhook URL, so nothing of the application needs to write it.
// - settlement_files (the issued payment lists) refuse UPDATE, DELETE and TRUNCATE by a trigger, for
//   the owner too (like the ledger's, 20261207001001): a list is changed only by first dropping the
//   trigger, a schema change, not a slip. The application roles have INSERT only.
// - The API and the worker get roles of their own (db/app-role.ts): spc_api reads everything and
//   appends what a bank's request records; spc_worker writes what the activities write. spc_app
//   stays, as restricted as spc_worker, for installations that set only SPC_APP_DATABASE_URL.
// Tables of later migrations: SELECT for spc_api, SELECT/INSERT/UPDATE for spc_worker (default
// privileges); a later table the API writes needs its own GRANT to spc_api.
// Roles are cluster-wide: each is created when missing, every GRANT is on this database only.
import type { Knex } from 'knex';
import { API_ROLE, APP_ROLE, WORKER_ROLE, createAppRoleIfMissing } from './roles';

/** Master data: who gets paid, where, for what, on which days. The operators' (the CLI's) to change. */
const MASTER_DATA_TABLES = ['banks', 'providers', 'services', 'calendar_days'];
/** Appended, never rewritten, by the worker: the ledger, the audit trail, the issued payment lists. */
const WORKER_APPEND_ONLY_TABLES = ['ledger_transactions', 'ledger_postings', 'operator_audit', 'settlement_files'];
/** Written by nothing the worker runs: operators' keys and secrets, the API's key trail, the migrations. */
const WORKER_READ_ONLY_TABLES = ['bank_api_keys', 'bank_webhook_secrets', 'provider_api_keys', 'api_key_actions', 'knex_migrations', 'knex_migrations_lock'];
/** What the API appends: which key did what (api/key-actions.ts), a bank's register and its rows (client/registers.ts). */
const API_INSERT_TABLES = ['api_key_actions', 'registers', 'register_rows'];

function connectSql(role: string): string {
  return `
    DO $$ BEGIN EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO ${role}', current_database()); END $$;
    GRANT USAGE ON SCHEMA public TO ${role};
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${role};`;
}

async function grantWorkerRole(knex: Knex): Promise<void> {
  await knex.raw(`${connectSql(WORKER_ROLE)}
    GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ${WORKER_ROLE};
    REVOKE INSERT, UPDATE ON ${[...MASTER_DATA_TABLES, ...WORKER_READ_ONLY_TABLES].join(', ')} FROM ${WORKER_ROLE};
    REVOKE UPDATE ON ${WORKER_APPEND_ONLY_TABLES.join(', ')} FROM ${WORKER_ROLE};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO ${WORKER_ROLE};
  `);
}

async function grantApiRole(knex: Knex): Promise<void> {
  await knex.raw(`${connectSql(API_ROLE)}
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${API_ROLE};
    GRANT INSERT ON ${API_INSERT_TABLES.join(', ')} TO ${API_ROLE};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${API_ROLE};
  `);
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION settlement_files_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'settlement_files is immutable: an issued payment list is never changed or removed (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER settlement_files_immutable BEFORE UPDATE OR DELETE ON settlement_files
      FOR EACH ROW EXECUTE FUNCTION settlement_files_immutable();
    CREATE TRIGGER settlement_files_no_truncate BEFORE TRUNCATE ON settlement_files
      FOR EACH STATEMENT EXECUTE FUNCTION settlement_files_immutable();

    REVOKE INSERT, UPDATE ON ${MASTER_DATA_TABLES.join(', ')} FROM ${APP_ROLE};
    REVOKE UPDATE ON settlement_files FROM ${APP_ROLE};
  `);
  await createAppRoleIfMissing(knex, API_ROLE);
  await createAppRoleIfMissing(knex, WORKER_ROLE);
  await grantWorkerRole(knex);
  await grantApiRole(knex);
}

export async function down(knex: Knex): Promise<void> {
  // The roles stay: they are cluster-wide and other databases may use them.
  for (const role of [API_ROLE, WORKER_ROLE]) {
    await knex.raw(`
      REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role};
      REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${role};
      ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM ${role};
      ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM ${role};
      REVOKE ALL ON SCHEMA public FROM ${role};
      DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM ${role}', current_database()); END $$;
    `);
  }
  await knex.raw(`
    GRANT INSERT, UPDATE ON ${MASTER_DATA_TABLES.join(', ')} TO ${APP_ROLE};
    GRANT UPDATE ON settlement_files TO ${APP_ROLE};
    DROP TRIGGER IF EXISTS settlement_files_no_truncate ON settlement_files;
    DROP TRIGGER IF EXISTS settlement_files_immutable ON settlement_files;
    DROP FUNCTION IF EXISTS settlement_files_immutable();
  `);
}
