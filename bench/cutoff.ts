// `npm run bench:cutoff -- --payments N`: N payments of one bank (HSBK) accepted, then its cut-off
// passes and its Temporal Schedule starts the day's settlement, as in production. A probe payment of
// another bank (CASP) arrives through the bank API every 0.5 s throughout. Prints the seconds until
// the engine is idle again (no payment workflow of the day still open, and the list delivered), the
// seconds until that day's list is delivered, and the probe's latency before and during.
import { submitPayment } from '../client/payments';
import { createApiKey } from '../db/bank-keys';
import { almatyToUtc, toAlmaty } from '../domain/calendar';
import { ensureSchedules } from '../infra/schedules';
import { drive, log, round, sleep, waitUntil, type BenchEngine } from './env';
import { latencySummary, postPayment, startOpenLoop } from './open-loop';
import { registerFile } from './register';
import { startBenchStack } from './stack';

export interface CutoffBenchOptions {
  /** The dev server (default) or the real Temporal server on Postgres with mTLS. */
  engine?: BenchEngine;
  payments: number;
  /** How the N payments arrive: one workflow each (cashiers, online) or one register. */
  via: 'workflows' | 'register';
  concurrency: number;
  accounts: number;
  /** The probe's baseline before the cut-off, at least. */
  beforeS: number;
}

const PROBE_INTERVAL_MS = 500;
/** The probe keeps going this long after the list is delivered, to see the tail. */
const PROBE_AFTER_DELIVERY_MS = 10_000;
/** A bench that waits for ever is a bench that hides a failure. */
const CUTOFF_WAIT_MAX_MS = 15 * 60_000;

/** The first whole minute at least `leadMs` from now, as the bank's cut-off (HH:MM Almaty) and its instant. */
function nextCutoff(leadMs: number): { cutoffLocal: string; date: string; atMs: number } {
  const at = new Date(Math.ceil((Date.now() + leadMs) / 60_000) * 60_000);
  const local = toAlmaty(at);
  const cutoffLocal = local.time.slice(0, 5);
  return { cutoffLocal, date: local.date, atMs: almatyToUtc(local.date, cutoffLocal).getTime() };
}

