// `npm run bench:settlement -- --payments N`: N posted payments of one bank-day (with allocations
// and balanced ledger rows, 1 in 100 cancelled with its reversal) generated straight into a
// scratch database with INSERT ... SELECT generate_series; then that bank-day is settled through
// the real workflow and worker (close, reconcile, aggregate, files, confirmation, ledger transfer)
// while the worker's RSS is sampled; and, in the same run on the same rows, the bare SQL
// aggregation (the same SELECT with the same settings) is timed right before and right after the
// settlement (sql_s is their mean; ratio = settle_s / sql_s). The last line is the JSON result.
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { confirmTransfers, startSettlement } from '../client/settlements';
import { seedReferenceData } from '../db/seed';
import { addDays, isWeekend, toAlmaty } from '../domain/calendar';
import { AGGREGATION_SELECT_SQL, AGGREGATION_SETTINGS_SQL } from '../activities/settlement-aggregate';
import { createWorker } from '../worker/worker';
import { installWorkerRuntime } from '../worker/run';
import type { Db } from '../db/connection';
import { benchEnvironment, log } from './env';

/** Payments generated per statement: progress shows, and no statement holds a huge snapshot. */
const GENERATE_BATCH = 250_000;
/** Accounts (with one invoice each) the generated payments are spread over. */
const BENCH_ACCOUNTS = 10_000;
const WARMUP_PAYMENTS = 1_000;
const RSS_SAMPLE_MS = 50;
const STATE_POLL_MS = 100;
const SETTLE_TIMEOUT_MS = 30 * 60_000;
const MB = 1024 * 1024;

export interface SettlementBenchResult {
  payments: number;
  settle_s: number;
  sql_s: number;
  ratio: number;
  peak_rss_mb: number;
}

// Allocation amounts as functions of the payment number i: deterministic, varied, whole tiyn.
// ALMATY_SU gets two services per payment, so a payment must count once per provider line.
const ALLOCATIONS: ReadonlyArray<[service: string, provider: string, amount: string]> = [
  ['ELEC', 'ALMATYENERGOSBYT', '(50000 + (i * 7919) % 300000)::numeric / 100'],
  ['CWATER', 'ALMATY_SU', '(20000 + (i * 104729) % 70000)::numeric / 100'],
  ['SEWER', 'ALMATY_SU', '(10000 + (i * 1299709) % 30000)::numeric / 100'],
  ['HEAT', 'ALTS', 'CASE WHEN i % 2 = 0 THEN (150000 + (i * 15485863) % 100000)::numeric / 100 ELSE 0 END'],
  ['WASTE', 'TARTYP', 'CASE WHEN i % 3 = 0 THEN 350.00 ELSE 0 END'],
];
const TOTAL_SQL = ALLOCATIONS.map(([, , a]) => `(${a})`).join(' + ');
const PROVIDERS = [...new Set(ALLOCATIONS.map(([, p]) => p))];
const CANCELLED_EVERY = 100;
/** Ledger transaction ids: a payment's is its payment id, its reversal's this much above. */
const REVERSAL_ID_OFFSET = 10_000_000_000;

/** The last weekday before today (Almaty): a past business day the client lets us settle. */
function pastWeekday(): string {
  let d = addDays(toAlmaty(new Date()).date, -1);
  while (isWeekend(d)) d = addDays(d, -1);
  return d;
}

