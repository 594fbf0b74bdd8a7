// Corrections, adjustments and complaints (issue 12). Added beside the first schema, never folded
// into it: databases that already ran 20261127000001 get these tables on their next migrate.
//
// A correction before its payment's bank-day closes reverses the payment (status 'corrected') and
// posts a replacement payment in the same day. After the close the list has gone to the bank, so a
// correction posts a 'correction' ledger transaction (provider deltas, and for a refund the bank) and
// one adjustment per provider, which the bank's next aggregated list nets into its provider lines.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE payments DROP CONSTRAINT payments_status_check;
    ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('accepted', 'cancelled', 'excluded', 'corrected'));

    CREATE TABLE corrections (
      id              TEXT PRIMARY KEY,
      -- Short public reference (K<seq>) that fits in an EndToEndId and a remittance text.
      seq             BIGSERIAL UNIQUE,
      bank_code       TEXT NOT NULL REFERENCES banks(code),
      bank_ref        TEXT NOT NULL,
      n               INT NOT NULL CHECK (n >= 1),
      kind            TEXT NOT NULL CHECK (kind IN ('move', 'resplit', 'refund')),
      status          TEXT NOT NULL CHECK (status IN ('proposed', 'applied', 'rejected')),
      payment_id      BIGINT NOT NULL REFERENCES payments(id),
      amount          amount_kzt NOT NULL CHECK (amount > 0),
      account_from    TEXT NOT NULL,
      account_to      TEXT,
      target_lines    JSONB,
      reason          TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
      complaint_id    TEXT,
      proposed_by     TEXT NOT NULL,
      decided_by      TEXT,
      decision_note   TEXT,
      -- 'reposted': reversal and replacement in the open day; 'adjusted': carried to the next list.
      mode            TEXT CHECK (mode IN ('reposted', 'adjusted')),
      old_allocations JSONB,
      new_allocations JSONB,
      replacement_payment_id BIGINT REFERENCES payments(id),
      created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      decided_at      TIMESTAMPTZ,
      applied_at      TIMESTAMPTZ,
      workflow_id     TEXT NOT NULL,
      run_id          TEXT NOT NULL,
      UNIQUE (bank_code, bank_ref, n),
      CHECK ((status = 'applied') = (mode IS NOT NULL AND applied_at IS NOT NULL))
    );

    ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
    ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check CHECK (kind IN ('payment', 'reversal', 'transfer', 'correction'));
    ALTER TABLE ledger_transactions ADD COLUMN correction_id TEXT REFERENCES corrections(id);
    ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_correction_link CHECK ((kind = 'correction') = (correction_id IS NOT NULL AND payment_id IS NULL));
    CREATE UNIQUE INDEX ledger_one_per_correction ON ledger_transactions (correction_id) WHERE kind = 'correction';

    ALTER TABLE settlements ADD COLUMN adjustments_total amount_kzt NOT NULL DEFAULT 0;
    ALTER TABLE settlements DROP CONSTRAINT settlements_check;
    ALTER TABLE settlements ADD CONSTRAINT settlements_net_check CHECK (net_total = payments_total - reversals_total + adjustments_total);

    ALTER TABLE settlement_lines ADD COLUMN adjustment_amount amount_kzt NOT NULL DEFAULT 0;
    ALTER TABLE settlement_lines ADD COLUMN adjustment_refs TEXT[] NOT NULL DEFAULT '{}';

    -- One row per correction and provider: signed (< 0: the provider received too much). Pending
    -- until the bank's next aggregation nets it into that provider's line; a provider whose net
    -- would go negative keeps its adjustments pending (carried forward).
    CREATE TABLE adjustments (
      id              BIGSERIAL PRIMARY KEY,
      correction_id   TEXT NOT NULL REFERENCES corrections(id),
      bank_code       TEXT NOT NULL REFERENCES banks(code),
      provider_id     TEXT NOT NULL REFERENCES providers(id),
      amount          amount_kzt NOT NULL CHECK (amount <> 0),
      settlement_id   TEXT REFERENCES settlements(id),
      line_no         INT,
      created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      applied_at      TIMESTAMPTZ,
      UNIQUE (correction_id, provider_id),
      CHECK ((settlement_id IS NULL) = (applied_at IS NULL))
    );
    CREATE INDEX adjustments_pending ON adjustments (bank_code, provider_id) WHERE settlement_id IS NULL;

    CREATE TABLE complaints (
      id              TEXT PRIMARY KEY,
      bank_code       TEXT NOT NULL REFERENCES banks(code),
      bank_ref        TEXT NOT NULL,
      disposition     TEXT NOT NULL,
      text            TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 2000),
      status          TEXT NOT NULL CHECK (status IN ('open', 'assigned', 'resolved', 'closed', 'escalated')),
      raised_by       TEXT NOT NULL,
      assignee        TEXT,
      resolution      JSONB,
      twin_bank_ref   TEXT,
      -- No foreign key: the refund a complaint proposes is written by its own workflow, maybe later
      -- than this row names it, and a refused proposal never gets a row.
      correction_id   TEXT,
      deadline_at     TIMESTAMPTZ NOT NULL,
      version         INT NOT NULL DEFAULT 1,
      history         JSONB NOT NULL DEFAULT '[]',
      created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
      escalated_at    TIMESTAMPTZ,
      workflow_id     TEXT NOT NULL,
      run_id          TEXT NOT NULL
    );
    CREATE INDEX complaints_bank ON complaints (bank_code, created_at DESC);

    -- The complaint webhook: one row per pushed version, attempts counted like the settlement's.
    CREATE TABLE complaint_webhook_deliveries (
      complaint_id  TEXT NOT NULL REFERENCES complaints(id),
      version       INT NOT NULL,
      url           TEXT NOT NULL,
      attempts      INT NOT NULL DEFAULT 0,
      last_status   INT,
      last_error    TEXT,
      delivered_at  TIMESTAMPTZ,
      PRIMARY KEY (complaint_id, version)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE IF EXISTS complaint_webhook_deliveries, complaints, adjustments CASCADE;
    ALTER TABLE settlement_lines DROP COLUMN adjustment_refs, DROP COLUMN adjustment_amount;
    ALTER TABLE settlements DROP CONSTRAINT settlements_net_check;
    ALTER TABLE settlements ADD CONSTRAINT settlements_check CHECK (net_total = payments_total - reversals_total);
    ALTER TABLE settlements DROP COLUMN adjustments_total;
    DROP INDEX IF EXISTS ledger_one_per_correction;
    ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_correction_link;
    ALTER TABLE ledger_transactions DROP COLUMN correction_id;
    ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check;
    ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check CHECK (kind IN ('payment', 'reversal', 'transfer'));
    DROP TABLE IF EXISTS corrections CASCADE;
    ALTER TABLE payments DROP CONSTRAINT payments_status_check;
    ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('accepted', 'cancelled', 'excluded'));
  `);
}
