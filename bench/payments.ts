// `npm run bench -- --payments N`: N payments through the real stack (client → Temporal →
// worker → Postgres), and in the same run on the same server N ceiling workflows of the same shape
// with a no-op activity: the engine's rate on this machine before any business work.
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { submitPayment } from '../client/payments';
import { seedDemo, seedReferenceData, BANKS } from '../db/seed';
import { createWorker } from '../worker/worker';
import { installWorkerRuntime } from '../worker/run';
import { ceilingUpdate, ceilingWorkflow } from '../workflows/ceiling';
import { benchEnvironment, drive, log } from './env';
import type { Channel } from '../domain/payment-types';

export interface PaymentBenchOptions {
  payments: number;
  concurrency: number;
  accounts: number;
  warmup: number;
}

const CHANNELS: Channel[] = ['cash_desk', 'online', 'kiosk'];

export async function runPaymentBench(opts: PaymentBenchOptions): Promise<Record<string, number>> {
  installWorkerRuntime('ERROR');
  const env = await benchEnvironment();
  const native = await NativeConnection.connect({ address: env.temporalAddress });
  const connection = await Connection.connect({ address: env.temporalAddress });
  const client = new Client({ connection });
  const taskQueue = `bench-${Date.now().toString(36)}`;
  const worker = await createWorker({ connection: native, namespace: 'default', taskQueue, db: env.db, client });
  const running = worker.run();
  try {
    await seedReferenceData(env.db);
    const { sampleAccounts } = await seedDemo(env.db, { accounts: opts.accounts, seed: 7 });
    const accounts = (await env.db('personal_accounts').orderBy('number').limit(opts.accounts).pluck('number')) as string[];
    if (accounts.length === 0) throw new Error(`no accounts seeded (samples: ${sampleAccounts.join(', ')})`);
    const banks = BANKS.map((b) => b.code);
    const tag = Date.now().toString(36);

    const ceiling = (prefix: string) => async (i: number) => {
      await client.workflow.executeUpdateWithStart(ceilingUpdate, {
        args: [{ n: i }],
        startWorkflowOperation: new WithStartWorkflowOperation(ceilingWorkflow, {
          workflowId: `ceiling:${tag}:${prefix}:${i}`,
          taskQueue,
          args: [{ n: i }],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
    };
    const payment = (prefix: string) => async (i: number) => {
      const outcome = await submitPayment(
        { client, taskQueue },
        {
          bankCode: banks[i % banks.length] as string,
          bankRef: `${tag}-${prefix}-${i}`,
          channel: CHANNELS[i % CHANNELS.length] as Channel,
          account: accounts[i % accounts.length] as string,
          amount: `${100 + (i % 900)}.${String(i % 100).padStart(2, '0')}`,
        },
      );
      if (!outcome.ok) throw new Error(`bench payment rejected: ${outcome.code} ${outcome.message}`);
    };

    log(`warm-up: ${opts.warmup} of each`);
    await drive('warm-up ceiling', opts.warmup, opts.concurrency, ceiling('w'));
    await drive('warm-up payments', opts.warmup, opts.concurrency, payment('w'));

    log(`ceiling: ${opts.payments} workflows with one no-op activity, ${opts.concurrency} in flight`);
    const c = await drive('ceiling', opts.payments, opts.concurrency, ceiling('m'));
    log(`ceiling: ${c.perSecond.toFixed(1)}/s, p50 ${c.p50Ms.toFixed(1)} ms, p99 ${c.p99Ms.toFixed(1)} ms`);

    log(`payments: ${opts.payments} through postPayment, ${opts.concurrency} in flight`);
    const p = await drive('payments', opts.payments, opts.concurrency, payment('m'));
    log(`payments: ${p.perSecond.toFixed(1)}/s, p50 ${p.p50Ms.toFixed(1)} ms, p99 ${p.p99Ms.toFixed(1)} ms`);

    const posted = await env.db('payments').where('bank_ref', 'like', `${tag}-m-%`).count({ n: '*' }).first();
    if (Number(posted?.n) !== opts.payments) throw new Error(`expected ${opts.payments} posted payments, found ${posted?.n}`);
    const unbalanced = await env.db.raw('SELECT count(*) AS n FROM (SELECT transaction_id FROM ledger_postings GROUP BY 1 HAVING sum(debit) <> sum(credit)) x');
    if (Number(unbalanced.rows[0].n) !== 0) throw new Error('ledger does not balance after the bench');

    const round = (v: number, d = 1) => Number(v.toFixed(d));
    return {
      payments_per_s: round(p.perSecond),
      ceiling_per_s: round(c.perSecond),
      ratio: round(p.perSecond / c.perSecond, 3),
      p50_ms: round(p.p50Ms),
      p99_ms: round(p.p99Ms),
    };
  } finally {
    worker.shutdown();
    await running.catch(() => undefined);
    await native.close();
    await connection.close();
    await env.close();
  }
}