async function generateDay(db: Db, bank: string, date: string, firstId: number, count: number): Promise<void> {
  const paidAt = `${date}T10:00:00+05:00`;
  for (let from = firstId; from < firstId + count; from += GENERATE_BATCH) {
    const to = Math.min(firstId + count - 1, from + GENERATE_BATCH - 1);
    await db.transaction(async (trx) => {
      // Scratch database only: skip per-row triggers (the ledger balance check) and FK checks while
      // loading; balance is checked set-based afterwards.
      await trx.raw('SET LOCAL session_replication_role = replica');
      await trx.raw(
        `INSERT INTO payments (id, bank_code, bank_ref, request_hash, channel, account_number, invoice_id, amount, paid_at, business_date,
                               status, cancelled_at, workflow_id, run_id)
         SELECT i, ?, ? || i, md5(i::text) || md5('spc' || i), 'online', (2000000000 + i % ${BENCH_ACCOUNTS} + 1)::text, i % ${BENCH_ACCOUNTS} + 1,
                ${TOTAL_SQL}, ?::timestamptz, ?::date,
                CASE WHEN i % ${CANCELLED_EVERY} = 0 THEN 'cancelled' ELSE 'accepted' END,
                CASE WHEN i % ${CANCELLED_EVERY} = 0 THEN ?::timestamptz END, 'bench', 'bench'
           FROM generate_series(?::bigint, ?::bigint) i`,
        [bank, `${bank}-`, paidAt, date, paidAt, from, to],
      );
      await trx.raw(
        `INSERT INTO allocations (payment_id, service_code, provider_id, amount)
         SELECT i, v.s, v.p, v.a FROM generate_series(?::bigint, ?::bigint) i
          CROSS JOIN LATERAL (VALUES ${ALLOCATIONS.map(([s, p, a]) => `('${s}', '${p}', ${a})`).join(', ')}) AS v(s, p, a)
          WHERE v.a > 0`,
        [from, to],
      );
      await trx.raw(
        `INSERT INTO ledger_transactions (id, kind, payment_id, business_date, workflow_id, run_id)
         SELECT i, 'payment', i, ?::date, 'bench', 'bench' FROM generate_series(?::bigint, ?::bigint) i`,
        [date, from, to],
      );
      const credits = PROVIDERS.map((p) => {
        const amount = ALLOCATIONS.filter(([, q]) => q === p).map(([, , a]) => `(${a})`).join(' + ');
        return `('provider:${p}', 0::numeric, ${amount})`;
      });
      await trx.raw(
        `INSERT INTO ledger_postings (transaction_id, account, debit, credit)
         SELECT i, v.account, v.debit, v.credit FROM generate_series(?::bigint, ?::bigint) i
          CROSS JOIN LATERAL (VALUES ('bank:${bank}', ${TOTAL_SQL}, 0::numeric), ${credits.join(', ')}) AS v(account, debit, credit)
          WHERE v.debit > 0 OR v.credit > 0`,
        [from, to],
      );
      // Cancelled payments: a reversal transaction mirroring the payment's postings.
      await trx.raw(
        `WITH r AS (
           INSERT INTO ledger_transactions (id, kind, payment_id, business_date, workflow_id, run_id)
           SELECT ${REVERSAL_ID_OFFSET} + i, 'reversal', i, ?::date, 'bench', 'bench' FROM generate_series(?::bigint, ?::bigint) i WHERE i % ${CANCELLED_EVERY} = 0
           RETURNING id, payment_id
         )
         INSERT INTO ledger_postings (transaction_id, account, debit, credit)
         SELECT r.id, p.account, p.credit, p.debit FROM r JOIN ledger_postings p ON p.transaction_id = r.payment_id`,
        [date, from, to],
      );
    });
    log(`${bank} ${date}: generated payments ${from}-${to}`);
  }
}

export async function generateBenchData(db: Db, date: string, payments: number): Promise<void> {
  await seedReferenceData(db);
  await db.raw(
    `INSERT INTO personal_accounts (number, holder_name, address)
     SELECT (2000000000 + a)::text, 'Bench payer ' || a, 'г. Алматы' FROM generate_series(1, ${BENCH_ACCOUNTS}) a`,
  );
  await db.raw(`INSERT INTO invoices (id, account_number, period, due_date) SELECT a, (2000000000 + a)::text, '2026-11-01', '2026-12-25' FROM generate_series(1, ${BENCH_ACCOUNTS}) a`);
  await db.raw('INSERT INTO bank_days (bank_code, business_date) VALUES (?, ?), (?, ?)', ['HSBK', date, 'CASP', date]);
  // Ids below a million belong to the warm-up day of CASP; the measured day of HSBK starts above.
  await generateDay(db, 'CASP', date, 1, WARMUP_PAYMENTS);
  await generateDay(db, 'HSBK', date, 1_000_001, payments);
  await db.raw(`SELECT setval(pg_get_serial_sequence('payments', 'id'), (SELECT max(id) FROM payments)),
                       setval(pg_get_serial_sequence('ledger_transactions', 'id'), (SELECT max(id) FROM ledger_transactions)),
                       setval(pg_get_serial_sequence('invoices', 'id'), ${BENCH_ACCOUNTS})`);
  const unbalanced = await db.raw('SELECT count(*)::int AS n FROM (SELECT transaction_id FROM ledger_postings GROUP BY 1 HAVING sum(debit) <> sum(credit)) x');
  if (unbalanced.rows[0].n !== 0) throw new Error(`bench data: ${unbalanced.rows[0].n} unbalanced ledger transactions`);
  const misallocated = await db.raw(
    'SELECT count(*)::int AS n FROM (SELECT p.id FROM payments p JOIN allocations a ON a.payment_id = p.id GROUP BY p.id, p.amount HAVING sum(a.amount) <> p.amount) x',
  );
  if (misallocated.rows[0].n !== 0) throw new Error(`bench data: ${misallocated.rows[0].n} payments whose allocations do not sum`);
  log('VACUUM ANALYZE');
  await db.raw('VACUUM ANALYZE payments, allocations, ledger_transactions, ledger_postings, bank_days, settlements, settlement_lines');
}

async function bareAggregation(db: Db, bank: string, date: string): Promise<{ seconds: number; rows: number }> {
  return db.transaction(async (trx) => {
    for (const setting of AGGREGATION_SETTINGS_SQL) await trx.raw(setting);
    const t0 = performance.now();
    const result = await trx.raw(AGGREGATION_SELECT_SQL, [bank, date]);
    return { seconds: (performance.now() - t0) / 1000, rows: result.rows.length };
  });
}