export async function runCutoffBench(opts: CutoffBenchOptions): Promise<Record<string, number | string>> {
  const stack = await startBenchStack({ engine: opts.engine, accounts: opts.accounts, workers: 1, api: true });
  const { client, env, endpoints, accounts } = stack;
  const scheduleIdPrefix = `bench-cutoff-${Date.now().toString(36)}:`;
  try {
    const api = stack.api;
    if (!api) throw new Error('invariant: the cut-off bench needs its API process');
    const today = toAlmaty(new Date()).date;
    // The bench's day is a business day whatever the calendar says, so that its cut-off settles it.
    await env.db('calendar_days').insert({ day: today, kind: 'workday', name: 'bench' }).onConflict('day').merge();
    // Only HSBK's cut-off is the bench's; the other banks' are moved out of the way.
    await env.db('banks').whereNot({ code: 'HSBK' }).update({ cutoff_local: '23:59' });
    await env.db('banks').where({ code: 'HSBK' }).update({ cutoff_local: '23:59' });
    const tag = `cb${Date.now().toString(36)}`;

    log(`accepting ${opts.payments} HSBK payments via ${opts.via}`);
    const acceptStarted = performance.now();
    if (opts.via === 'register') {
      const { key } = await createApiKey(env.db, 'HSBK', 'cut-off bench register');
      const csv = registerFile(today, tag, opts.payments, accounts, Number.MAX_SAFE_INTEGER);
      const res = await fetch(`${api.baseUrl}/v1/registers`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: csv });
      const body = (await res.json()) as { id?: string };
      if (!res.ok || !body.id) throw new Error(`register refused: ${res.status} ${JSON.stringify(body)}`);
      await waitUntil('the register', async () => ((await env.db('registers').where({ id: body.id }).first('status'))?.status === 'done' ? true : undefined), Date.now() + CUTOFF_WAIT_MAX_MS);
    } else {
      await drive('accepting', opts.payments, opts.concurrency, async (i) => {
        const outcome = await submitPayment(
          { client, taskQueue: endpoints.taskQueue },
          { bankCode: 'HSBK', bankRef: `${tag}-${i}`, channel: 'cash_desk', account: accounts[i % accounts.length] as string, amount: `${100 + (i % 900)}.00` },
        );
        if (!outcome.ok) throw new Error(`bench payment rejected: ${outcome.code} ${outcome.message}`);
      });
    }
    const acceptS = (performance.now() - acceptStarted) / 1000;
    const accepted = Number((await env.db('payments').where({ bank_code: 'HSBK', business_date: today }).count({ n: '*' }).first())?.n);
    log(`${accepted} payments accepted in ${acceptS.toFixed(1)} s`);

    const cutoff = nextCutoff(opts.beforeS * 1000);
    if (cutoff.date !== today) throw new Error('the next cut-off minute falls on another Almaty day: run the bench again after midnight');
    await env.db('banks').where({ code: 'HSBK' }).update({ cutoff_local: cutoff.cutoffLocal });
    await ensureSchedules(client, env.db, { taskQueue: endpoints.taskQueue, idPrefix: scheduleIdPrefix });
    log(`HSBK cut-off at ${cutoff.cutoffLocal} Almaty, in ${((cutoff.atMs - Date.now()) / 1000).toFixed(0)} s; probing CASP every ${PROBE_INTERVAL_MS} ms`);

    const { key: probeKey } = await createApiKey(env.db, 'CASP', 'cut-off bench probe');
    const probe = startOpenLoop(PROBE_INTERVAL_MS, (i) =>
      postPayment(api.baseUrl, probeKey, { bankRef: `${tag}-probe-${i}`, account: accounts[(i * 7) % accounts.length], channel: 'cash_desk', amount: '150.00' }),
    );
    const cpu = await stack.cpu();
    const settlementId = `HSBK:${today}`;
    const deadline = Date.now() + CUTOFF_WAIT_MAX_MS;
    const delivered = await waitUntil('the list to be delivered', async () => {
      const row = await env.db('settlements').where({ id: settlementId }).first('delivered_at', 'status');
      return row?.delivered_at ? (row.delivered_at as Date) : undefined;
    }, deadline);
    const openPayments = `WorkflowType = 'paymentWorkflow' AND ExecutionStatus = 'Running' AND BankCode = 'HSBK'`;
    await waitUntil('no open payment workflow', async () => ((await client.workflow.count(openPayments)).count === 0 ? true : undefined), deadline);
    const idleMs = Math.max(Date.now(), delivered.getTime()) - cutoff.atMs;
    const split = await cpu();
    await sleep(PROBE_AFTER_DELIVERY_MS);
    const samples = await probe.stop();
    const before = latencySummary(samples.filter((s) => s.sentMs + performance.timeOrigin < cutoff.atMs));
    const during = latencySummary(samples.filter((s) => s.sentMs + performance.timeOrigin >= cutoff.atMs));
    log(`probe before: ${JSON.stringify(before)}; during: ${JSON.stringify(during)}`);
    return {
      payments: accepted,
      via: opts.via,
      accept_s: round(acceptS),
      idle_after_s: round(idleMs / 1000),
      list_delivered_s: round((delivered.getTime() - cutoff.atMs) / 1000),
      probe_before_p50_ms: before.p50Ms,
      probe_before_p99_ms: before.p99Ms,
      probe_during_p50_ms: during.p50Ms,
      probe_during_p99_ms: during.p99Ms,
      probe_errors: before.errors + during.errors,
      ...split,
    };
  } finally {
    for await (const s of client.schedule.list()) {
      if (s.scheduleId.startsWith(scheduleIdPrefix)) await client.schedule.getHandle(s.scheduleId).delete().catch(() => undefined);
    }
    await stack.close();
  }
}
