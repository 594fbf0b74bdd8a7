// The ledger's balance trigger (migration 20261201000010) costs what its statement touched, not the
// size of the ledger: after a bulk statement in a connection (a register batch), a single payment's
// postings on that same connection are checked by index, never by reading all of ledger_postings.
// PL/pgSQL keeps the trigger query's first plan for the life of the connection, which is how the
// first version read the whole ledger for every single payment after a register had posted.
import type { Knex } from 'knex';
import { seedReferenceData } from '../../db/seed/reference';
import { withTestDatabase } from '../support/env';
import { rowsReadInTransaction } from '../support/rows-read';

const database = withTestDatabase((d) => seedReferenceData(d.db));

/** Balanced transfer transactions of one tiyn each, written by one statement as the posting code does. */
async function postTransfers(trx: Knex.Transaction, from: number, count: number): Promise<void> {
  await trx.raw(
    `WITH t AS (
       INSERT INTO ledger_transactions (kind, settlement_id, business_date, workflow_id, run_id)
       SELECT 'transfer', 'PLAN:' || g, DATE '2026-01-05', 'test', 'test' FROM generate_series(?::int, ?::int) g RETURNING id)
     INSERT INTO ledger_postings (transaction_id, account, debit, credit)
     SELECT id, 'bank:HSBK', 0.01, 0 FROM t UNION ALL SELECT id, 'provider:AES', 0, 0.01 FROM t`,
    [from, from + count - 1],
  );
}

const LEDGER_TRANSACTIONS = 100_000; // a few days of a city's payments: big enough for the planner to weigh

it('checks a single transaction by index after a bulk statement on the same connection', async () => {
  await database.db.transaction(async (trx) => {
    // The settlements these transfers name do not matter here; the transaction is rolled back.
    await trx.raw('ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_settlement_id_fkey');
    await postTransfers(trx, 1, LEDGER_TRANSACTIONS);
    // From here on, the connection plans the trigger's query afresh, as a new connection would,
    // and its first run is a register-sized statement against a grown ledger.
    await trx.raw('DISCARD PLANS');
    await postTransfers(trx, LEDGER_TRANSACTIONS + 1, 1_000);
    const before = await rowsReadInTransaction(trx, 'ledger_postings');
    const singles = 5;
    for (let i = 0; i < singles; i++) await postTransfers(trx, 2 * LEDGER_TRANSACTIONS + i, 1);
    // Each single transaction's check reads its own two postings.
    expect((await rowsReadInTransaction(trx, 'ledger_postings')) - before).toBeLessThanOrEqual(singles * 2);
    // The rule itself still holds on that connection.
    await expect(trx.raw(
      `WITH t AS (INSERT INTO ledger_transactions (kind, settlement_id, business_date, workflow_id, run_id)
                  VALUES ('transfer', 'PLAN:bad', DATE '2026-01-05', 'test', 'test') RETURNING id)
       INSERT INTO ledger_postings (transaction_id, account, debit, credit) SELECT id, 'bank:HSBK', 0.02, 0 FROM t UNION ALL SELECT id, 'provider:AES', 0, 0.01 FROM t`,
    )).rejects.toThrow(/does not balance/);
    await trx.rollback();
  }).catch((err: unknown) => {
    // knex rejects a transaction rolled back on purpose with this message; nothing here is kept.
    if (!(err instanceof Error && /Transaction rejected with non-error: undefined/.test(err.message))) throw err;
  });
});
