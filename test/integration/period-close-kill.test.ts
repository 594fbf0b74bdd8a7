// A worker process SIGKILLed in the middle of the period close (issue 18) loses and doubles
// nothing. Locks the test holds stop the close inside two steps: the balances statement waits on
// period_balances, the issue statement on invoice_lines (its invoice headers already inserted in the
// same transaction). Each time the worker is killed there, the step is retried on a new worker
// process once its heartbeat is missed, and the close finishes. The balances and the next invoices
// are recomputed here from the rows the test wrote, not by the close's SQL.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { submitPaymentAsOfPaidAt } from '../support/past-payment';
import { decidePeriodClose } from '../../client/period-approval';
import { periodCloseResult, startPeriodClose } from '../../client/periods';
import { auditPeriod } from '../../audit';
import { Money, formatAmount } from '../../domain/money';
import { startHarness, type Harness } from '../support/harness';
import { WORLD, createPaymentWorld, ledgerBreaches } from '../support/payment-world';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';
import { waitFor } from '../support/wait';
import { insertChargesUpload } from '../support/charges';

jest.setTimeout(900_000);

/** A month of this test's own: the close's workflow id is shared by every test file on the dev server. */
const PERIOD = '2032-05';
const NEXT = '2032-06';
const EXTRA_ACCOUNTS = Array.from({ length: 40 }, (_, i) => String(7300000000 + i));
const run = randomBytes(3).toString('hex');
/** A missed heartbeat (workflows/period.ts: 1 minute) and a retry on a loaded machine. */
const RETRY_WAIT_MS = 300_000;

let h: Harness;

/** The period's invoices as the previous close would have issued them. */
async function invoice(db: Knex, account: string, lines: Array<{ service: string; opening: string; charged: string }>) {
  const [row] = await db('invoices').insert({ account_number: account, period: `${PERIOD}-01`, due_date: '2032-06-25' }).returning('id');
  await db('invoice_lines').insert(lines.map((l) => ({
    invoice_id: row.id, service_code: l.service, opening_balance: l.opening, charged: l.charged, amount_due: formatAmount(Money.max(new Money(l.opening).add(l.charged), 0)),
  })));
}

