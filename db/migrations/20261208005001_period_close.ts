// The SPC's month, close side (issue 18 items 4–7):
// - invoices get a version: the close issues version 1 of the next period's invoice; a correction
//   issues a new version, never an edit. Invoices and their lines are immutable once issued (a
//   trigger refuses UPDATE and DELETE, for the owner too).
// - period_closes: one row per period close (the workflow `period:<YYYY-MM>`): its step, its
//   figures and the providers that had not uploaded charges.
// - period_counted: which close counted each payment, each reversal of a counted payment and each
//   after-close correction. A payment is counted by the first close after it is posted, so one
//   accepted after the close for the closed period counts in the next one, and never twice.
// - period_balances: per period, account and service the close's figures; the row proves its own
//   arithmetic (closing = opening + charged + recalculated − paid + corrected).
// - the ledger carries the households' receivables per provider: one 'period' transaction per close
//   (receivable:<P> against billed:<P> for charges, collected:<P> for what was paid, opening:<P> for
//   the balances the first close found on the invoices).
import type { Knex } from 'knex';
import { APP_ROLE } from './roles';

const ACCOUNT_RE_OLD = '^(bank|provider):[A-Z0-9_]+$';
const ACCOUNT_RE_NEW = '^(bank|provider|receivable|billed|collected|opening):[A-Z0-9_]+$';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE invoices ADD COLUMN version INT NOT NULL DEFAULT 1 CHECK (version >= 1);
    ALTER TABLE invoices DROP CONSTRAINT invoices_account_number_period_key;
    ALTER TABLE invoices ADD CONSTRAINT invoices_account_period_version UNIQUE (account_number, period, version);

    CREATE FUNCTION invoice_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'an issued invoice is immutable: % on % refused (issue a new version instead)', TG_OP, TG_TABLE_NAME;
    END $$;
    CREATE TRIGGER invoices_immutable BEFORE UPDATE OR DELETE ON invoices FOR EACH ROW EXECUTE FUNCTION invoice_immutable();
    CREATE TRIGGER invoice_lines_immutable BEFORE UPDATE OR DELETE ON invoice_lines FOR EACH ROW EXECUTE FUNCTION invoice_immutable();

    CREATE TABLE period_closes (
      period            DATE PRIMARY KEY REFERENCES billing_periods(period),
      workflow_id       TEXT NOT NULL,
      started_by        TEXT NOT NULL CHECK (length(started_by) BETWEEN 1 AND 100),
      step              TEXT NOT NULL CHECK (step IN ('counting', 'balancing', 'posting', 'issuing', 'done')),
      missing_providers TEXT[] NOT NULL DEFAULT '{}',
      payments_counted  INT NOT NULL DEFAULT 0,
      balances          INT NOT NULL DEFAULT 0,
      invoices_issued   INT NOT NULL DEFAULT 0,
      opening_total     amount_kzt,
      charged_total     amount_kzt,
      recalculated_total amount_kzt,
      paid_total        amount_kzt,
      corrected_total   amount_kzt,
      closing_total     amount_kzt,
      next_due_date     DATE,
      started_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
      finished_at       TIMESTAMPTZ,
      CHECK ((step = 'done') = (finished_at IS NOT NULL))
    );

    CREATE TABLE period_counted (
      source     TEXT NOT NULL CHECK (source IN ('payment', 'reversal', 'correction')),
      source_id  TEXT NOT NULL,
      period     DATE NOT NULL REFERENCES billing_periods(period),
      PRIMARY KEY (source, source_id)
    );
    CREATE INDEX period_counted_period ON period_counted (period, source);

    CREATE TABLE period_balances (
      period         DATE NOT NULL REFERENCES billing_periods(period),
      account_number TEXT NOT NULL REFERENCES personal_accounts(number),
      service_code   TEXT NOT NULL REFERENCES services(code),
      provider_id    TEXT NOT NULL REFERENCES providers(id),
      opening        amount_kzt NOT NULL,
      charged        amount_kzt NOT NULL,
      recalculated   amount_kzt NOT NULL,
      paid           amount_kzt NOT NULL,
      corrected      amount_kzt NOT NULL,
      closing        amount_kzt NOT NULL,
      PRIMARY KEY (period, account_number, service_code),
      CHECK (closing = opening + charged + recalculated - paid + corrected)
    );
    CREATE INDEX period_balances_provider ON period_balances (period, provider_id);

    ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
    ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check CHECK (kind IN ('payment', 'reversal', 'transfer', 'correction', 'period'));
    ALTER TABLE ledger_transactions ADD COLUMN period DATE REFERENCES billing_periods(period);
    ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_period_link CHECK ((kind = 'period') = (period IS NOT NULL AND payment_id IS NULL));
    CREATE UNIQUE INDEX ledger_one_per_period ON ledger_transactions (period) WHERE kind = 'period';
    ALTER TABLE ledger_postings DROP CONSTRAINT ledger_postings_account_check;
    ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_account_check CHECK (account ~ '${ACCOUNT_RE_NEW}');

    -- What a close counted and computed is history: the application appends, never rewrites.
    REVOKE UPDATE ON period_counted, period_balances FROM ${APP_ROLE};
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE ledger_postings DROP CONSTRAINT ledger_postings_account_check;
    ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_account_check CHECK (account ~ '${ACCOUNT_RE_OLD}') NOT VALID;
    DROP INDEX IF EXISTS ledger_one_per_period;
    ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_period_link;
    ALTER TABLE ledger_transactions DROP COLUMN period;
    ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
    ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check CHECK (kind IN ('payment', 'reversal', 'transfer', 'correction')) NOT VALID;
    DROP TABLE IF EXISTS period_balances, period_counted, period_closes;
    DROP TRIGGER IF EXISTS invoice_lines_immutable ON invoice_lines;
    DROP TRIGGER IF EXISTS invoices_immutable ON invoices;
    DROP FUNCTION IF EXISTS invoice_immutable;
    ALTER TABLE invoices DROP CONSTRAINT invoices_account_period_version;
    ALTER TABLE invoices ADD CONSTRAINT invoices_account_number_period_key UNIQUE (account_number, period);
    ALTER TABLE invoices DROP COLUMN version;
  `);
}
