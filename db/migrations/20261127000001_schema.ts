// The SPC data model. Amounts are NUMERIC(18,2): exact, with checks that mirror the assertions in
// code. Ledger postings are append-only (a trigger refuses UPDATE and DELETE), and every ledger
// transaction must balance at commit (a deferred constraint trigger). Every row written by a
// workflow carries the workflow id and run id that wrote it, so an auditor can walk from a row to
// its history and back.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE DOMAIN amount_kzt AS NUMERIC(18,2);

    CREATE TABLE banks (
      code            TEXT PRIMARY KEY CHECK (code ~ '^[A-Z]{4}$'),
      name            TEXT NOT NULL,
      bic             TEXT NOT NULL UNIQUE CHECK (bic ~ '^[A-Z]{4}KZ[A-Z0-9]{2}([A-Z0-9]{3})\\?$'),
      iban_code       TEXT NOT NULL CHECK (iban_code ~ '^[0-9]{3}$'),
      bin             TEXT NOT NULL CHECK (bin ~ '^[0-9]{12}$'),
      settlement_iban TEXT NOT NULL CHECK (settlement_iban ~ '^KZ[0-9]{5}[0-9A-Z]{13}$'),
      cutoff_local    TEXT NOT NULL DEFAULT '18:00' CHECK (cutoff_local ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
      webhook_url     TEXT,
      confirm_business_days INT NOT NULL DEFAULT 3 CHECK (confirm_business_days BETWEEN 1 AND 30),
      created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
    );

    CREATE TABLE providers (
      id          TEXT PRIMARY KEY CHECK (id ~ '^[A-Z][A-Z0-9_]{0,31}$'),
      name        TEXT NOT NULL,
      bin         TEXT NOT NULL UNIQUE CHECK (bin ~ '^[0-9]{12}$'),
      iban        TEXT NOT NULL CHECK (iban ~ '^KZ[0-9]{5}[0-9A-Z]{13}$'),
      bic         TEXT NOT NULL CHECK (bic ~ '^[A-Z]{4}KZ[A-Z0-9]{2}([A-Z0-9]{3})\\?$'),
      knp         TEXT NOT NULL CHECK (knp ~ '^[0-9]{3}$'),
      kbe         TEXT NOT NULL CHECK (kbe ~ '^[12][0-9]$')
    );

    CREATE TABLE services (
      code        TEXT PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{0,31}$'),
      name_ru     TEXT NOT NULL,
      name_kk     TEXT NOT NULL,
      name_en     TEXT NOT NULL,
      provider_id TEXT NOT NULL REFERENCES providers(id),
      metered     BOOLEAN NOT NULL,
      unit        TEXT,
      sort_order  INT NOT NULL DEFAULT 0,
      CHECK (NOT metered OR unit IS NOT NULL)
    );

    CREATE TABLE personal_accounts (
      number      TEXT PRIMARY KEY CHECK (number ~ '^[0-9]{6,16}$'),
      holder_name TEXT NOT NULL,
      address     TEXT NOT NULL
    );

    CREATE TABLE meters (
      id             BIGSERIAL PRIMARY KEY,
      account_number TEXT NOT NULL REFERENCES personal_accounts(number),
      service_code   TEXT NOT NULL REFERENCES services(code),
      serial_no      TEXT NOT NULL,
      UNIQUE (account_number, service_code)
    );

    CREATE TABLE invoices (
      id             BIGSERIAL PRIMARY KEY,
      account_number TEXT NOT NULL REFERENCES personal_accounts(number),
      period         DATE NOT NULL CHECK (extract(day FROM period) = 1),
      due_date       DATE NOT NULL,
      issued_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      UNIQUE (account_number, period)
    );
    CREATE INDEX invoices_account_period ON invoices (account_number, period DESC);

    -- opening_balance > 0 is debt carried over, < 0 an overpayment (credit); amount_due is what the
    -- invoice asks for: never negative, since a credit larger than the charge leaves nothing due.
    CREATE TABLE invoice_lines (
      invoice_id       BIGINT NOT NULL REFERENCES invoices(id),
      service_code     TEXT NOT NULL REFERENCES services(code),
      opening_balance  amount_kzt NOT NULL,
      charged          amount_kzt NOT NULL CHECK (charged >= 0),
      amount_due       amount_kzt NOT NULL CHECK (amount_due = GREATEST(opening_balance + charged, 0)),
      meter_id         BIGINT REFERENCES meters(id),
      previous_reading NUMERIC(14,3) CHECK (previous_reading >= 0),
      PRIMARY KEY (invoice_id, service_code)
    );

    CREATE TABLE calendar_days (
      day   DATE PRIMARY KEY,
      kind  TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
      name  TEXT NOT NULL
    );

    -- A bank-day is open until its settlement closes it; payments lock the row FOR SHARE, the close
    -- takes it FOR UPDATE, so a payment either lands before the close or moves to the next day.
    CREATE TABLE bank_days (
      bank_code     TEXT NOT NULL REFERENCES banks(code),
      business_date DATE NOT NULL,
      closed_at     TIMESTAMPTZ,
      closed_by_workflow_id TEXT,
      PRIMARY KEY (bank_code, business_date)
    );

    CREATE TABLE registers (
      id              TEXT PRIMARY KEY,
      bank_code       TEXT NOT NULL REFERENCES banks(code),
      business_date   DATE NOT NULL,
      file_sha256     TEXT NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
      declared_count  INT NOT NULL CHECK (declared_count >= 0),
      declared_total  amount_kzt NOT NULL CHECK (declared_total >= 0),
      row_count       INT NOT NULL CHECK (row_count >= 0),
      rows_done       INT NOT NULL DEFAULT 0,
      rows_accepted   INT NOT NULL DEFAULT 0,
      rows_rejected   INT NOT NULL DEFAULT 0,
      status          TEXT NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'done')),
      created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      workflow_id     TEXT,
      UNIQUE (bank_code, file_sha256)
    );

    CREATE TABLE register_rows (
      register_id TEXT NOT NULL REFERENCES registers(id),
      line_no     INT NOT NULL,
      bank_ref    TEXT NOT NULL,
      request     JSONB NOT NULL,
      status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
      code        TEXT,
      message     TEXT,
      PRIMARY KEY (register_id, line_no)
    );

    CREATE TABLE settlements (
      id              TEXT PRIMARY KEY,
      bank_code       TEXT NOT NULL REFERENCES banks(code),
      business_date   DATE NOT NULL,
      status          TEXT NOT NULL CHECK (status IN ('closing', 'discrepancy', 'aggregated', 'delivered', 'overdue', 'settled')),
      payment_count   INT NOT NULL DEFAULT 0,
      payments_total  amount_kzt NOT NULL DEFAULT 0,
      reversal_count  INT NOT NULL DEFAULT 0,
      reversals_total amount_kzt NOT NULL DEFAULT 0,
      net_total       amount_kzt NOT NULL DEFAULT 0,
      discrepancies   JSONB NOT NULL DEFAULT '[]',
      excluded_refs   JSONB NOT NULL DEFAULT '[]',
      execution_date  DATE,
      confirm_due_date DATE,
      msg_id          TEXT,
      created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      aggregated_at   TIMESTAMPTZ,
      delivered_at    TIMESTAMPTZ,
      confirmed_at    TIMESTAMPTZ,
      settled_at      TIMESTAMPTZ,
      workflow_id     TEXT NOT NULL,
      run_id          TEXT,
      UNIQUE (bank_code, business_date),
      CHECK (net_total = payments_total - reversals_total)
    );

    CREATE TABLE settlement_lines (
      settlement_id  TEXT NOT NULL REFERENCES settlements(id),
      line_no        INT NOT NULL CHECK (line_no >= 1),
      provider_id    TEXT NOT NULL REFERENCES providers(id),
      amount         amount_kzt NOT NULL CHECK (amount >= 0),
      payment_count  INT NOT NULL CHECK (payment_count >= 0),
      end_to_end_id  TEXT NOT NULL UNIQUE,
      transfer_ref   TEXT,
      confirmed_at   TIMESTAMPTZ,
      PRIMARY KEY (settlement_id, line_no),
      UNIQUE (settlement_id, provider_id)
    );

    CREATE TABLE settlement_files (
      settlement_id TEXT NOT NULL REFERENCES settlements(id),
      format        TEXT NOT NULL CHECK (format IN ('pain001', 'csv')),
      content       BYTEA NOT NULL,
      sha256        TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (settlement_id, format)
    );

    CREATE TABLE webhook_deliveries (
      settlement_id TEXT NOT NULL REFERENCES settlements(id),
      url           TEXT NOT NULL,
      attempts      INT NOT NULL DEFAULT 0,
      last_status   INT,
      last_error    TEXT,
      delivered_at  TIMESTAMPTZ,
      PRIMARY KEY (settlement_id)
    );

    CREATE TABLE payments (
      id             BIGSERIAL PRIMARY KEY,
      bank_code      TEXT NOT NULL REFERENCES banks(code),
      bank_ref       TEXT NOT NULL CHECK (length(bank_ref) BETWEEN 1 AND 64),
      request_hash   TEXT NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
      channel        TEXT NOT NULL CHECK (channel IN ('cash_desk', 'online', 'kiosk', 'register')),
      account_number TEXT NOT NULL REFERENCES personal_accounts(number),
      invoice_id     BIGINT NOT NULL REFERENCES invoices(id),
      amount         amount_kzt NOT NULL CHECK (amount > 0),
      paid_at        TIMESTAMPTZ NOT NULL,
      business_date  DATE NOT NULL,
      -- 'settled' is derived, not stored: an accepted payment is settled when the settlement of its
      -- bank-day is (settlements.id = bank_code:business_date), so closing a day of a million
      -- payments touches one row, not a million. 'excluded' is an operator's decision at
      -- reconciliation, posted as a reversal.
      status         TEXT NOT NULL CHECK (status IN ('accepted', 'cancelled', 'excluded')),
      register_id    TEXT REFERENCES registers(id),
      pile_no        TEXT,
      posted_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      cancelled_at   TIMESTAMPTZ,
      workflow_id    TEXT NOT NULL,
      run_id         TEXT NOT NULL,
      UNIQUE (bank_code, bank_ref),
      FOREIGN KEY (bank_code, business_date) REFERENCES bank_days(bank_code, business_date),
      CHECK ((status = 'accepted') = (cancelled_at IS NULL))
    );
    CREATE INDEX payments_bank_day ON payments (bank_code, business_date) INCLUDE (status, amount);

    CREATE TABLE allocations (
      payment_id   BIGINT NOT NULL REFERENCES payments(id),
      service_code TEXT NOT NULL REFERENCES services(code),
      provider_id  TEXT NOT NULL REFERENCES providers(id),
      amount       amount_kzt NOT NULL CHECK (amount > 0),
      PRIMARY KEY (payment_id, service_code)
    );

    CREATE TABLE meter_readings (
      id             BIGSERIAL PRIMARY KEY,
      meter_id       BIGINT NOT NULL REFERENCES meters(id),
      payment_id     BIGINT NOT NULL REFERENCES payments(id),
      value          NUMERIC(14,3) NOT NULL,
      previous_value NUMERIC(14,3) NOT NULL,
      read_at        TIMESTAMPTZ NOT NULL,
      CHECK (value >= previous_value),
      UNIQUE (payment_id, meter_id)
    );
    CREATE INDEX meter_readings_meter ON meter_readings (meter_id, read_at DESC);

    CREATE TABLE payment_rejections (
      id           BIGSERIAL PRIMARY KEY,
      bank_code    TEXT NOT NULL,
      bank_ref     TEXT NOT NULL,
      request_hash TEXT NOT NULL,
      code         TEXT NOT NULL,
      message      TEXT NOT NULL,
      request      JSONB NOT NULL,
      workflow_id  TEXT NOT NULL,
      run_id       TEXT NOT NULL,
      created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
      UNIQUE (workflow_id, run_id)
    );
    CREATE INDEX payment_rejections_bank ON payment_rejections (bank_code, created_at);

    -- Double-entry ledger. Accounts are text keys:
    --   bank:<CODE>          what the bank holds for providers (debited on payment, credited on transfer)
    --   provider:<ID>        what is owed to a provider (credited on payment, debited on transfer)
    CREATE TABLE ledger_transactions (
      id            BIGSERIAL PRIMARY KEY,
      kind          TEXT NOT NULL CHECK (kind IN ('payment', 'reversal', 'transfer')),
      payment_id    BIGINT REFERENCES payments(id),
      settlement_id TEXT REFERENCES settlements(id),
      business_date DATE NOT NULL,
      workflow_id   TEXT NOT NULL,
      run_id        TEXT NOT NULL,
      created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
      CHECK ((kind = 'transfer') = (settlement_id IS NOT NULL AND payment_id IS NULL))
    );
    -- At most one payment posting and one reversal per payment: the final guard of idempotency.
    CREATE UNIQUE INDEX ledger_one_per_payment ON ledger_transactions (payment_id, kind) WHERE payment_id IS NOT NULL;
    CREATE UNIQUE INDEX ledger_one_transfer ON ledger_transactions (settlement_id) WHERE kind = 'transfer';

    CREATE TABLE ledger_postings (
      id             BIGSERIAL PRIMARY KEY,
      transaction_id BIGINT NOT NULL REFERENCES ledger_transactions(id),
      account        TEXT NOT NULL CHECK (account ~ '^(bank|provider):[A-Z0-9_]+$'),
      debit          amount_kzt NOT NULL DEFAULT 0 CHECK (debit >= 0),
      credit         amount_kzt NOT NULL DEFAULT 0 CHECK (credit >= 0),
      CHECK ((debit > 0) <> (credit > 0))
    );
    CREATE INDEX ledger_postings_tx ON ledger_postings (transaction_id);

    CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger is append-only: % on % refused (post a reversal instead)', TG_OP, TG_TABLE_NAME;
    END $$;
    CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
    CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
      FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

    CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE d NUMERIC; c NUMERIC;
    BEGIN
      SELECT COALESCE(sum(debit), 0), COALESCE(sum(credit), 0) INTO d, c FROM ledger_postings WHERE transaction_id = NEW.transaction_id;
      IF d <> c OR d = 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: debit % credit %', NEW.transaction_id, d, c;
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER ledger_balanced AFTER INSERT ON ledger_postings
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

    CREATE TABLE bank_api_keys (
      id          BIGSERIAL PRIMARY KEY,
      bank_code   TEXT NOT NULL REFERENCES banks(code),
      key_prefix  TEXT NOT NULL,
      key_sha256  TEXT NOT NULL UNIQUE CHECK (key_sha256 ~ '^[0-9a-f]{64}$'),
      label       TEXT,
      created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
      revoked_at  TIMESTAMPTZ
    );

    CREATE TABLE operator_audit (
      id        BIGSERIAL PRIMARY KEY,
      operator  TEXT NOT NULL CHECK (length(operator) BETWEEN 1 AND 64),
      action    TEXT NOT NULL,
      args      JSONB NOT NULL,
      outcome   TEXT NOT NULL DEFAULT 'ok',
      at        TIMESTAMPTZ NOT NULL DEFAULT now()
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE IF EXISTS operator_audit, bank_api_keys, ledger_postings, ledger_transactions, payment_rejections,
      meter_readings, allocations, payments, webhook_deliveries, settlement_files, settlement_lines, settlements,
      register_rows, registers, bank_days, calendar_days, invoice_lines, invoices, meters, personal_accounts,
      services, providers, banks CASCADE;
    DROP FUNCTION IF EXISTS ledger_append_only, ledger_check_balanced;
    DROP DOMAIN IF EXISTS amount_kzt;
  `);
}