/** Holds an EXCLUSIVE lock on `table` (reads go on, writes wait) until released. */
async function holdWrites(db: Knex, table: string): Promise<Knex.Transaction> {
  const trx = await db.transaction();
  await trx.raw(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
  return trx;
}

/** The backends waiting for a write lock on `table`. */
async function waitersOn(db: Knex, table: string): Promise<number[]> {
  const { rows } = await db.raw('SELECT l.pid FROM pg_locks l WHERE NOT l.granted AND l.relation = ?::regclass', [table]);
  return rows.map((r: { pid: number }) => r.pid);
}

beforeAll(async () => {
  h = await startHarness('period-kill');
  const db = h.database.db;
  await createPaymentWorld(db);
  await db('billing_periods').insert({ period: `${PERIOD}-01` });
  await invoice(db, WORLD.account, [{ service: 'ELEC', opening: '0.00', charged: '3000.00' }, { service: 'CWATER', opening: '100.00', charged: '900.00' }, { service: 'SEWER', opening: '0.00', charged: '500.00' }]);
  await invoice(db, WORLD.accountNothingDue, [{ service: 'SEWER', opening: '-50.00', charged: '0.00' }]);
  await db('personal_accounts').insert(EXTRA_ACCOUNTS.map((number) => ({ number, holder_name: 'Тестов Т. Т.', address: `г. Алматы, ул. Сатпаева, ${number.slice(-2)}` })));
  for (const account of EXTRA_ACCOUNTS) await invoice(db, account, [{ service: 'CWATER', opening: '10.00', charged: '0.00' }]);
  await insertChargesUpload(db, 'AES', PERIOD, [{ account: WORLD.account, service: 'ELEC', amount: '3000.00' }]);
  await insertChargesUpload(db, 'ALMATY_SU', PERIOD, [
    { account: WORLD.account, service: 'CWATER', amount: '900.00' }, { account: WORLD.account, service: 'SEWER', amount: '500.00' },
    ...EXTRA_ACCOUNTS.map((account, i) => ({ account, service: 'CWATER', amount: `${100 + i}.25` })),
  ]);
});

afterAll(async () => {
  await h?.close();
});

it('loses and doubles nothing when its worker process is SIGKILLed inside the balances and inside the issue', async () => {
  const db = h.database.db;
  // Payments while the harness's worker runs; then the close runs on worker processes only.
  const paid: string[] = [];
  for (const [account, amount] of [[WORLD.account, '1000.00'], [WORLD.account, '250.50'], [EXTRA_ACCOUNTS[0] as string, '8.00'], [EXTRA_ACCOUNTS[1] as string, '5.00']] as const) {
    const outcome = await submitPaymentAsOfPaidAt(h.ctx, { bankCode: WORLD.bank, bankRef: `k-${run}-${paid.length}`, channel: 'cash_desk', account, amount });
    if (!outcome.ok) throw new Error(`payment rejected: ${outcome.code} ${outcome.message}`);
    paid.push(outcome.payment.bankRef);
  }
  await h.stopWorker();

  const workers: WorkerProcess[] = [];
  const startWorker = async () => {
    const w = await startWorkerProcess({ databaseUrl: h.database.url, appDatabaseUrl: h.database.appUrl, taskQueue: h.taskQueue });
    workers.push(w);
    return w;
  };
  const balancesLock = await holdWrites(db, 'period_balances');
  const linesLock = await holdWrites(db, 'invoice_lines');
  try {
    const victim = await startWorker();
    await startPeriodClose(h.ctx, PERIOD, 'aigerim');
    await decidePeriodClose(h.ctx, PERIOD, { operator: 'bolat', role: 'supervisor', approve: true });
    const inBalances = await waitFor('the balances step to wait on period_balances', async () => {
      const pids = await waitersOn(db, 'period_balances');
      return pids[0];
    }, RETRY_WAIT_MS);
    await victim.kill();
    expect((await db('period_closes').where({ period: `${PERIOD}-01` }).first('step')).step).toBe('balancing');
    const heir = await startWorker();
    // The dead worker's statement gets its lock, finds its client gone and rolls back.
    await balancesLock.commit();
    await waitFor('the killed balances statement to end', async () => !(await db.raw('SELECT 1 FROM pg_stat_activity WHERE pid = ?', [inBalances])).rows.length, RETRY_WAIT_MS);

    await waitFor('the retried close to reach the issue and wait on invoice_lines', async () => (await waitersOn(db, 'invoice_lines')).length > 0, RETRY_WAIT_MS);
    await heir.kill();
    expect((await db('period_closes').where({ period: `${PERIOD}-01` }).first('step')).step).toBe('issuing');
    await startWorker();
    await linesLock.commit();
    const result = await periodCloseResult(h.ctx, PERIOD);
    expect(result).toMatchObject({ period: PERIOD, nextPeriod: NEXT, missingProviders: [], paymentsCounted: paid.length, invoicesIssued: 2 + EXTRA_ACCOUNTS.length });
  } finally {
    if (!balancesLock.isCompleted()) await balancesLock.rollback();
    if (!linesLock.isCompleted()) await linesLock.rollback();
    for (const w of workers) await w.kill();
  }

  // Independently: closing = the invoice's opening + the uploads − the payments' allocations.
  const expected: Record<string, Money> = {};
  const add = (key: string, amount: Money | string) => { expected[key] = (expected[key] ?? new Money(0)).add(amount); };
  const openings = await db('invoice_lines as l').join('invoices as i', 'i.id', 'l.invoice_id').where('i.period', `${PERIOD}-01`).select('i.account_number', 'l.service_code', 'l.opening_balance');
  for (const r of openings) add(`${r.account_number}/${r.service_code}`, r.opening_balance);
  const charges = await db('charge_lines as c').join('charge_uploads as u', 'u.upload_id', 'c.upload_id').where('u.period', `${PERIOD}-01`).select('c.account_number', 'c.service_code', 'c.amount');
  for (const r of charges) add(`${r.account_number}/${r.service_code}`, r.amount);
  const allocations = await db('allocations as a').join('payments as p', 'p.id', 'a.payment_id').whereIn('p.bank_ref', paid).select('p.account_number', 'a.service_code', 'a.amount');
  for (const r of allocations) add(`${r.account_number}/${r.service_code}`, new Money(r.amount).neg());
  const formatted = Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, formatAmount(v)]));

  const balances = await db('period_balances').where({ period: `${PERIOD}-01` }).select('account_number', 'service_code', 'closing');
  expect(balances).toHaveLength(Object.keys(expected).length);
  expect(Object.fromEntries(balances.map((r) => [`${r.account_number}/${r.service_code}`, r.closing]))).toEqual(formatted);

  // One invoice per account for the next month, version 1, its lines opening with the closing.
  const next = await db('invoices').where({ period: `${NEXT}-01` }).select('id', 'account_number', 'version');
  expect(next).toHaveLength(2 + EXTRA_ACCOUNTS.length);
  expect(new Set(next.map((i) => i.account_number)).size).toBe(next.length);
  expect(new Set(next.map((i) => i.version))).toEqual(new Set([1]));
  const lines = await db('invoice_lines').whereIn('invoice_id', next.map((i) => i.id)).join('invoices as i', 'i.id', 'invoice_lines.invoice_id')
    .select('i.account_number', 'invoice_lines.service_code', 'invoice_lines.opening_balance', 'invoice_lines.charged', 'invoice_lines.amount_due');
  expect(lines).toHaveLength(Object.keys(expected).length);
  for (const l of lines) {
    const key = `${l.account_number}/${l.service_code}`;
    expect({ key, opening: l.opening_balance, charged: l.charged, due: l.amount_due })
      .toEqual({ key, opening: formatted[key], charged: '0.00', due: formatAmount(Money.max(expected[key] as Money, 0)) });
  }

  // Counted once, posted once, and the audit proves the rest.
  const counted = await db('period_counted').where({ period: `${PERIOD}-01`, source: 'payment' }).count({ n: '*' }).first();
  expect(Number(counted?.n)).toBe(paid.length);
  const posted = await db('ledger_transactions').where({ kind: 'period', period: `${PERIOD}-01` }).count({ n: '*' }).first();
  expect(Number(posted?.n)).toBe(1);
  expect(await auditPeriod(db, PERIOD)).toMatchObject({ ok: true, breaches: [] });
  expect(await ledgerBreaches(db)).toEqual([]);
});
