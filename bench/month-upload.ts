// The upload half of the month bench (issue 18 scale; bench/month.ts runs the whole path): every
// account × 8 services as charge lines from their providers (one CSV upload per provider, all at
// once, through the provider API as providers send them), until every line is answered. Measures
// from the first upload's first byte to the last upload's `done`: charge lines answered per second.
import { createProviderKey } from '../db/provider-keys';
import { toAlmaty } from '../domain/calendar';
import { expectedAmountTiyn, formatScaled } from '../domain/charge-lines';
import { log, round, type BenchEngine } from './env';
import { startBenchStack, type BenchStack } from './stack';

export interface MonthUploadBenchOptions {
  engine?: BenchEngine;
  accounts: number;
}

/** The eight services of a city flat, from several providers. */
export const MONTH_SERVICES = ['ELEC', 'CWATER', 'SEWER', 'HWATER', 'HEAT', 'WASTE', 'ELEVATOR', 'MAINT'] as const;
const PROGRESS_POLL_MS = 500;

/** One provider's charges CSV: quantity × tariff = amount to the tiyn on every line, decimal commas as a spreadsheet writes them. */
export function chargesFile(accounts: readonly string[], services: readonly string[]): { csv: string; lines: number } {
  const out = ['account;service;quantity;unit;tariff;amount'];
  accounts.forEach((account, i) => {
    for (const service of services) {
      const quantityMilli = BigInt(1_000 + (i % 300) * 1_000 + (i % 7) * 125);
      const tariffBasis = BigInt(123_456 + (service.length * 1_000));
      const amount = formatScaled(expectedAmountTiyn(quantityMilli, tariffBasis), 2).replace('.', ',');
      out.push(`${account};${service};${formatScaled(quantityMilli, 3).replace('.', ',')};u;${formatScaled(tariffBasis, 4).replace('.', ',')};${amount}`);
    }
  });
  return { csv: `${out.join('\n')}\n`, lines: accounts.length * services.length };
}

interface UploadView { uploadId: string; state: string; rowCount: number; rowsDone: number; rowsAccepted: number; rowsRefused: number }

/** An upload waits behind at most a few others of 500,000 lines each: minutes, not hours. */
const BUSY_ATTEMPTS_MAX = 200;

function postCharges(baseUrl: string, headers: Record<string, string>, period: string, csv: string): Promise<Response> {
  return fetch(`${baseUrl}/v1/provider/charges?period=${period}`, { method: 'POST', headers: { ...headers, 'content-type': 'text/csv' }, body: csv });
}

export async function uploadAndWait(baseUrl: string, key: string, period: string, csv: string): Promise<UploadView> {
  const headers = { authorization: `Bearer ${key}` };
  const startedMs = performance.now();
  // The API reads one upload at a time and lets CHARGE_UPLOADS_WAITING_MAX wait: the others answer
  // 503 CHARGES_BUSY with Retry-After, and a provider repeats the same upload, as this does.
  let res = await postCharges(baseUrl, headers, period, csv);
  for (let attempt = 1; res.status === 503 && attempt < BUSY_ATTEMPTS_MAX; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, Number(res.headers.get('retry-after') ?? '5') * 1000));
    res = await postCharges(baseUrl, headers, period, csv);
  }
  const posted = (await res.json()) as UploadView & { message?: string };
  if (res.status !== 202) throw new Error(`upload refused: ${res.status} ${JSON.stringify(posted).slice(0, 500)}`);
  log(`${posted.uploadId}: stored in ${((performance.now() - startedMs) / 1000).toFixed(2)} s`);
  for (;;) {
    const r = await fetch(`${baseUrl}/v1/provider/charges/${encodeURIComponent(posted.uploadId)}?limit=1`, { headers });
    const view = (await r.json()) as UploadView;
    if (view.state === 'done') {
      log(`${posted.uploadId}: done after ${((performance.now() - startedMs) / 1000).toFixed(2)} s`);
      return view;
    }
    if (view.state === 'superseded' || view.state === 'refused') throw new Error(`upload ${posted.uploadId} ended ${view.state}`);
    await new Promise((resolve) => setTimeout(resolve, PROGRESS_POLL_MS));
  }
}

export interface MonthUpload {
  chargeLines: number;
  providers: number;
  uploadS: number;
}

/** Every account × the month's services as one CSV per provider, all sent at once, until every line is answered; checks that every line is current in Postgres. */
export async function uploadMonthCharges(stack: BenchStack, period: string): Promise<MonthUpload> {
  const api = stack.api;
  if (!api) throw new Error('invariant: the month bench needs its API process');
  const services = (await stack.env.db('services').whereIn('code', [...MONTH_SERVICES]).select('code', 'provider_id')) as Array<{ code: string; provider_id: string }>;
  const byProvider = new Map<string, string[]>();
  for (const s of services) byProvider.set(s.provider_id, [...(byProvider.get(s.provider_id) ?? []), s.code]);
  const uploads = [];
  for (const [provider, codes] of byProvider) {
    const { key } = await createProviderKey(stack.env.db, provider, { scopes: ['charges'] });
    const file = chargesFile(stack.accounts, codes);
    uploads.push({ provider, key, ...file });
    log(`${provider}: ${file.lines} lines, ${(file.csv.length / 1e6).toFixed(1)} MB`);
  }
  const chargeLines = uploads.reduce((n, u) => n + u.lines, 0);
  const started = performance.now();
  const views = await Promise.all(uploads.map((u) => uploadAndWait(api.baseUrl, u.key, period, u.csv)));
  const uploadS = (performance.now() - started) / 1000;
  const accepted = views.reduce((n, v) => n + v.rowsAccepted, 0);
  const stored = await stack.env.db('period_charges_current').where({ period: `${period}-01` }).count({ n: '*' }).first();
  if (accepted !== chargeLines || Number(stored?.n) !== chargeLines) throw new Error(`${chargeLines} lines sent, ${accepted} accepted, ${stored?.n} current in Postgres`);
  return { chargeLines, providers: uploads.length, uploadS };
}

/** The upload half alone (the month bench, bench/month.ts, runs the whole path). */
export async function runMonthUploadBench(opts: MonthUploadBenchOptions): Promise<Record<string, number>> {
  const stack = await startBenchStack({ engine: opts.engine, accounts: opts.accounts, workers: 1, api: true });
  try {
    const period = toAlmaty(new Date()).date.slice(0, 7);
    const rssBefore = process.memoryUsage().rss;
    const cpu = await stack.cpu();
    const upload = await uploadMonthCharges(stack, period);
    const split = await cpu();
    return {
      accounts: stack.accounts.length,
      charge_lines: upload.chargeLines,
      upload_s: round(upload.uploadS, 2),
      charge_lines_per_s: round(upload.chargeLines / upload.uploadS, 0),
      providers: upload.providers,
      loader_rss_mb: round(Math.max(rssBefore, process.memoryUsage().rss) / 2 ** 20, 0),
      ...split,
    };
  } finally {
    await stack.close();
  }
}
