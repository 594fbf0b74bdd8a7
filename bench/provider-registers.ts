// `npm run bench:provider-registers`: the other end of the peak day's payment lists (issue 19).
// The day of bench:day (five banks, its payments; here every payment in the banks' day registers:
// the single-payment path of bench:day takes 18 minutes at 37/s on this machine and is measured
// there), each provider with a webhook to a local receiver that checks every signature and SHA-256
// (and, for a register pushed as a notice, pulls its files and checks their SHA-256 and size).
// The five settlements are started at once; measured from the last list delivered to the last
// provider's register delivered (built, stored, signed, pushed, recorded). Then a month: the peak
// day's lists copied to the month's earlier weekdays, and the providers' statements of the month
// (≈ 4,000 transfer lines, several credits per list line) reported through POST /v1/provider/transfers,
// each report answered with its matches: measured from the first report to the last answer.
import { createApiKey } from '../db/bank-keys';
import { createProviderKey } from '../db/provider-keys';
import { setProviderWebhook } from '../db/provider-webhooks';
import { getSettlementState, resolveDiscrepancy, startSettlement } from '../client/settlements';
import { BANKS } from '../db/seed';
import { toAlmaty } from '../domain/calendar';
import { log, round, sleep, waitUntil, type BenchEngine } from './env';
import { registerFile } from './register';
import { startBenchStack } from './stack';
import { startBenchReceiver } from './webhook-receiver';
import { copyListDays, monthTransfers, weekdaysBefore } from './provider-month';

export interface ProviderRegistersBenchOptions {
  engine?: BenchEngine;
  payments: number;
  accounts: number;
  workers: number;
  /** Earlier list days of the month copied from the peak day. */
  monthDays: number;
  /** Credits per list line in the providers' statements. */
  transferParts: number;
}

const POLL_MS = 250;
const STAGE_WAIT_MAX_MS = 30 * 60_000;
/** No refused rows: a discrepancy would wait for an operator, and the bench measures the providers' end. */
const NO_REFUSALS = Number.MAX_SAFE_INTEGER;

