// The provider's side of the payment lists (issue 19):
// - provider_registers: one immutable register per provider and business day, built once every
//   bank's list of that day is delivered. Its id is a business key (<PROVIDER>:<YYYY-MM-DD>:v<n>);
//   a day that changes after it was built (a bank-day settled late) gets a new version, the old one
//   stays as what the provider was sent. line_count/total are asserted equal to the banks' list lines.
// - provider_register_files: the register's bytes per format (csv, camt054) with their SHA-256:
//   what the provider downloads, byte-identical every time.
// - provider_register_bank_totals: per register and bank, the list line it accounts for.
// - provider_transfers: what a provider reports it received, per bank, list day and statement
//   reference (one row per reference: a repeated report of the same reference is the same row).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE provider_registers (
      id             TEXT PRIMARY KEY CHECK (id ~ '^[A-Z][A-Z0-9_]{0,31}:[0-9]{4}-[0-9]{2}-[0-9]{2}:v[0-9]{1,4}$'),
      provider_id    TEXT NOT NULL REFERENCES providers(id),
      business_date  DATE NOT NULL,
      version        INT NOT NULL CHECK (version >= 1),
      line_count     INT NOT NULL CHECK (line_count >= 0),
      total          amount_kzt NOT NULL,
      content_sha256 TEXT NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
      created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
      UNIQUE (provider_id, business_date, version)
    );
    CREATE INDEX provider_registers_day ON provider_registers (business_date);

    CREATE TABLE provider_register_files (
      register_id TEXT NOT NULL REFERENCES provider_registers(id),
      format      TEXT NOT NULL CHECK (format IN ('csv', 'camt054')),
      content     BYTEA NOT NULL,
      sha256      TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      PRIMARY KEY (register_id, format)
    );

    CREATE TABLE provider_register_bank_totals (
      register_id   TEXT NOT NULL REFERENCES provider_registers(id),
      bank_code     TEXT NOT NULL REFERENCES banks(code),
      settlement_id TEXT NOT NULL REFERENCES settlements(id),
      end_to_end_id TEXT NOT NULL,
      line_count    INT NOT NULL CHECK (line_count >= 0),
      total         amount_kzt NOT NULL CHECK (total >= 0),
      PRIMARY KEY (register_id, bank_code)
    );

    CREATE TABLE provider_transfers (
      id             BIGSERIAL PRIMARY KEY,
      provider_id    TEXT NOT NULL REFERENCES providers(id),
      bank_code      TEXT NOT NULL REFERENCES banks(code),
      business_date  DATE NOT NULL,
      amount         amount_kzt NOT NULL CHECK (amount > 0),
      statement_ref  TEXT NOT NULL CHECK (length(statement_ref) BETWEEN 1 AND 64),
      received_on    DATE,
      reported_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
      UNIQUE (provider_id, statement_ref)
    );
    CREATE INDEX provider_transfers_day ON provider_transfers (provider_id, business_date, bank_code);

    -- Registers are what the provider was sent: never rewritten.
    CREATE FUNCTION provider_register_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'provider registers are immutable: % on % refused (build a new version instead)', TG_OP, TG_TABLE_NAME;
    END $$;
    CREATE TRIGGER provider_registers_immutable BEFORE UPDATE OR DELETE ON provider_registers
      FOR EACH ROW EXECUTE FUNCTION provider_register_immutable();
    CREATE TRIGGER provider_register_files_immutable BEFORE UPDATE OR DELETE ON provider_register_files
      FOR EACH ROW EXECUTE FUNCTION provider_register_immutable();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE IF EXISTS provider_transfers, provider_register_bank_totals, provider_register_files, provider_registers;
    DROP FUNCTION IF EXISTS provider_register_immutable;
  `);
}
