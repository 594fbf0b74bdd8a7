// `npm run bench:day`: a peak collection day of five banks. About 60 % of the payments arrive in one
// day register per bank (the piles of paper invoices), the rest one by one through the bank API
// (online, kiosk, cash desk), some refused, some cancelled by the bank; then every bank's cut-off
// passes at the same minute, its Schedule starts the five settlements, an operator accepts each
// register discrepancy (the refused rows), and the five lists are delivered; then the ledger audit.
// Prints the time of each stage.
import { createApiKey } from '../db/bank-keys';
import { auditLedger } from '../audit/ledger';
import { getSettlementState, resolveDiscrepancy } from '../client/settlements';
import { BANKS } from '../db/seed';
import { almatyToUtc, toAlmaty } from '../domain/calendar';
import { ensureSchedules } from '../infra/schedules';
import { drive, log, round, sleep, type BenchEngine } from './env';
import { postPayment } from './open-loop';
import { registerFile } from './register';
import { startBenchStack } from './stack';

export interface DayBenchOptions {
  /** The dev server (default) or the real Temporal server on Postgres with mTLS. */
  engine?: BenchEngine;
  payments: number;
  registerShare: number;
  concurrency: number;
  accounts: number;
  workers: number;
}

/** One online payment in this many names an unknown account; one register row in this many too. */
const REFUSED_EVERY = 100;
/** One accepted online payment in this many is cancelled by its bank. */
const CANCELLED_EVERY = 200;
const POLL_MS = 500;
const STAGE_WAIT_MAX_MS = 30 * 60_000;
/** Time between the last payment and the cut-off: the schedule fires on a whole minute. */
const CUTOFF_LEAD_MS = 15_000;
const CHANNELS = ['online', 'kiosk', 'cash_desk'] as const;
/** A request without a definite answer is sent again this often at most, this long apart. */
const RESEND_MAX = 10;
const RESEND_PAUSE_MS = 2_000;