/** How long an activity of a workflow ran (started to completed), from the workflow's history. */
async function activitySeconds(client: Client, workflowId: string, activityType: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const at = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const scheduled = new Set<string>();
  let startedMs = 0;
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === activityType) scheduled.add(String(e.eventId));
    if (e.activityTaskStartedEventAttributes && scheduled.has(String(e.activityTaskStartedEventAttributes.scheduledEventId))) startedMs = at(e.eventTime);
    if (e.activityTaskCompletedEventAttributes && scheduled.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId))) return (at(e.eventTime) - startedMs) / 1000;
  }
  throw new Error(`no completed ${activityType} in the history of ${workflowId}`);
}

function loadNote(): string {
  const [one, five] = os.loadavg();
  return `load average ${one?.toFixed(2)} (1 min), ${five?.toFixed(2)} (5 min) on ${os.cpus().length} CPU(s)`;
}

export async function runSettlementBench(opts: { payments: number }): Promise<SettlementBenchResult> {
  installWorkerRuntime('ERROR');
  const env = await benchEnvironment();
  const native = await NativeConnection.connect({ address: env.temporalAddress });
  const connection = await Connection.connect({ address: env.temporalAddress });
  const client = new Client({ connection });
  const taskQueue = `bench-settlement-${Date.now().toString(36)}`;
  const ctx = { client, taskQueue };
  let worker: Awaited<ReturnType<typeof createWorker>> | undefined;
  let running: Promise<void> | undefined;
  try {
    const date = pastWeekday();
    const t0 = performance.now();
    log(`generating ${opts.payments} payments of HSBK on ${date} (and ${WARMUP_PAYMENTS} of CASP for the warm-up); ${loadNote()}`);
    await generateBenchData(env.db, date, opts.payments);
    log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    worker = await createWorker({ connection: native, namespace: 'default', taskQueue, db: env.db, client });
    running = worker.run();

    const settle = async (bank: string): Promise<number> => {
      const started = performance.now();
      await startSettlement(ctx, bank, date, { operator: 'bench' });
      // Waits on the settlements row, not on workflow queries: a query every few milliseconds would
      // take CPU from Postgres on a small machine and slow down what is being measured.
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      for (;;) {
        const row = await env.db('settlements').where({ id: `${bank}:${date}` }).first('status');
        if (row?.status === 'delivered') break;
        if (row && row.status !== 'closing' && row.status !== 'aggregated') throw new Error(`settlement ${bank}:${date} went ${row.status}`);
        if (Date.now() > deadline) throw new Error(`settlement ${bank}:${date} still ${row?.status} after ${SETTLE_TIMEOUT_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, STATE_POLL_MS));
      }
      const confirmed = await confirmTransfers(ctx, bank, date, { transferRef: 'BENCH' });
      if (!confirmed.ok || confirmed.state.status !== 'settled') throw new Error(`settlement ${bank}:${date} not settled: ${JSON.stringify(confirmed)}`);
      return (performance.now() - started) / 1000;
    };

    log(`warm-up: settling CASP ${date} (${WARMUP_PAYMENTS} payments) and one untimed bare aggregation`);
    await settle('CASP');
    await bareAggregation(env.db, 'HSBK', date);

    // The machine is shared: the bare SQL is timed right before and right after the settlement, and
    // their mean is the figure, so a load change during the run weighs on both sides alike.
    const before = await bareAggregation(env.db, 'HSBK', date);
    log(`bare SQL aggregation (before): ${before.seconds.toFixed(3)} s, ${before.rows} provider lines; ${loadNote()}`);

    const rssBeforeMb = process.memoryUsage().rss / MB;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, RSS_SAMPLE_MS);
    let settleSeconds: number;
    try {
      settleSeconds = await settle('HSBK');
    } finally {
      clearInterval(sampler);
    }
    log(`settled HSBK ${date} through the workflow in ${settleSeconds.toFixed(3)} s; RSS ${rssBeforeMb.toFixed(0)} MB before, peak ${(peakRss / MB).toFixed(0)} MB; ${loadNote()}`);

    const aggregationSeconds = await activitySeconds(client, `settlement:HSBK:${date}`, 'aggregateSettlement');
    log(`of which the aggregation activity (INSERT ... SELECT and the totals check) took ${aggregationSeconds.toFixed(3)} s, the rest of the engine ${(settleSeconds - aggregationSeconds).toFixed(3)} s`);
    const after = await bareAggregation(env.db, 'HSBK', date);
    log(`bare SQL aggregation (after): ${after.seconds.toFixed(3)} s; ${loadNote()}`);
    const sql = { seconds: (before.seconds + after.seconds) / 2 };

    const row = await env.db('settlements').where({ id: `HSBK:${date}` }).first('payment_count', 'reversal_count', 'net_total', 'status');
    if (row.payment_count !== opts.payments) throw new Error(`settled ${row.payment_count} payments, expected ${opts.payments}`);
    log(`settlement HSBK:${date}: ${row.payment_count} payments, ${row.reversal_count} reversed, net ${row.net_total} KZT, ${row.status}`);

    const round = (x: number) => Math.round(x * 1000) / 1000;
    return {
      payments: opts.payments,
      settle_s: round(settleSeconds),
      sql_s: round(sql.seconds),
      ratio: round(settleSeconds / sql.seconds),
      peak_rss_mb: Math.round(peakRss / MB),
    };
  } finally {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await native.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await env.close();
  }
}