export async function runProviderRegistersBench(opts: ProviderRegistersBenchOptions): Promise<Record<string, number | string | boolean>> {
  const stack = await startBenchStack({ engine: opts.engine, accounts: opts.accounts, workers: opts.workers, api: true });
  const { env, client, endpoints, accounts } = stack;
  const receiver = await startBenchReceiver();
  const out: Record<string, number | string | boolean> = { payments: opts.payments };
  try {
    const api = stack.api;
    if (!api) throw new Error('invariant: the provider bench needs its API process');
    const banks = BANKS.map((b) => b.code);
    const today = toAlmaty(new Date()).date;
    await env.db('calendar_days').insert({ day: today, kind: 'workday', name: 'bench' }).onConflict('day').merge();
    const providers = (await env.db('providers').orderBy('id').pluck('id')) as string[];
    const providerKeys = receiver.pull.keys;
    receiver.pull.baseUrl = api.baseUrl;
    for (const p of providers) {
      const set = await setProviderWebhook(env.db, p, receiver.url);
      receiver.secrets.set(p, set.secret as string);
      providerKeys.set(p, (await createProviderKey(env.db, p, { label: 'provider bench' })).key);
    }
    out.providers = providers.length;
    out.banks = banks.length;

    const tag = `prov${Date.now().toString(36)}`;
    const perBank = Math.floor(opts.payments / banks.length);
    const registerIds: string[] = [];
    const loadStarted = performance.now();
    for (const bank of banks) {
      const key = (await createApiKey(env.db, bank, 'provider bench')).key;
      const res = await fetch(`${api.baseUrl}/v1/registers`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: registerFile(today, `${tag}-${bank}`, perBank, accounts, NO_REFUSALS) });
      const body = (await res.json()) as { id?: string };
      if (!res.ok || !body.id) throw new Error(`register of ${bank} refused: ${res.status} ${JSON.stringify(body)}`);
      registerIds.push(body.id);
    }
    await waitUntil('the day registers posted', async () => {
      const done = await env.db('registers').whereIn('id', registerIds).andWhere({ status: 'done' }).count({ n: '*' }).first();
      return Number(done?.n) === registerIds.length ? true : undefined;
    }, Date.now() + STAGE_WAIT_MAX_MS, POLL_MS);
    out.load_s = round((performance.now() - loadStarted) / 1000);
    log(`${perBank * banks.length} payments posted in ${out.load_s} s`);

    const ctx = { client, taskQueue: endpoints.taskQueue };
    await Promise.all(banks.map((b) => startSettlement(ctx, b, today, { operator: 'bench' })));
    const deadline = Date.now() + STAGE_WAIT_MAX_MS;
    const delivered = new Set<string>();
    while (delivered.size < banks.length) {
      if (Date.now() > deadline) throw new Error(`lists not delivered in time: ${[...delivered].join(', ')}`);
      for (const bank of banks.filter((b) => !delivered.has(b))) {
        const state = await getSettlementState(ctx, bank, today).catch(() => null);
        if (state?.status === 'discrepancy') await resolveDiscrepancy(ctx, bank, today, { accept: true }, 'bench-operator');
        if (state && ['delivered', 'settled'].includes(state.status)) delivered.add(bank);
      }
      await sleep(POLL_MS);
    }
    const lastListSeenMs = Date.now();
    // When the build's transaction committed (its rows' created_at is when it began).
    await waitUntil('the registers built', async () => ((await env.db('provider_registers').where('business_date', today).first('id')) ? true : undefined), Date.now() + STAGE_WAIT_MAX_MS, 50);
    out.registers_visible_after_lists_seen_s = round((Date.now() - lastListSeenMs) / 1000, 2);
    const registersOfDay = await waitUntil('every register delivered', async () => {
      const rows = await env.db('provider_registers as r').leftJoin('provider_register_deliveries as d', 'd.register_id', 'r.id')
        .where('r.business_date', today).select('r.id', 'r.created_at', 'd.created_at as push_started_at', 'd.delivered_at', 'd.attempts', 'r.line_count');
      return rows.length > 0 && rows.every((r) => r.delivered_at) ? rows : undefined;
    }, Date.now() + STAGE_WAIT_MAX_MS, POLL_MS);
    const lastList = (await env.db('settlements').where({ business_date: today }).max({ at: 'delivered_at' }).first())?.at as Date;
    const maxOf = (key: 'created_at' | 'delivered_at' | 'push_started_at') => Math.max(...registersOfDay.map((r) => (r[key] as Date).getTime()));
    const minOf = (key: 'push_started_at') => Math.min(...registersOfDay.map((r) => (r[key] as Date).getTime()));
    out.registers = registersOfDay.length;
    out.register_lines = registersOfDay.reduce((n, r) => n + Number(r.line_count), 0);
    out.registers_built_after_last_list_s = round((maxOf('created_at') - lastList.getTime()) / 1000, 2);
    out.first_push_started_after_last_list_s = round((minOf('push_started_at') - lastList.getTime()) / 1000, 2);
    out.last_push_started_after_last_list_s = round((maxOf('push_started_at') - lastList.getTime()) / 1000, 2);
    out.registers_delivered_after_last_list_s = round((maxOf('delivered_at') - lastList.getTime()) / 1000, 2);
    out.push_attempts = registersOfDay.reduce((n, r) => n + Number(r.attempts), 0);
    // A notice is delivered to the SPC when answered; to the provider when its pulled files are checked.
    await receiver.pullsDone();
    const got = receiver.received.filter((r) => registersOfDay.some((d) => d.id === r.registerId));
    const mb = (rs: typeof got) => round(rs.reduce((n, r) => n + r.files.reduce((m, f) => m + f.bytes, 0), 0) / 1_048_576, 2);
    out.pushes_signed = got.length > 0 && got.every((r) => r.signed);
    out.pushes_byte_identical = got.length > 0 && got.every((r) => r.files.length > 0 && r.files.every((f) => f.sha256 === f.bytesSha256 && f.bytes === f.bytesExpected));
    out.pushes_as_notice = got.filter((r) => r.asNotice).length;
    out.pushes_refused_too_large = receiver.oversized;
    out.pushed_mb = mb(got.filter((r) => !r.asNotice));
    out.pulled_mb = mb(got.filter((r) => r.asNotice));
    const verifiedMs = got.map((r) => r.verifiedAtMs);
    if (verifiedMs.some((v) => v === null)) throw new Error(`registers not verified: ${got.filter((r) => r.verifiedAtMs === null).map((r) => `${r.registerId} ${r.error ?? ''}`).join(', ')}`);
    out.registers_verified_after_last_list_s = round((Math.max(...(verifiedMs as number[])) - lastList.getTime()) / 1000, 2);
    log(`${out.registers} registers delivered ${out.registers_delivered_after_last_list_s} s after the last list`);

    const earlier = weekdaysBefore(today, opts.monthDays);
    await copyListDays(env.db, today, earlier);
    const reports = await monthTransfers(env.db, [...earlier, today], opts.transferParts);
    out.transfer_lines = [...reports.values()].reduce((n, r) => n + r.length, 0);
    const matchStarted = performance.now();
    const answers = await Promise.all([...reports].map(async ([provider, transfers]) => {
      const res = await fetch(`${api.baseUrl}/v1/provider/transfers`, {
        method: 'POST', headers: { authorization: `Bearer ${providerKeys.get(provider)}`, 'content-type': 'application/json' }, body: JSON.stringify({ transfers }),
      });
      const body = (await res.json()) as { recorded: number; matches: Array<{ status: string }> };
      if (res.status !== 200) throw new Error(`transfers of ${provider}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      return body;
    }));
    out.match_s = round((performance.now() - matchStarted) / 1000, 2);
    const statuses = answers.flatMap((a) => a.matches.map((m) => m.status));
    for (const s of ['matched', 'short', 'excess', 'unknown']) out[`matches_${s}`] = statuses.filter((x) => x === s).length;
    out.transfers_recorded = answers.reduce((n, a) => n + a.recorded, 0);
    log(`${out.transfer_lines} transfer lines of ${earlier.length + 1} list days recorded and matched in ${out.match_s} s`);
    return out;
  } finally {
    await receiver.close();
    await stack.close();
  }
}