export async function runDayBench(opts: DayBenchOptions): Promise<Record<string, number | string>> {
  const stack = await startBenchStack({ engine: opts.engine, accounts: opts.accounts, workers: opts.workers, api: true });
  const { env, client, endpoints, accounts } = stack;
  const scheduleIdPrefix = `bench-day-${Date.now().toString(36)}:`;
  const stages: Record<string, number> = {};
  const timed = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await work();
    stages[`${stage}_s`] = round((performance.now() - t0) / 1000);
    log(`${stage}: ${stages[`${stage}_s`]} s`);
    return result;
  };
  try {
    const api = stack.api;
    if (!api) throw new Error('invariant: the day bench needs its API process');
    const banks = BANKS.map((b) => b.code);
    const today = toAlmaty(new Date()).date;
    await env.db('calendar_days').insert({ day: today, kind: 'workday', name: 'bench' }).onConflict('day').merge();
    await env.db('banks').update({ cutoff_local: '23:59' });
    const keys = Object.fromEntries(await Promise.all(banks.map(async (b) => [b, (await createApiKey(env.db, b, 'day bench')).key] as const)));
    const tag = `day${Date.now().toString(36)}`;
    const registerRows = Math.round(opts.payments * opts.registerShare);
    const perRegister = Math.floor(registerRows / banks.length);
    const single = opts.payments - perRegister * banks.length;
    log(`${opts.payments} payments: ${banks.length} registers of ${perRegister} rows, ${single} one by one through the API`);

    const registerIds: string[] = [];
    const started = performance.now();
    const registers = timed('registers', async () => {
      for (const bank of banks) {
        const csv = registerFile(today, `${tag}-${bank}-r`, perRegister, accounts, REFUSED_EVERY);
        const res = await fetch(`${api.baseUrl}/v1/registers`, { method: 'POST', headers: { authorization: `Bearer ${keys[bank]}`, 'content-type': 'text/csv' }, body: csv });
        const body = (await res.json()) as { id?: string };
        if (!res.ok || !body.id) throw new Error(`register of ${bank} refused: ${res.status} ${JSON.stringify(body)}`);
        registerIds.push(body.id);
      }
      for (;;) {
        const done = await env.db('registers').whereIn('id', registerIds).andWhere({ status: 'done' }).count({ n: '*' }).first();
        if (Number(done?.n) === registerIds.length) return;
        await sleep(POLL_MS);
      }
    });
    let refused = 0;
    let cancelled = 0;
    let resent = 0;
    const online = timed('online', () =>
      drive('online', single, opts.concurrency, async (i) => {
        const bank = banks[i % banks.length] as string;
        const bankRef = `${tag}-${bank}-o${i}`;
        const bad = i % REFUSED_EVERY === REFUSED_EVERY - 1;
        const body = { bankRef, account: bad ? '9999999999' : accounts[i % accounts.length], channel: CHANNELS[i % CHANNELS.length], amount: `${100 + (i % 900)}.00` };
        // As a bank does: no definite answer (503, 504, a dropped connection) means the same request again.
        let answer = await postPayment(api.baseUrl, keys[bank] as string, body).catch(() => ({ status: 0, code: 'NO_ANSWER' }));
        for (let attempt = 1; [0, 503, 504].includes(answer.status) && attempt <= RESEND_MAX; attempt++) {
          resent++;
          await sleep(RESEND_PAUSE_MS);
          answer = await postPayment(api.baseUrl, keys[bank] as string, body).catch(() => ({ status: 0, code: 'NO_ANSWER' }));
        }
        if (answer.status !== 201) {
          if (answer.status === 422 && bad) refused++;
          else throw new Error(`online payment ${bankRef}: ${answer.status} ${answer.code ?? ''}`);
          return;
        }
        if (i % CANCELLED_EVERY === 0) {
          const cancel = () => fetch(`${api.baseUrl}/v1/payments/${encodeURIComponent(bankRef)}/cancel`, {
            method: 'POST', headers: { authorization: `Bearer ${keys[bank]}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'payer asked' }),
          });
          let res = await cancel();
          for (let attempt = 1; [503, 504].includes(res.status) && attempt <= RESEND_MAX; attempt++) {
            resent++;
            await sleep(RESEND_PAUSE_MS);
            res = await cancel();
          }
          if (res.status !== 200) throw new Error(`cancel of ${bankRef}: ${res.status} ${await res.text()}`);
          cancelled++;
        }
      }),
    );
    await Promise.all([registers, online]);
    stages.collection_s = round((performance.now() - started) / 1000);

    const at = new Date(Math.ceil((Date.now() + CUTOFF_LEAD_MS) / 60_000) * 60_000);
    const cutoffLocal = toAlmaty(at).time.slice(0, 5);
    if (toAlmaty(at).date !== today) throw new Error('the cut-off minute falls on another Almaty day: run the bench again after midnight');
    const cutoffMs = almatyToUtc(today, cutoffLocal).getTime();
    await env.db('banks').update({ cutoff_local: cutoffLocal });
    await ensureSchedules(client, env.db, { taskQueue: endpoints.taskQueue, idPrefix: scheduleIdPrefix });
    log(`all five cut-offs at ${cutoffLocal} Almaty`);
    await sleep(Math.max(0, cutoffMs - Date.now()));

    const ctx = { client, taskQueue: endpoints.taskQueue };
    await timed('settlements', async () => {
      const deadline = Date.now() + STAGE_WAIT_MAX_MS;
      const delivered = new Set<string>();
      while (delivered.size < banks.length) {
        if (Date.now() > deadline) throw new Error(`settlements not delivered in time: ${[...delivered].join(', ')}`);
        for (const bank of banks) {
          if (delivered.has(bank)) continue;
          const state = await getSettlementState(ctx, bank, today).catch(() => null);
          // The operator's decision on each register's refused rows, as /ops would take it.
          if (state?.status === 'discrepancy') await resolveDiscrepancy(ctx, bank, today, { accept: true }, 'bench-operator');
          if (state && ['delivered', 'settled'].includes(state.status)) delivered.add(bank);
        }
        await sleep(POLL_MS);
      }
    });
    stages.cutoff_to_lists_s = round((Date.now() - cutoffMs) / 1000);

    const audit = await timed('audit', () => auditLedger(env.db));
    if (!audit.ok) throw new Error(`the ledger audit found breaches: ${JSON.stringify(audit.breaches.slice(0, 5))}`);
    const totals = await env.db('payments').where({ business_date: today }).select(env.db.raw("count(*) FILTER (WHERE status = 'accepted') AS accepted"), env.db.raw("count(*) FILTER (WHERE status = 'cancelled') AS cancelled"));
    const listed = await env.db('settlements').where({ business_date: today }).sum({ total: 'net_total' }).first();
    return {
      payments: opts.payments,
      accepted: Number(totals[0]?.accepted),
      cancelled: Number(totals[0]?.cancelled),
      refused_online: refused,
      cancelled_online: cancelled,
      resent_online: resent,
      register_rows: perRegister * banks.length,
      /** Decimal string: money never becomes a JS number, not even in a bench. */
      listed_total_kzt: String(listed?.total ?? '0.00'),
      ...stages,
    };
  } finally {
    for await (const s of client.schedule.list()) {
      if (s.scheduleId.startsWith(scheduleIdPrefix)) await client.schedule.getHandle(s.scheduleId).delete().catch(() => undefined);
    }
    await stack.close();
  }
}
