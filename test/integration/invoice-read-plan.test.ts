// How Postgres runs the invoice read model's query, which every posting and every invoice look-up
// asks. Its cost must follow what was asked, never the size of the day.
//
// The application's sessions never JIT-compile. A register batch loads the invoices of its 1,000
// accounts in one read-model query (db/queries/invoices.ts) whose estimated cost passes Postgres's
// jit_above_cost; with JIT on, every batch paid about 200 ms of compilation for a query that runs
// in less (measured on 20,000 accounts). And it is planned once per connection: planned for each
// call it cost about 4.5 ms, most of a single payment's Postgres time. db/connection.ts turns JIT off for every pool. The test
// lowers jit_above_cost to 0, so that the small test database's plan would be compiled too: only the
// session's jit setting stands between the query and the compiler.
import { seedDemo } from '../../db/seed';
import { seedReferenceData } from '../../db/seed/reference';
import { LATEST_INVOICES_STATEMENTS, latestInvoicesSql, loadLatestInvoiceLines } from '../../db/queries/invoices';
import { createTestDatabase, type TestDatabase } from '../support/env';
import { rowsReadInTransaction } from '../support/rows-read';
import type { Knex } from 'knex';
import { postPayments, type PostingItem } from '../../activities/payment-posting';
import { validatePaymentRequest } from '../../domain/payment-validation';
import type { PaymentRequest } from '../../domain/payment-types';
import { requestHash } from '../../domain/request-hash';
import { NO_OVERRIDES } from '../../domain/calendar';

jest.setTimeout(120_000);

let database: TestDatabase;
let accounts: string[];
const BATCH_ACCOUNTS = 300;
const SEEDED_ACCOUNTS = 2_000;

beforeAll(async () => {
  database = await createTestDatabase();
  await seedReferenceData(database.db);
  await seedDemo(database.db, { accounts: SEEDED_ACCOUNTS, seed: 11 });
  accounts = (await database.db('personal_accounts').orderBy('number').limit(BATCH_ACCOUNTS).pluck('number')) as string[];
  await database.db.raw('ANALYZE');
});

afterAll(async () => {
  await database?.drop();
});

/** Whether Postgres JIT-compiled the batch's invoice query. */
async function explainBatchJit(db: Knex.Transaction): Promise<boolean> {
  const { rows } = await db.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${latestInvoicesSql('many')}`, [accounts, accounts, accounts]);
  const plan = rows[0]['QUERY PLAN'][0];
  return plan.JIT !== undefined && Number(plan.JIT.Functions) > 0;
}

it('loads a batch\'s invoices without JIT compilation, on the owner\'s and the application\'s pools', async () => {
  expect(accounts).toHaveLength(BATCH_ACCOUNTS);
  for (const db of [database.db, database.appDb]) {
    await db.transaction(async (trx) => {
      expect((await trx.raw('SHOW jit')).rows[0].jit).toBe('off');
      await trx.raw('SET LOCAL jit_above_cost = 0');
      expect(await explainBatchJit(trx)).toBe(false);
    });
  }
});

it('would compile it with JIT on, where this Postgres has JIT', async () => {
  await database.db.transaction(async (trx) => {
    await trx.raw('SET LOCAL jit = on');
    await trx.raw('SET LOCAL jit_above_cost = 0');
    // True when the server has its JIT provider (llvmjit) installed and jit is on.
    const available = (await trx.raw('SELECT pg_jit_available() AS ok')).rows[0].ok as boolean;
    expect(await explainBatchJit(trx)).toBe(available);
  });
});

it('reads only the allocations of the invoices asked, even when the statistics say the payments table is empty', async () => {
  // The statistics were taken before any payment (beforeAll): as stale as after a burst of registers.
  const bank = await database.db('banks').where({ code: 'HSBK' }).first();
  const all = (await database.db('personal_accounts').orderBy('number').pluck('number')) as string[];
  const receivedAt = new Date();
  for (let batch = 0; batch < 4 * (all.length / 1_000); batch++) {
    const items: PostingItem[] = all.slice((batch % 2) * 1_000, (batch % 2) * 1_000 + 1_000).flatMap((account, i) => {
      const req: PaymentRequest = { bankRef: `plan-${batch}-${i}`, account, channel: 'register', amount: '500.00' } as PaymentRequest;
      return [{ valid: validatePaymentRequest(req, receivedAt), requestHash: requestHash(req) }];
    });
    await database.db.transaction((trx) => postPayments(trx, { bank, calendar: NO_OVERRIDES, writtenBy: { workflowId: 'plan-test', runId: 'plan-test' }, items }));
  }
  const total = Number((await database.db('allocations').count({ n: '*' }).first())?.n);
  expect(total).toBeGreaterThan(all.length * 4);
  const asked = all.slice(0, 100);
  await database.db.transaction(async (trx) => {
    const before = await rowsReadInTransaction(trx, 'allocations');
    const { rows } = await trx.raw(latestInvoicesSql('many'), [asked, asked, asked]);
    expect(rows.some((r: { paid: string }) => r.paid !== '0')).toBe(true);
    // A hundred accounts' four payments each, about eight lines each: 5 % of the day's allocations.
    expect((await rowsReadInTransaction(trx, 'allocations')) - before).toBeLessThan(total / 10);
  });
});

it('keeps one plan per connection for a single account, and parses a batch\'s query once', async () => {
  await database.appDb.transaction(async (trx) => {
    const singles = 8;
    for (let i = 0; i < singles; i++) expect((await loadLatestInvoiceLines(trx, [accounts[i] as string])).size).toBe(1);
    await loadLatestInvoiceLines(trx, accounts);
    await loadLatestInvoiceLines(trx, accounts.slice(0, 2));
    const { rows } = await trx.raw(
      'SELECT name, generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE name = ANY(?) ORDER BY name',
      [[LATEST_INVOICES_STATEMENTS.one.name, LATEST_INVOICES_STATEMENTS.many.name]],
    );
    const byName = new Map(rows.map((r: { name: string; generic: number; custom: number }) => [r.name, r]));
    // Postgres tries five custom plans, then keeps the generic one for every later call.
    const one = byName.get(LATEST_INVOICES_STATEMENTS.one.name) as { generic: number; custom: number };
    expect(one.custom).toBeLessThanOrEqual(5);
    expect(one.generic).toBeGreaterThanOrEqual(singles - 5);
    expect(byName.get(LATEST_INVOICES_STATEMENTS.many.name)).toEqual(expect.objectContaining({ custom: expect.any(Number) }));
  });
});
