// The month at 500,000 accounts (issue 18 scale): foreign keys whose check is already made, set-based,
// by the statement that writes the rows are dropped, because Postgres checks a foreign key row by
// row (one lookup and one row lock per row and key): 4 M balances × 4 keys were 43 % of the close's
// balances step, 4 M issued invoice lines × 3 keys 63 % of the issue, 4 M judged charge lines × 3
// keys most of the upload's judging.
// - period_balances: every row comes from an invoice line, a current charge line or a counted
//   payment's allocation of the same account (each with its own foreign keys), its service and
//   provider from the join with services in the same statement, its period from period_closes;
//   `spc audit period` proves the balances complete against those sources.
// - invoice_lines: its only writers are the seed (one COPY stream naming the ids it assigned) and the
//   close's issue, which takes invoice_id from the invoices it joins (inserted in the same
//   transaction), meter_id from the meters it joins and the service from the balances; invoices are
//   immutable (a trigger refuses DELETE), meters and services are never deleted, so a reference
//   that held at insert holds for ever.
// - charge_lines.account_number and .service_code: the judge (activities/charge-upload.ts) refuses a
//   line whose account is unknown (UNKNOWN_ACCOUNT) or whose service is not the provider's
//   (SERVICE_NOT_PROVIDERS) in the statement that accepts the others; accounts and services are
//   never deleted. charge_lines.upload_id keeps its key.
import type { Knex } from 'knex';

const DROPPED = [
  ['period_balances', 'period_balances_period_fkey', 'period', 'billing_periods(period)'],
  ['period_balances', 'period_balances_account_number_fkey', 'account_number', 'personal_accounts(number)'],
  ['period_balances', 'period_balances_service_code_fkey', 'service_code', 'services(code)'],
  ['period_balances', 'period_balances_provider_id_fkey', 'provider_id', 'providers(id)'],
  ['invoice_lines', 'invoice_lines_invoice_id_fkey', 'invoice_id', 'invoices(id)'],
  ['invoice_lines', 'invoice_lines_service_code_fkey', 'service_code', 'services(code)'],
  ['invoice_lines', 'invoice_lines_meter_id_fkey', 'meter_id', 'meters(id)'],
  ['charge_lines', 'charge_lines_account_number_fkey', 'account_number', 'personal_accounts(number)'],
  ['charge_lines', 'charge_lines_service_code_fkey', 'service_code', 'services(code)'],
] as const;

export async function up(knex: Knex): Promise<void> {
  for (const [table, name] of DROPPED) await knex.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${name}`);
}

export async function down(knex: Knex): Promise<void> {
  for (const [table, name, column, target] of DROPPED) await knex.raw(`ALTER TABLE ${table} ADD CONSTRAINT ${name} FOREIGN KEY (${column}) REFERENCES ${target}`);
}
