// The posting activities called directly on real Postgres, as a retrying worker would call them.
import { createPaymentActivities } from '../../activities/payment';
import { makeDeps } from '../../activities/deps';
import { requestHash } from '../../domain/request-hash';
import type { PaymentRequest } from '../../domain/payment-types';
import { createTestDatabase, type TestDatabase } from '../support/env';
import { WORLD, createPaymentWorld, ledgerBreaches } from '../support/payment-world';

let database: TestDatabase;
let acts: ReturnType<typeof createPaymentActivities>;
const writtenBy = (id: string) => ({ workflowId: `payment:HSBK:${id}`, runId: `run-${id}` });
const input = (request: PaymentRequest) => ({ request, requestHash: requestHash(request), receivedAt: new Date().toISOString(), writtenBy: writtenBy(request.bankRef) });
const request = (bankRef: string, amount = '150.00'): PaymentRequest => ({ bankCode: WORLD.bank, bankRef, channel: 'kiosk', account: WORLD.account, amount });

beforeAll(async () => {
  database = await createTestDatabase();
  await createPaymentWorld(database.db);
  acts = createPaymentActivities(makeDeps(database.db));
});

afterAll(async () => {
  await database?.drop();
});

describe('postPayment activity', () => {
  it('posts once when retried after a commit, and returns the same acceptance', async () => {
    const args = input(request('retry-1'));
    const first = await acts.postPayment(args);
    const second = await acts.postPayment(args);
    expect(second).toEqual(first);
    expect(await database.db('payments').where({ bank_ref: 'retry-1' })).toHaveLength(1);
    expect(await database.db('allocations').join('payments', 'payments.id', 'allocations.payment_id').where({ bank_ref: 'retry-1' })).toHaveLength(3);
  });

  it('posts exactly once when eight attempts race', async () => {
    const args = input(request('race-1', '10.00'));
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => acts.postPayment(args)));
    expect(new Set(outcomes.map((o) => JSON.stringify(o))).size).toBe(1);
    expect(await database.db('payments').where({ bank_ref: 'race-1' })).toHaveLength(1);
    expect(await ledgerBreaches(database.db)).toEqual([]);
  });

  it('records a rejection once however often it is retried', async () => {
    const args = input({ ...request('rej-1'), account: '4242424242' });
    expect(await acts.postPayment(args)).toMatchObject({ status: 'rejected', code: 'ACCOUNT_NOT_FOUND' });
    expect(await acts.postPayment(args)).toMatchObject({ status: 'rejected', code: 'ACCOUNT_NOT_FOUND' });
    expect(await database.db('payment_rejections').where({ bank_ref: 'rej-1' })).toHaveLength(1);
  });

  it('finds a conflict in the database when a new run reuses a posted reference with other content', async () => {
    await acts.postPayment(input(request('dup-1', '20.00')));
    const other = { ...input(request('dup-1', '21.00')), writtenBy: { workflowId: 'payment:HSBK:dup-1', runId: 'run-second' } };
    expect(await acts.postPayment(other)).toMatchObject({ status: 'rejected', code: 'REFERENCE_CONFLICT' });
  });
});

describe('cancelPayment activity', () => {
  it('reverses once, however often it runs', async () => {
    await acts.postPayment(input(request('cx-1', '99.99')));
    const cancel = { bankCode: WORLD.bank, bankRef: 'cx-1', reason: 'test', writtenBy: writtenBy('cx-1') };
    const first = await acts.cancelPayment(cancel);
    const second = await acts.cancelPayment(cancel);
    expect(first).toMatchObject({ status: 'cancelled', reversedAmount: '99.99' });
    expect(second).toEqual(first);
    const kinds = await database.db('ledger_transactions').join('payments', 'payments.id', 'ledger_transactions.payment_id').where({ bank_ref: 'cx-1' }).pluck('kind');
    expect(kinds.sort()).toEqual(['payment', 'reversal']);
  });

  it('cannot edit or delete a ledger posting: the ledger is append-only', async () => {
    await expect(database.db('ledger_postings').update({ debit: '1.00' })).rejects.toThrow(/append-only/);
    await expect(database.db('ledger_postings').del()).rejects.toThrow(/append-only/);
  });

  it('cannot commit an unbalanced ledger transaction', async () => {
    await expect(
      database.db.transaction(async (trx) => {
        const payment = await trx('payments').where({ bank_ref: 'retry-1' }).first('id');
        const [tx] = await trx('ledger_transactions')
          .insert({ kind: 'reversal', payment_id: payment.id, business_date: '2026-11-27', workflow_id: 'w', run_id: 'r' })
          .returning('id');
        await trx('ledger_postings').insert({ transaction_id: tx.id, account: 'bank:HSBK', debit: '5.00', credit: '0' });
      }),
    ).rejects.toThrow(/does not balance/);
  });
});
