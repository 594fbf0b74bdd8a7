// `npx tsx bench/month-close.ts --accounts N`: the close half of issue 18's month bench. Seeds N
// demo accounts (db/seed seedDemo), writes one done charges upload per provider straight into
// charge_lines (the upload half is bench/month-upload.ts), then runs the period close's activities
// in order, timing each step. JSON last line.
import crypto from 'node:crypto';
import { createDb, dropDatabase, ensureDatabase, migrateLatest, withDatabase } from '../db/connection';
import { seedDemo, seedReferenceData } from '../db/seed';
import { makeDeps } from '../activities/deps';
import { createPeriodActivities } from '../activities/period-close';
import { loadConfig } from '../infra/config';
import { log, round } from './env';
import { MONTH_SERVICES } from './month-upload';

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';

async function timed<T>(name: string, out: Record<string, number>, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const r = await fn();
  out[`${name}_s`] = round((performance.now() - started) / 1000, 2);
  log(`${name}: ${out[`${name}_s`]} s`);
  return r;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--accounts');
  const accounts = i > 0 ? Number(process.argv[i + 1]) : 20_000;
  const adminUrl = loadConfig().databaseUrl ?? LOCAL_POSTGRES;
  const name = `spc_bench_${crypto.randomBytes(4).toString('hex')}`;
  await ensureDatabase(adminUrl, name);
  const db = createDb(withDatabase(adminUrl, name), 4);
  try {
    await migrateLatest(db);
    await seedReferenceData(db);
    const seeded = await seedDemo(db, { accounts });
    const period = seeded.period.slice(0, 7);
    const periodDay = `${period}-01`;
    await db.raw('INSERT INTO billing_periods (period) VALUES (?) ON CONFLICT DO NOTHING', [periodDay]);
    const services = (await db('services').whereIn('code', [...MONTH_SERVICES]).select('code', 'provider_id')) as Array<{ code: string; provider_id: string }>;
    for (const provider of [...new Set(services.map((s) => s.provider_id))]) {
      const uploadId = `charges:${provider}:${period}:${crypto.randomBytes(8).toString('hex')}`;
      await db('charge_uploads').insert({ upload_id: uploadId, provider_id: provider, period: periodDay, version: 1, content_sha256: crypto.randomBytes(32).toString('hex'), state: 'done', row_count: 0, workflow_id: `bench-${provider}` });
      await db.raw(`
        INSERT INTO charge_lines (upload_id, line_no, account_number, service_code, kind, for_period, amount)
        SELECT ?, row_number() OVER (), v.account_number, l.service_code, 'charge', ?::date, 1000 + (abs(hashtext(v.account_number)) % 500000) / 100.0
          FROM invoice_lines l JOIN invoices v ON v.id = l.invoice_id JOIN services s ON s.code = l.service_code
         WHERE v.period = ?::date AND s.provider_id = ?`, [uploadId, periodDay, periodDay, provider]);
    }
    await db.raw('ANALYZE');
    const lines = Number((await db('charge_lines').count({ n: '*' }).first())?.n);
    log(`${accounts} accounts, ${lines} charge lines; load ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const acts = createPeriodActivities(makeDeps(db));
    const out: Record<string, number> = { accounts, charge_lines: lines };
    await acts.beginPeriodClose({ period, startedBy: 'bench', workflowId: `period:${period}` });
    await timed('count', out, () => acts.countPeriodPayments({ period }));
    await timed('balances', out, () => acts.computePeriodBalances({ period }));
    await timed('ledger', out, () => acts.postPeriodLedger({ period, writtenBy: { workflowId: `period:${period}`, runId: 'bench' } }));
    const issued = await timed('issue', out, () => acts.issueNextInvoices({ period }));
    out.invoices = issued.invoices;
    out.load_1m = round((await import('node:os')).loadavg()[0] ?? 0, 2);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await db.destroy();
    await dropDatabase(adminUrl, name);
  }
}

void main().catch((err) => { console.error(err); process.exit(1); });
