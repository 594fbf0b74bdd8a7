// Migrations are listed here rather than discovered on disk, so that the same list runs under tsx,
// jest and a compiled build alike. Append new migrations; never edit one that has shipped.
import type { Knex } from 'knex';
import * as schema from './20261127000001_schema';
import * as bulkPosting from './20261201000001_bulk_posting';
import * as corrections from './20261201000002_corrections';
import * as masterDataChecks from './20261201000003_master_data_checks';
import * as access from './20261201000004_access';
import * as invoicePayments from './20261201000004_invoice_payments';
import * as ledgerBalancePerTransaction from './20261201000010_ledger_balance_per_transaction';
import * as ledgerNoTruncate from './20261207001001_ledger_no_truncate';
import * as providerIntake from './20261207005001_provider_intake';
import * as correctionsReplacementIndex from './20261208003001_corrections_replacement_index';
import * as chargeUploadRows from './20261208004001_charge_upload_rows';
import * as monthBulkChecks from './20261209030001_month_bulk_checks';
import * as appRoles from './20261208002001_app_roles';
import * as apiWrites from './20261208009001_api_writes';
import * as apiMailResubscribe from './20261208020001_api_mail_resubscribe';
import * as householdsPrintMail from './20261208007001_households_print_mail';
import * as cabinet from './20261208008001_cabinet';
import * as providerRegisters from './20261208006001_provider_registers';
import * as operators from './20261208001001_operators';
import * as periodClose from './20261208005001_period_close';
import * as opsSessions from './20261208010001_ops_sessions';
import * as providerWebhooks from './20261209040001_provider_webhooks';
import * as invoiceCorrected from './20261209060001_invoice_corrected';
import * as mailPendingIndex from './20261210010001_mail_pending_index';
import * as cabinetSignInLinks from './20261210020001_cabinet_sign_in_links';
import * as printRunFilesLastKey from './20261210040001_print_run_files_last_key';

const MIGRATIONS: Record<string, Knex.Migration> = {
  '20261127000001_schema': schema,
  '20261201000001_bulk_posting': bulkPosting,
  '20261201000002_corrections': corrections,
  '20261201000003_master_data_checks': masterDataChecks,
  '20261201000004_access': access,
  '20261201000004_invoice_payments': invoicePayments,
  '20261201000010_ledger_balance_per_transaction': ledgerBalancePerTransaction,
  '20261207001001_ledger_no_truncate': ledgerNoTruncate,
  '20261207005001_provider_intake': providerIntake,
  '20261208003001_corrections_replacement_index': correctionsReplacementIndex,
  '20261208004001_charge_upload_rows': chargeUploadRows,
  '20261208002001_app_roles': appRoles,
  '20261208009001_api_writes': apiWrites,
  '20261208020001_api_mail_resubscribe': apiMailResubscribe,
  '20261209060001_invoice_corrected': invoiceCorrected,
  '20261210010001_mail_pending_index': mailPendingIndex,
  '20261210020001_cabinet_sign_in_links': cabinetSignInLinks,
  '20261210040001_print_run_files_last_key': printRunFilesLastKey,
  '20261208007001_households_print_mail': householdsPrintMail,
  '20261208008001_cabinet': cabinet,
  '20261208006001_provider_registers': providerRegisters,
  '20261208001001_operators': operators,
  '20261208005001_period_close': periodClose,
  '20261208010001_ops_sessions': opsSessions,
  '20261209040001_provider_webhooks': providerWebhooks,
  '20261209030001_month_bulk_checks': monthBulkChecks,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const migration = MIGRATIONS[name];
    if (!migration) throw new Error(`unknown migration ${name}`);
    return migration;
  },
};
