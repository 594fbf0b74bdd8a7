// Master data is checked where it is written, by the database, so that no write path (seed,
// a script, a future admin screen) can store an account a payment list cannot pay. A provider
// whose IBAN or BIN check digit is wrong used to pass here and then block every list that pays it.
// The rules are those of domain/identifiers.ts (ISO 13616 mod-97 for KZ IBANs; the Kazakh BIN/IIN
// mod-11 check digit), written once more in SQL because a CHECK constraint cannot call TypeScript;
// test/integration/master-data.test.ts checks that both agree on valid and invalid numbers.
//
// The constraints are added NOT VALID: a database that already holds a bad row keeps migrating,
// new writes are checked, and `spc audit ledger` names the old rows (check master_data).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION spc_kz_iban_valid(iban TEXT) RETURNS BOOLEAN LANGUAGE plpgsql IMMUTABLE STRICT AS $$
    DECLARE
      rearranged TEXT;
      remainder  INT := 0;
      ch         TEXT;
      code       TEXT;
    BEGIN
      IF iban !~ '^KZ[0-9]{2}[0-9]{3}[0-9A-Z]{13}$' THEN RETURN FALSE; END IF;
      rearranged := substr(iban, 5) || substr(iban, 1, 4);
      FOR i IN 1..length(rearranged) LOOP
        ch := substr(rearranged, i, 1);
        code := CASE WHEN ch ~ '[A-Z]' THEN (ascii(ch) - 55)::text ELSE ch END;
        FOR j IN 1..length(code) LOOP
          remainder := (remainder * 10 + substr(code, j, 1)::int) % 97;
        END LOOP;
      END LOOP;
      RETURN remainder = 1;
    END $$;

    CREATE FUNCTION spc_bin_valid(bin TEXT) RETURNS BOOLEAN LANGUAGE plpgsql IMMUTABLE STRICT AS $$
    DECLARE
      weights1 INT[] := ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
      weights2 INT[] := ARRAY[3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
      check1   INT := 0;
      check2   INT := 0;
    BEGIN
      IF bin !~ '^[0-9]{12}$' THEN RETURN FALSE; END IF;
      FOR i IN 1..11 LOOP
        check1 := check1 + substr(bin, i, 1)::int * weights1[i];
        check2 := check2 + substr(bin, i, 1)::int * weights2[i];
      END LOOP;
      check1 := check1 % 11;
      IF check1 = 10 THEN check1 := check2 % 11; END IF;
      RETURN check1 <> 10 AND check1 = substr(bin, 12, 1)::int;
    END $$;

    ALTER TABLE providers ADD CONSTRAINT providers_iban_check_digits CHECK (spc_kz_iban_valid(iban)) NOT VALID;
    ALTER TABLE providers ADD CONSTRAINT providers_bin_check_digit CHECK (spc_bin_valid(bin)) NOT VALID;
    ALTER TABLE banks ADD CONSTRAINT banks_settlement_iban_check_digits CHECK (spc_kz_iban_valid(settlement_iban)) NOT VALID;
    ALTER TABLE banks ADD CONSTRAINT banks_bin_check_digit CHECK (spc_bin_valid(bin)) NOT VALID;
    -- A bank's own settlement account is held at that bank: its IBAN carries the bank's code.
    ALTER TABLE banks ADD CONSTRAINT banks_settlement_iban_own_code CHECK (substr(settlement_iban, 5, 3) = iban_code) NOT VALID;

    -- A provider's BIC must be the BIC of the bank its IBAN names (characters 5-7), when that bank
    -- is one the SPC knows (banks.iban_code); an account at a bank the SPC has no row for cannot be
    -- cross-checked here. A trigger, because a CHECK constraint cannot read another table.
    CREATE FUNCTION spc_provider_bic_matches_iban() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM banks WHERE iban_code = substr(NEW.iban, 5, 3))
         AND NOT EXISTS (SELECT 1 FROM banks WHERE iban_code = substr(NEW.iban, 5, 3) AND bic = NEW.bic) THEN
        RAISE EXCEPTION 'provider %: BIC % is not the BIC of bank code % of its IBAN %', NEW.id, NEW.bic, substr(NEW.iban, 5, 3), NEW.iban
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER providers_bic_matches_iban BEFORE INSERT OR UPDATE OF iban, bic ON providers
      FOR EACH ROW EXECUTE FUNCTION spc_provider_bic_matches_iban();

    -- Why a settlement cannot go on without an operator (its payment list cannot be built from the
    -- master data): shown on /ops and by spc settlement show; cleared when the list is stored.
    ALTER TABLE settlements ADD COLUMN alert TEXT;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE settlements DROP COLUMN IF EXISTS alert;
    DROP TRIGGER IF EXISTS providers_bic_matches_iban ON providers;
    DROP FUNCTION IF EXISTS spc_provider_bic_matches_iban();
    ALTER TABLE providers DROP CONSTRAINT IF EXISTS providers_iban_check_digits, DROP CONSTRAINT IF EXISTS providers_bin_check_digit;
    ALTER TABLE banks DROP CONSTRAINT IF EXISTS banks_settlement_iban_check_digits, DROP CONSTRAINT IF EXISTS banks_bin_check_digit,
      DROP CONSTRAINT IF EXISTS banks_settlement_iban_own_code;
    DROP FUNCTION IF EXISTS spc_kz_iban_valid(TEXT);
    DROP FUNCTION IF EXISTS spc_bin_valid(TEXT);
  `);
}
