// `npm run bench -- --payments N`: N payments through the real stack (client → Temporal → worker
// process → Postgres), and in the same run on the same server N ceiling workflows (start, one no-op
// local activity, complete): the engine's own rate on this machine before any business work. Prints
// where the CPU went in each phase.
import { submitPayment } from '../client/payments';
import { BANKS } from '../db/seed';
import type { Channel } from '../domain/payment-types';
import { drive, log, round, type BenchEngine } from './env';
import { startBenchStack } from './stack';

export interface PaymentBenchOptions {
  /** The dev server (default) or the real Temporal server on Postgres with mTLS. */
  engine?: BenchEngine;
  payments: number;
  concurrency: number;
  accounts: number;
  warmup: number;
  workers: number;
}

const CHANNELS: Channel[] = ['cash_desk', 'online', 'kiosk'];

export async function runPaymentBench(opts: PaymentBenchOptions): Promise<Record<string, number>> {
  const stack = await startBenchStack({ engine: opts.engine, accounts: opts.accounts, workers: opts.workers });
  const { client, endpoints, accounts, env } = stack;
  try {
    const banks = BANKS.map((b) => b.code);
    const tag = Date.now().toString(36);
    const ceiling = (prefix: string) => async (i: number) => {
      await client.workflow.execute('ceilingWorkflow', { workflowId: `ceiling:${tag}:${prefix}:${i}`, taskQueue: endpoints.taskQueue, args: [{ n: i }] });
    };
    const payment = (prefix: string) => async (i: number) => {
      const outcome = await submitPayment(
        { client, taskQueue: endpoints.taskQueue },
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

    log(`ceiling: ${opts.payments} workflows with one no-op local activity, ${opts.concurrency} in flight`);
    let cpu = await stack.cpu();
    const c = await drive('ceiling', opts.payments, opts.concurrency, ceiling('m'));
    const ceilingCpu = await cpu();
    log(`ceiling: ${c.perSecond.toFixed(1)}/s, p50 ${c.p50Ms.toFixed(1)} ms, p99 ${c.p99Ms.toFixed(1)} ms, cpu ${JSON.stringify(ceilingCpu)}`);

    log(`payments: ${opts.payments} through postPayment, ${opts.concurrency} in flight`);
    cpu = await stack.cpu();
    const p = await drive('payments', opts.payments, opts.concurrency, payment('m'));
    const paymentCpu = await cpu();
    log(`payments: ${p.perSecond.toFixed(1)}/s, p50 ${p.p50Ms.toFixed(1)} ms, p99 ${p.p99Ms.toFixed(1)} ms, cpu ${JSON.stringify(paymentCpu)}`);

    const posted = await env.db('payments').where('bank_ref', 'like', `${tag}-m-%`).count({ n: '*' }).first();
    if (Number(posted?.n) !== opts.payments) throw new Error(`expected ${opts.payments} posted payments, found ${posted?.n}`);
    const unbalanced = await env.db.raw('SELECT count(*) AS n FROM (SELECT transaction_id FROM ledger_postings GROUP BY 1 HAVING sum(debit) <> sum(credit)) x');
    if (Number(unbalanced.rows[0].n) !== 0) throw new Error('ledger does not balance after the bench');

    const prefixed = (prefix: string, split: Record<string, number>) => Object.fromEntries(Object.entries(split).map(([k, v]) => [`${prefix}_${k}`, v]));
    return {
      payments_per_s: round(p.perSecond),
      ceiling_per_s: round(c.perSecond),
      ratio: round(p.perSecond / c.perSecond, 3),
      p50_ms: round(p.p50Ms),
      p99_ms: round(p.p99Ms),
      workers: opts.workers,
      ...prefixed('payments', paymentCpu),
      ...prefixed('ceiling', ceilingCpu),
    };
  } finally {
    await stack.close();
  }
}
